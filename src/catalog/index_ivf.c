/* index_ivf.c: approximate search on an inverted file (see index_ivf.h):
 * k-means cells (FAISS), f16 rows grouped by cell, probe + scan + exact
 * rescoring, and the .ivf file. */
#include "index_ivf.h"
#include "faiss_shim.h"
#include "index_scan.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/zt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zt_ivf {
    int d, nlist, nprobe;
    int64_t n;
    float *cent;    /* nlist x d centroids */
    int64_t *off;   /* nlist + 1: cell c holds rows [off[c], off[c + 1]) */
    int64_t *perm;  /* n: row r (cell order) is item perm[r] of the index */
    uint16_t *rows; /* n x d: the items' vectors as f16, in cell order */
};

void zt_ivf_free(struct zt_ivf *v)
{
    if (!v) return;
    free(v->cent);
    free(v->off);
    free(v->perm);
    free(v->rows);
    free(v);
}

static struct zt_ivf *ivf_alloc(int d, int nlist, int64_t n)
{
    struct zt_ivf *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->d = d, v->nlist = nlist, v->n = n;
    v->nprobe = ZT_MIN(nlist, ZT_MAX(8, nlist / 64));
    v->cent = malloc(sizeof(float) * (size_t)nlist * d);
    v->off = calloc((size_t)nlist + 1, sizeof(int64_t));
    v->perm = malloc(sizeof(int64_t) * (size_t)n);
    v->rows = malloc(sizeof(uint16_t) * (size_t)n * d);
    if (!v->cent || !v->off || !v->perm || !v->rows) {
        zt_ivf_free(v);
        return NULL;
    }
    return v;
}

/* The f16 rows in cell order, from the index's f32 vectors. */
static void fill_rows(struct zt_ivf *v, const struct zt_index *ix)
{
    for (int64_t r = 0; r < v->n; r++)
        zt_f16_from_f32(zt_index_vector(ix, v->perm[r]), (size_t)v->d, v->rows + (size_t)r * v->d);
}

int zt_ivf_build(const struct zt_index *ix, int nlist, struct zt_ivf **out)
{
    *out = NULL;
    const int64_t n = zt_index_count(ix);
    const int d = zt_index_dim(ix);
    if (n < 1) {
        zt_seterr("ivf: the index is empty");
        return ZT_EINVAL;
    }
    if (nlist <= 0) nlist = (int)(2 * sqrt((double)n));
    nlist = (int)ZT_CLAMP((int64_t)nlist, 1, ZT_MIN(n, 1 << 20));
    struct zt_ivf *v = ivf_alloc(d, nlist, n);
    struct zt_faiss *quant = NULL;
    float *train = NULL, *sc = NULL;
    int64_t *cell = NULL;
    int rc = ZT_ENOMEM;
    if (!v) goto fail;
    /* k-means on a strided sample */
    int64_t ntrain = ZT_MIN(n, (int64_t)nlist * 40), stride = n / ntrain;
    if (!(train = malloc(sizeof(float) * (size_t)ntrain * d))) goto fail;
    for (int64_t i = 0; i < ntrain; i++)
        memcpy(train + (size_t)i * d, zt_index_vector(ix, i * stride), sizeof(float) * (size_t)d);
    if ((rc = zt_faiss_kmeans(d, ntrain, train, nlist, 10, 1, v->cent))) goto fail;
    /* every item to its best cell (FAISS flat search: BLAS for many queries) */
    rc = ZT_ENOMEM;
    if (!(sc = malloc(sizeof(float) * (size_t)n)) || !(cell = malloc(sizeof(int64_t) * (size_t)n)))
        goto fail;
    if ((rc = zt_faiss_new("Flat", d, &quant)) || (rc = zt_faiss_add(quant, nlist, v->cent)) ||
        (rc = zt_faiss_search(quant, n, zt_index_vector(ix, 0), 1, sc, cell)))
        goto fail;
    /* counting sort by cell: items keep their index order inside a cell */
    for (int64_t i = 0; i < n; i++) {
        if (cell[i] < 0 || cell[i] >= nlist) cell[i] = 0; /* NaN vectors */
        v->off[cell[i] + 1]++;
    }
    for (int c = 0; c < nlist; c++) v->off[c + 1] += v->off[c];
    for (int64_t i = 0; i < n; i++) v->perm[v->off[cell[i]]++] = i;
    for (int c = nlist; c > 0; c--) v->off[c] = v->off[c - 1];
    v->off[0] = 0;
    fill_rows(v, ix);
    rc = ZT_OK;
    *out = v;
    v = NULL;
fail:
    if (rc == ZT_ENOMEM && !*zt_errmsg()) zt_seterr("ivf: out of memory");
    zt_faiss_free(quant);
    free(train);
    free(sc);
    free(cell);
    zt_ivf_free(v);
    return rc;
}

