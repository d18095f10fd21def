/* ingest.c: the ingest pipeline (see ingest.h): source readers (feed file or
 * folder tree), per-batch parallel image work, one transaction per batch,
 * and the index rebuild at the end. */
#include "ingest.h"
#include "features.h"
#include "index_store.h"
#include "ingest_parse.h"
#include "store.h"
#include "../data/dataset.h"
#include "../data/embedset.h"
#include "../data/pairs.h"
#include "../img/image.h"
#include "../nn/embed.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/parallel.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int64_t zt_demo_price(const char *id)
{
    return 990 + (int64_t)(zt_hash_str(id) % 191) * 100;
}

/* Currencies shown without decimals (ISO 4217 minor unit 0). */
static int zero_decimal(const char *cur)
{
    return !strcmp(cur, "KRW") || !strcmp(cur, "JPY");
}

int64_t zt_demo_price_in(const char *id, const char *currency)
{
    if (!zero_decimal(currency)) return zt_demo_price(id);
    /* the same step as zt_demo_price, in thousands: 9,000 .. 199,000 */
    return (9 + (int64_t)(zt_hash_str(id) % 191)) * 1000 * 100;
}

/* --- sources --- */

struct source {
    int folder;
    struct zt_dataset ds; /* folder */
    int next;
    struct zt_ingest *feed; /* feed */
    char feed_dir[PATH_MAX];
    const char *currency; /* folder products: ZT_DEFAULT_CURRENCY or the option */
};

static int source_open(const char *src, struct source *s)
{
    memset(s, 0, sizeof *s);
    if (zt_is_dir(src)) {
        s->folder = 1;
        int rc = zt_dataset_open(src, NULL, 0, &s->ds);
        if (rc) return rc;
        if (s->ds.n == 0) {
            zt_seterr("%s: no images (*.jpg, *.png, *.webp) in <class>/ folders", src);
            return ZT_ENOTFOUND;
        }
        return ZT_OK;
    }
    const char *slash = strrchr(src, '/');
    if (slash) snprintf(s->feed_dir, sizeof s->feed_dir, "%.*s", (int)(slash - src), src);
    else snprintf(s->feed_dir, sizeof s->feed_dir, ".");
    if (slash == src) snprintf(s->feed_dir, sizeof s->feed_dir, "/");
    return zt_ingest_open(src, ZT_INGEST_AUTO, &s->feed);
}

static void source_close(struct source *s)
{
    zt_dataset_deinit(&s->ds);
    zt_ingest_close(s->feed);
}

/* Absolute form of path when it exists (realpath), else path unchanged. */
static void absolutize(char *path, size_t cap)
{
    char buf[PATH_MAX];
    if (realpath(path, buf) && strlen(buf) < cap) memcpy(path, buf, strlen(buf) + 1);
}

/* ZT_OK with *p, ZT_INGEST_END, ZT_EINVAL (skip this row), or fatal. */
static int source_next(struct source *s, struct zt_product *p)
{
    if (s->folder) {
        if (s->next >= s->ds.n) return ZT_INGEST_END;
        const struct zt_sample *sm = &s->ds.s[s->next++];
        zt_product_init(p);
        int rc;
        if ((rc = zt_product_set(p->id, sizeof p->id, "id", sm->id, (size_t)-1)) ||
            (rc = zt_product_set(p->cls, sizeof p->cls, "class", sm->cls, (size_t)-1)) ||
            (rc = zt_product_set(p->image_path, sizeof p->image_path, "image", sm->path,
                                 (size_t)-1))) {
            zt_adderr("%s", sm->path);
            return ZT_EINVAL;
        }
        snprintf(p->category, sizeof p->category, "%s",
                 zt_category_name(zt_category_of_class(sm->cls)));
        snprintf(p->title, sizeof p->title, "%s", sm->cls); /* colour added later */
        snprintf(p->currency, sizeof p->currency, "%s", s->currency);
        p->price = zt_demo_price_in(sm->id, s->currency);
        if (snprintf(p->url, sizeof p->url, "/product/%s", sm->id) >= (int)sizeof p->url) {
            zt_seterr("%s: id too long for a url", sm->path);
            return ZT_EINVAL;
        }
        absolutize(p->image_path, sizeof p->image_path);
        return ZT_OK;
    }
    int rc = zt_ingest_next(s->feed, p);
    if (rc) return rc;
    if (p->image_path[0] != '/') {
        char joined[PATH_MAX];
        if (zt_path_join(joined, sizeof joined, s->feed_dir, p->image_path) ||
            zt_product_set(p->image_path, sizeof p->image_path, "image", joined, (size_t)-1)) {
            zt_seterr("line %ld: image: path too long", zt_ingest_line(s->feed));
            return ZT_EINVAL;
        }
    }
    absolutize(p->image_path, sizeof p->image_path);
    return ZT_OK;
}