int zt_ivf_set_nprobe(struct zt_ivf *v, int nprobe)
{
    v->nprobe = ZT_CLAMP(nprobe, 1, v->nlist);
    return ZT_OK;
}

int zt_ivf_nlist(const struct zt_ivf *v) { return v->nlist; }

/* Partial sort of the nlist cells: the first m of order[] best first.
 * Uses a top-k heap (no global state: searches run in parallel). */
static void best_cells(const float *cs, int nlist, int m, int *order, struct zt_hit *room)
{
    struct zt_topk t;
    zt_topk_init(&t, room, m);
    for (int c = 0; c < nlist; c++) zt_topk_push(&t, c, cs[c]);
    int got = zt_topk_sort(&t);
    for (int i = 0; i < got; i++) order[i] = (int)t.h[i].idx;
}

int zt_ivf_search(const struct zt_ivf *v, const struct zt_index *ix, const float *q,
                  const struct zt_index_filter *f, int64_t offset, int limit,
                  struct zt_hit *hits, int *nhits)
{
    *nhits = 0;
    if (limit < 1 || limit > 10000 || offset < 0 || offset + limit > 100000) {
        zt_seterr("ivf: limit must be 1..10000 and offset + limit at most 100000");
        return ZT_EINVAL;
    }
    if (v->n != zt_index_count(ix) || v->d != zt_index_dim(ix)) {
        zt_seterr("ivf: built over %lld items, the index has %lld", (long long)v->n,
                  (long long)zt_index_count(ix));
        return ZT_EINVAL;
    }
    const int d = v->d, need = (int)(offset + limit), kk = 2 * need + 32;
    enum { BLK = 256 };
    float *cs = malloc(sizeof(float) * ((size_t)v->nlist + BLK));
    int *order = malloc(sizeof(int) * (size_t)v->nlist);
    struct zt_hit *room = malloc(sizeof(struct zt_hit) * ((size_t)kk + need + v->nlist));
    if (!cs || !order || !room) {
        free(cs), free(order), free(room);
        zt_seterr("ivf: out of memory");
        return ZT_ENOMEM;
    }
    float *sc = cs + v->nlist;
    zt_scan_f32(v->cent, v->nlist, d, q, cs);
    /* probe nprobe cells; while too few items pass the filter, twice as many */
    struct zt_topk cand;
    zt_topk_init(&cand, room, kk);
    int64_t matched = 0;
    int probed = 0, want = v->nprobe;
    for (;;) {
        best_cells(cs, v->nlist, want, order, room + kk + need);
        for (; probed < want; probed++) {
            int c = order[probed];
            for (int64_t r0 = v->off[c]; r0 < v->off[c + 1]; r0 += BLK) {
                int64_t m = ZT_MIN(BLK, v->off[c + 1] - r0);
                zt_scan_f16(v->rows + (size_t)r0 * d, m, d, q, sc);
                for (int64_t j = 0; j < m; j++) {
                    int64_t pos = v->perm[r0 + j];
                    if (f && !zt_index_match(ix, pos, f)) continue;
                    matched++;
                    zt_topk_push(&cand, pos, sc[j]);
                }
            }
        }
        if (matched >= need || want >= v->nlist) break;
        want = ZT_MIN(v->nlist, want * 2);
    }
    /* the candidates rescored exactly on the f32 rows */
    struct zt_topk best;
    zt_topk_init(&best, room + kk, need);
    for (int i = 0; i < cand.n; i++) {
        float s;
        zt_scan_f32(zt_index_vector(ix, cand.h[i].idx), 1, d, q, &s);
        zt_topk_push(&best, cand.h[i].idx, s);
    }
    int got = zt_topk_sort(&best), w = 0;
    for (int i = (int)offset; i < got; i++) hits[w++] = best.h[i];
    *nhits = w;
    free(cs), free(order), free(room);
    return ZT_OK;
}