/* --- image work --- */

struct item {
    struct zt_product p;
    int need; /* compute features */
    int rc;
    char err[512];
    struct zt_features f;
    struct zt_buf media[ZT_MEDIA_KINDS]; /* encoded thumb, edges; the original file */
    float *emb_in; /* photo planes for the embedding (in work.emb_in) */
};

struct work {
    struct item *items;
    struct zt_embedder *emb; /* optional */
    int emb_size;
    float *emb_in, *emb_out;
    int folder;
    char thumbs[PATH_MAX], edges[PATH_MAX];
};

/* Removes "<name>.tmp.<pid>" files (zt_file_write_atomic's) of processes
 * that no longer run: an ingest killed mid-write leaves them behind. */
static void remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        const char *t = strstr(e->d_name, ".tmp.");
        char *end;
        if (!t) continue;
        long pid = strtol(t + 5, &end, 10);
        /* a live writer (or one we may not signal) keeps its file */
        if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char path[PATH_MAX + 256];
        if (zt_path_join(path, sizeof path, dir, e->d_name) == ZT_OK) unlink(path);
    }
    closedir(d);
}

/* Thumbnail: longer side at most 256, JPEG. */
static int encode_thumb(const struct zt_image *im, struct zt_buf *out)
{
    int w = im->w, h = im->h;
    struct zt_image t = {0};
    if (w > 256 || h > 256) {
        if (w >= h) h = ZT_MAX(1, (int)((int64_t)h * 256 / w)), w = 256;
        else w = ZT_MAX(1, (int)((int64_t)w * 256 / h)), h = 256;
    }
    int rc = zt_image_resize(im, w, h, &t);
    if (!rc) rc = zt_image_encode_jpeg(&t, 90, out);
    zt_image_free(&t);
    return rc;
}

/* The media an item stores: thumbnail, edge map, and the original file when
 * it is at most ZT_MEDIA_MAX (a larger one is served from image_path). */
static int encode_media(struct item *it, const struct zt_image *im, const struct zt_image *edges)
{
    int rc;
    if ((rc = encode_thumb(im, &it->media[ZT_MEDIA_THUMB])) ||
        (rc = zt_image_encode_png(edges, &it->media[ZT_MEDIA_EDGES])))
        return rc;
    rc = zt_file_read(it->p.image_path, ZT_MEDIA_MAX, &it->media[ZT_MEDIA_ORIGINAL]);
    if (rc == ZT_ETOOBIG) {
        zt_buf_deinit(&it->media[ZT_MEDIA_ORIGINAL]);
        zt_clearerr();
        rc = ZT_OK;
    }
    return rc;
}

static void item_deinit(struct item *it)
{
    for (int k = 0; k < ZT_MEDIA_KINDS; k++) zt_buf_deinit(&it->media[k]);
}

static int compute_item(void *ctx, int64_t i, int worker)
{
    (void)worker;
    struct work *wk = ctx;
    struct item *it = &wk->items[i];
    if (!it->need) return ZT_OK;
    struct zt_image im = {0};
    struct zt_pair pair = {0};
    struct zt_pair_opts po;
    zt_pair_opts_default(&po, ZT_FEAT_SIZE, ZT_EDGE_CANNY);
    char tp[ZT_PRODUCT_PATH_MAX + 16], ep[ZT_PRODUCT_PATH_MAX + 16];
    int rc;
    if ((rc = zt_image_load(it->p.image_path, 3, &po.lim, &im))) goto out;
    if ((rc = zt_pair_planes(&im, &po, &pair))) goto out;
    if ((rc = zt_features_product(&pair.photo, &pair.edges, &pair.mask, &it->f))) goto out;
    if (wk->emb && (rc = zt_embed_encode_photo(&pair.photo, wk->emb_size, it->emb_in))) goto out;
    if ((rc = encode_media(it, &im, &pair.edges))) goto out;
    /* the media are in the store (write_batch); the paths name them as a
     * catalogue before schema 3 kept them, relative to the media folder */
    snprintf(tp, sizeof tp, "thumbs/%s.jpg", it->p.id);
    snprintf(ep, sizeof ep, "edges/%s.png", it->p.id);
    if ((rc = zt_product_set(it->p.thumb_path, sizeof it->p.thumb_path, "thumb", tp, (size_t)-1)) ||
        (rc = zt_product_set(it->p.edge_path, sizeof it->p.edge_path, "edges", ep, (size_t)-1)))
        goto out;
    if (wk->folder) {
        /* "Navy pants": dominant colour name, capitalised, then the class */
        char title[ZT_PRODUCT_TITLE_MAX];
        const char *cn = zt_color_name(it->f.dom[0].lab);
        snprintf(title, sizeof title, "%c%s %s", toupper((unsigned char)cn[0]), cn + 1,
                 it->p.cls);
        snprintf(it->p.title, sizeof it->p.title, "%s", title);
    }
out:
    if (rc) {
        snprintf(it->err, sizeof it->err, "%s", zt_errmsg());
        if (!strstr(it->err, it->p.image_path))
            snprintf(it->err, sizeof it->err, "%s: %s", it->p.image_path, zt_errmsg());
    }
    it->rc = rc;
    zt_image_free(&im);
    zt_pair_deinit(&pair);
    return ZT_OK; /* one bad image must not stop the batch */
}

/* Features already current for p (same image, features of this version,
 * thumbnail in the store)? Then p keeps the stored derived data and title. */
static int up_to_date(struct zt_store *s, struct zt_product *p, int folder, uint64_t fp)
{
    struct zt_product old;
    if (zt_store_get(s, p->id, &old)) return 0;
    /* a catalogue from before the media table (files in the media folder)
     * is redone, which moves its media into the store */
    uint8_t *d = NULL;
    size_t len = 0;
    int ver = 0;
    if (strcmp(old.image_path, p->image_path) ||
        zt_store_media_get(s, p->id, ZT_MEDIA_THUMB, &d, &len)) {
        zt_clearerr();
        return 0;
    }
    free(d);
    d = NULL;
    int ok = !zt_store_feature_get(s, p->id, ZT_FEATURE_SEARCH, &ver, &d, &len) &&
             ver == ZT_FEAT_VERSION && len == sizeof(float) * ZT_FEAT_DIM;
    free(d);
    /* embedded by this model (or, without one, by none): else redone */
    enum zt_embed_origin org;
    if (ok && (zt_catalog_embed_origin(s, p->id, fp, &org) || org != ZT_EMBED_SAME)) ok = 0;
    zt_clearerr();
    if (ok && folder) memcpy(p->title, old.title, sizeof p->title);
    return ok;
}

static void reject(const struct zt_ingest_opts *o, struct zt_ingest_stats *st, const char *msg)
{
    st->rejected++;
    if (o->on_reject) o->on_reject(o->ctx, msg);
}

static int write_batch(struct zt_store *s, const struct zt_ingest_opts *o, struct item *items,
                       int nb, uint64_t fp, struct zt_ingest_stats *st)
{
    int rc = zt_store_begin(s);
    if (rc) return rc;
    for (int i = 0; i < nb; i++) {
        struct item *it = &items[i];
        if (it->rc) {
            reject(o, st, it->err);
            continue;
        }
        if ((rc = zt_store_upsert(s, &it->p))) {
            if (rc != ZT_EINVAL) goto fail;
            reject(o, st, zt_errmsg());
            continue;
        }
        if (it->need) {
            float dom[ZT_FEAT_NDOM * 4];
            for (int k = 0; k < ZT_FEAT_NDOM; k++) {
                memcpy(dom + 4 * k, it->f.dom[k].lab, sizeof(float) * 3);
                dom[4 * k + 3] = it->f.dom[k].weight;
            }
            if ((rc = zt_store_feature_put(s, it->p.id, ZT_FEATURE_SEARCH, ZT_FEAT_VERSION,
                                           it->f.v, sizeof it->f.v)) ||
                (rc = zt_store_feature_put(s, it->p.id, ZT_FEATURE_DOMINANT, ZT_FEAT_VERSION,
                                           dom, sizeof dom)) ||
                (rc = zt_catalog_embed_put(s, it->p.id, fp)))
                goto fail;
            /* the media in the product's transaction: a replica that sees
             * the product can serve its pictures */
            for (int k = 0; k < ZT_MEDIA_KINDS; k++)
                if (it->media[k].len && (rc = zt_store_media_put(s, it->p.id, k, it->media[k].data,
                                                                 it->media[k].len)))
                    goto fail;
            st->computed++;
        } else {
            st->unchanged++;
        }
        st->written++;
        if (o->on_written) o->on_written(o->ctx, st->written);
    }
    return zt_store_commit(s);
fail:
    zt_store_rollback(s);
    return rc;
}