/* --- file --- */

struct ivf_header {
    char magic[4];
    uint32_t version;
    uint32_t dim;
    uint32_t nlist;
    int64_t n;
    uint32_t nprobe;
    uint32_t reserved;
};

int zt_ivf_save(const struct zt_ivf *v, const char *path)
{
    struct ivf_header h = {{'Z', 'T', 'I', 'V'}, 1, (uint32_t)v->d, (uint32_t)v->nlist, v->n,
                           (uint32_t)v->nprobe, 0};
    size_t nc = (size_t)v->nlist;
    const struct zt_part parts[] = {
        {&h, sizeof h},
        {v->cent, sizeof(float) * (size_t)v->d * nc},
        {v->off, sizeof(int64_t) * (nc + 1)},
        {v->perm, sizeof(int64_t) * (size_t)v->n},
    };
    return zt_file_write_atomic_parts(path, parts, (int)(sizeof parts / sizeof *parts));
}

int zt_ivf_load(const char *path, const struct zt_index *ix, struct zt_ivf **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        zt_seterr("%s: %s", path, strerror(errno));
        return errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO;
    }
    struct zt_ivf *v = NULL;
    uint8_t *seen = NULL;
    struct ivf_header h;
    int rc = ZT_EFORMAT;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, "ZTIV", 4) || h.version != 1) {
        zt_seterr("%s: not a ztyle approximate index (v1)", path);
        goto fail;
    }
    if ((int64_t)h.dim != zt_index_dim(ix) || h.n != zt_index_count(ix) || h.nlist < 1 ||
        (int64_t)h.nlist > h.n) {
        zt_seterr("%s: approximate index out of step with the catalogue (%lld items, %lld)",
                  path, (long long)h.n, (long long)zt_index_count(ix));
        goto fail;
    }
    if (fseeko(f, 0, SEEK_END) != 0) goto fail;
    int64_t want = (int64_t)sizeof h + (int64_t)h.nlist * h.dim * 4 + ((int64_t)h.nlist + 1) * 8 +
                   h.n * 8;
    if ((int64_t)ftello(f) != want || fseeko(f, (off_t)sizeof h, SEEK_SET) != 0) {
        zt_seterr("%s: truncated or corrupt approximate index", path);
        goto fail;
    }
    rc = ZT_ENOMEM;
    if (!(v = ivf_alloc((int)h.dim, (int)h.nlist, h.n)) || !(seen = calloc((size_t)h.n, 1))) {
        zt_seterr("ivf: out of memory");
        goto fail;
    }
    size_t nc = h.nlist;
    if (fread(v->cent, sizeof(float) * h.dim, nc, f) != nc ||
        fread(v->off, sizeof(int64_t), nc + 1, f) != nc + 1 ||
        fread(v->perm, sizeof(int64_t), (size_t)h.n, f) != (size_t)h.n) {
        zt_seterr("%s: read failed", path);
        rc = ZT_EIO;
        goto fail;
    }
    /* offsets rise from 0 to n; positions are a permutation of 0..n-1 */
    rc = ZT_EFORMAT;
    int ok = v->off[0] == 0 && v->off[nc] == h.n;
    for (size_t c = 0; ok && c < nc; c++) ok = v->off[c] <= v->off[c + 1];
    for (int64_t r = 0; ok && r < h.n; r++) {
        ok = v->perm[r] >= 0 && v->perm[r] < h.n && !seen[v->perm[r]];
        if (ok) seen[v->perm[r]] = 1;
    }
    for (size_t i = 0; ok && i < nc * h.dim; i++) ok = isfinite(v->cent[i]);
    if (!ok) {
        zt_seterr("%s: corrupt approximate index tables", path);
        goto fail;
    }
    v->nprobe = (int)ZT_CLAMP((int64_t)h.nprobe, 1, (int64_t)h.nlist);
    fill_rows(v, ix);
    free(seen);
    fclose(f);
    *out = v;
    return ZT_OK;
fail:
    free(seen);
    zt_ivf_free(v);
    fclose(f);
    return rc;
}