/* The embedding of every computed product in the batch, in one pass. */
static int embed_batch(struct work *wk, int nb)
{
    const struct zt_embed_cfg *c = zt_embedder_cfg(wk->emb);
    size_t plane = (size_t)ZT_EMBED_PHOTO_CH * c->size * c->size;
    int n = 0, rc;
    for (int i = 0; i < nb; i++) { /* pack the computed items' inputs */
        struct item *it = &wk->items[i];
        if (!it->need || it->rc) continue;
        if (it->emb_in != wk->emb_in + n * plane) memcpy(wk->emb_in + n * plane, it->emb_in, plane * sizeof(float));
        n++;
    }
    if (!n) return ZT_OK;
    if ((rc = zt_embedder_run(wk->emb, ZT_TOWER_PHOTO, wk->emb_in, n, wk->emb_out, NULL))) return rc;
    for (int i = 0, k = 0; i < nb; i++) {
        struct item *it = &wk->items[i];
        if (!it->need || it->rc) continue;
        memcpy(it->f.v + ZT_FEAT_EMB_OFF, wk->emb_out + (size_t)k++ * ZT_FEAT_EMB_DIM,
               sizeof(float) * ZT_FEAT_EMB_DIM);
        it->f.has[ZT_SIG_EMBED] = 1;
    }
    return ZT_OK;
}

static int open_embedder(const struct zt_ingest_opts *o, int threads, int batch, struct work *wk)
{
    const char *path = zt_embed_model_resolve(o->embed_model);
    if (!*path) return ZT_OK;
    if (!(wk->emb = zt_embedder_open(path, threads))) return ZT_EFORMAT;
    const struct zt_embed_cfg *c = zt_embedder_cfg(wk->emb);
    if (c->dim != ZT_FEAT_EMB_DIM) {
        zt_seterr("%s: embedding of %d dimensions, the catalogue stores %d", path, c->dim,
                  ZT_FEAT_EMB_DIM);
        return ZT_EFORMAT;
    }
    wk->emb_size = c->size;
    size_t plane = (size_t)ZT_EMBED_PHOTO_CH * c->size * c->size;
    if (!(wk->emb_in = malloc(plane * (size_t)batch * sizeof(float))) ||
        !(wk->emb_out = malloc((size_t)batch * ZT_FEAT_EMB_DIM * sizeof(float)))) {
        zt_seterr("ingest: out of memory");
        return ZT_ENOMEM;
    }
    return ZT_OK;
}

int zt_catalog_ingest(const char *source, const struct zt_ingest_opts *o,
                      struct zt_ingest_stats *stp)
{
    struct zt_ingest_stats st = {0};
    struct source src;
    struct zt_store *s = NULL;
    struct zt_progress *pg = NULL;
    struct zt_index *ix = NULL;
    struct work wk = {0};
    double t0 = zt_now();
    int batch = o->batch > 0 ? o->batch : 64;
    int threads = o->threads > 0 ? o->threads : zt_threads_default();
    char media[PATH_MAX];
    const char *cur = o->currency && *o->currency ? o->currency : ZT_DEFAULT_CURRENCY;
    int rc = ZT_EINVAL;
    if (strlen(cur) != 3 || !isupper((unsigned char)cur[0]) || !isupper((unsigned char)cur[1]) ||
        !isupper((unsigned char)cur[2])) {
        zt_seterr("currency: '%.8s' is not a 3-letter code like KRW", cur);
        if (stp) *stp = st;
        return rc;
    }
    if ((rc = source_open(source, &src))) goto out;
    src.currency = cur;
    wk.folder = src.folder;
    if ((rc = zt_store_open(o->catalog, &s)) || (rc = zt_store_migrate(s))) goto out;
    if ((rc = zt_catalog_media_dir(o->catalog, media, sizeof media))) goto out;
    if ((rc = zt_path_join(wk.thumbs, sizeof wk.thumbs, media, "thumbs")) ||
        (rc = zt_path_join(wk.edges, sizeof wk.edges, media, "edges")) ||
        (rc = zt_mkdirs(wk.thumbs)) || (rc = zt_mkdirs(wk.edges)))
        goto out;
    remove_stale_tmp(wk.thumbs);
    remove_stale_tmp(wk.edges);
    /* the index files go before the first write: never a stale index */
    if ((rc = zt_catalog_index_invalidate(o->catalog))) goto out;
    rc = ZT_ENOMEM;
    if (!(wk.items = calloc((size_t)batch, sizeof *wk.items))) goto out;
    if ((rc = open_embedder(o, threads, batch, &wk))) goto out;
    pg = zt_progress_new("ingest", src.folder ? src.ds.n : 0, o->progress,
                         o->progress == NULL);
    for (int broken = 0; !broken;) {
        int nb = 0;
        while (nb < batch) {
            struct item *it = &wk.items[nb];
            item_deinit(it);
            memset(it, 0, sizeof *it);
            if (wk.emb) /* each item its own slot: workers write in parallel */
                it->emb_in = wk.emb_in + (size_t)nb * ZT_EMBED_PHOTO_CH * wk.emb_size * wk.emb_size;
            rc = source_next(&src, &it->p);
            if (rc == ZT_INGEST_END) break;
            if (rc == ZT_EINVAL) {
                reject(o, &st, zt_errmsg());
                continue;
            }
            /* a feed broken from the start (its header) fails as a whole */
            if (rc == ZT_ENOMEM || (rc && st.rows + st.rejected == 0)) goto out;
            if (rc) {
                /* the feed cannot be read past here (an unterminated quote,
                 * a record over the limit): reported as a rejected row, and
                 * the good rows before it are still stored */
                reject(o, &st, zt_errmsg());
                broken = 1;
                break;
            }
            st.rows++;
            nb++;
        }
        if (nb == 0) break;
        uint64_t fp = wk.emb ? zt_embedder_fingerprint(wk.emb) : 0;
        for (int i = 0; i < nb; i++)
            wk.items[i].need = o->force || !up_to_date(s, &wk.items[i].p, src.folder, fp);
        if ((rc = zt_parallel_for(nb, ZT_MIN(threads, nb), compute_item, &wk))) goto out;
        if (wk.emb && (rc = embed_batch(&wk, nb))) goto out;
        if ((rc = write_batch(s, o, wk.items, nb, fp, &st))) goto out;
        zt_progress_add(pg, nb);
    }
    /* the change log keeps the last ZT_INGEST_LOG_KEEP versions: a replica
     * further behind rebuilds in full */
    int64_t ver = 0;
    if ((rc = zt_store_catalog_version(s, &ver)) ||
        (ver > ZT_INGEST_LOG_KEEP && (rc = zt_store_changes_prune(s, ver - ZT_INGEST_LOG_KEEP))))
        goto out;
    /* the index of everything the store now holds */
    char ipath[PATH_MAX + 16];
    if ((rc = zt_index_from_store(s, &ix))) goto out;
    if ((rc = zt_path_join(ipath, sizeof ipath, media, "index.zti")) ||
        (rc = zt_index_save(ix, ipath)))
        goto out;
    st.indexed = zt_index_count(ix);
    rc = ZT_OK;
out:
    st.seconds = zt_now() - t0;
    if (stp) *stp = st;
    zt_progress_free(pg);
    zt_index_free(ix);
    for (int i = 0; wk.items && i < batch; i++) item_deinit(&wk.items[i]);
    free(wk.items);
    zt_embedder_close(wk.emb);
    free(wk.emb_in);
    free(wk.emb_out);
    zt_store_close(s);
    source_close(&src);
    return rc;
}
