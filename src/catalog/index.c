/* index.c: exact inner-product index: item storage (f32 vectors and their
 * f16 copy), filtered multi-threaded scan with per-thread top-k heaps, the
 * f16 scan with exact f32 rescoring, and the index file. */
#include "index.h"
#include "index_scan.h"
#include "../util/buf.h"
#include "../util/fs.h"
#include "../util/parallel.h"
#include "../util/zt.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct zt_index {
    int dim;
    int64_t n, cap;
    float *vec;       /* n * dim */
    uint16_t *half;   /* n * dim: vec rounded to f16 (the fast scan reads this) */
    double maxnorm;   /* largest |vec row| (L2): bounds the f16 rounding error */
    int half_ok;      /* every value finite and within f16 range */
    int scan;         /* enum zt_index_scan */
    int64_t par_min;  /* fewer stored floats: one thread */
    int64_t *price;   /* n */
    int32_t *cat;     /* n */
    int64_t *id_off;  /* n offsets into ids */
    char *ids;        /* NUL-terminated ids back to back */
    int64_t ids_len, ids_cap;
    int sorted;       /* ids added in strictly increasing order */
};

int zt_index_new(int dim, struct zt_index **out)
{
    *out = NULL;
    if (dim < 1 || dim > 65536) {
        zt_seterr("index: dimension %d outside 1..65536", dim);
        return ZT_EINVAL;
    }
    struct zt_index *ix = calloc(1, sizeof *ix);
    if (!ix) {
        zt_seterr("index: out of memory");
        return ZT_ENOMEM;
    }
    ix->dim = dim;
    ix->sorted = 1;
    ix->half_ok = 1;
    ix->par_min = ZT_INDEX_PARALLEL_MIN;
    *out = ix;
    return ZT_OK;
}

void zt_index_free(struct zt_index *ix)
{
    if (!ix) return;
    free(ix->vec);
    free(ix->half);
    free(ix->price);
    free(ix->cat);
    free(ix->id_off);
    free(ix->ids);
    free(ix);
}

/* Asks for transparent huge pages over the 2 MiB-aligned inside of a large
 * array: first touching a 765 MB index (100k items at d = 1232) in 4 KiB
 * pages spent about half of a rebuild in page faults on a VM (perf, see
 * docs/internals/scale.md). Advice only: where the kernel says no, nothing
 * changes. */
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), b = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (b > a) madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)p, (void)bytes;
#endif
}

static int grow(void **p, size_t elem, int64_t n)
{
    void *q = realloc(*p, elem * (size_t)n);
    if (!q) return ZT_ENOMEM;
    *p = q;
    advise_huge(q, elem * (size_t)n);
    return ZT_OK;
}

int zt_index_reserve(struct zt_index *ix, int64_t n)
{
    if (n <= ix->cap) return ZT_OK;
    if (grow((void **)&ix->vec, sizeof(float) * (size_t)ix->dim, n) ||
        grow((void **)&ix->half, sizeof(uint16_t) * (size_t)ix->dim, n) ||
        grow((void **)&ix->price, sizeof(int64_t), n) || grow((void **)&ix->cat, sizeof(int32_t), n) ||
        grow((void **)&ix->id_off, sizeof(int64_t), n)) {
        zt_seterr("index: out of memory for %lld items", (long long)n);
        return ZT_ENOMEM;
    }
    ix->cap = n;
    return ZT_OK;
}

/* Fills the f16 copy of rows [i0, i0 + m) and updates maxnorm / half_ok. */
static void note_rows(struct zt_index *ix, int64_t i0, int64_t m)
{
    const size_t d = (size_t)ix->dim;
    zt_f16_from_f32(ix->vec + (size_t)i0 * d, (size_t)m * d, ix->half + (size_t)i0 * d);
    for (int64_t i = i0; i < i0 + m; i++) {
        const float *r = ix->vec + (size_t)i * d;
        double s = 0;
        for (size_t j = 0; j < d; j++) {
            if (!(fabsf(r[j]) <= 65504.0f)) ix->half_ok = 0; /* also NaN */
            s += (double)r[j] * r[j];
        }
        if (sqrt(s) > ix->maxnorm) ix->maxnorm = sqrt(s);
    }
}

int zt_index_set_scan(struct zt_index *ix, int mode)
{
    if (mode < ZT_INDEX_SCAN_AUTO || mode > ZT_INDEX_SCAN_F16) {
        zt_seterr("index: unknown scan mode %d", mode);
        return ZT_EINVAL;
    }
    ix->scan = mode;
    return ZT_OK;
}

void zt_index_set_parallel_min(struct zt_index *ix, int64_t floats)
{
    ix->par_min = floats < 0 ? ZT_INDEX_PARALLEL_MIN : floats;
}

int zt_index_add(struct zt_index *ix, const char *id, int category, int64_t price, const float *v)
{
    size_t len = strlen(id);
    if (len == 0 || len > 128) {
        zt_seterr("index: id must be 1-128 bytes");
        return ZT_EINVAL;
    }
    if (ix->n == ix->cap) {
        int rc = zt_index_reserve(ix, ix->cap ? ix->cap * 2 : 1024);
        if (rc) return rc;
    }
    if (ix->ids_len + (int64_t)len + 1 > ix->ids_cap) {
        int64_t c = ix->ids_cap ? ix->ids_cap * 2 : 16384;
        while (c < ix->ids_len + (int64_t)len + 1) c *= 2;
        if (grow((void **)&ix->ids, 1, c)) {
            zt_seterr("index: out of memory");
            return ZT_ENOMEM;
        }
        ix->ids_cap = c;
    }
    if (ix->n > 0 && ix->sorted && strcmp(ix->ids + ix->id_off[ix->n - 1], id) >= 0) ix->sorted = 0;
    memcpy(ix->ids + ix->ids_len, id, len + 1);
    ix->id_off[ix->n] = ix->ids_len;
    ix->ids_len += (int64_t)len + 1;
    memcpy(ix->vec + (size_t)ix->n * ix->dim, v, sizeof(float) * (size_t)ix->dim);
    note_rows(ix, ix->n, 1);
    ix->price[ix->n] = price;
    ix->cat[ix->n] = category;
    ix->n++;
    return ZT_OK;
}

int zt_index_append(struct zt_index *ix, const struct zt_index *src, int64_t i0, int64_t m)
{
    if (src->dim != ix->dim || i0 < 0 || m < 0 || i0 + m > src->n) {
        zt_seterr("index: append of items %lld..%lld (of %lld, dimension %d to %d)",
                  (long long)i0, (long long)(i0 + m), (long long)src->n, src->dim, ix->dim);
        return ZT_EINVAL;
    }
    if (m == 0) return ZT_OK;
    int rc = ix->n + m > ix->cap ? zt_index_reserve(ix, ix->n + m) : ZT_OK;
    if (rc) return rc;
    int64_t a = src->id_off[i0], b = i0 + m < src->n ? src->id_off[i0 + m] : src->ids_len;
    if (ix->ids_len + (b - a) > ix->ids_cap) {
        int64_t c = ix->ids_cap ? ix->ids_cap : 16384;
        while (c < ix->ids_len + (b - a)) c *= 2;
        if (grow((void **)&ix->ids, 1, c)) {
            zt_seterr("index: out of memory");
            return ZT_ENOMEM;
        }
        ix->ids_cap = c;
    }
    if (!src->sorted || (ix->n > 0 && strcmp(ix->ids + ix->id_off[ix->n - 1], src->ids + a) >= 0))
        ix->sorted = 0;
    memcpy(ix->ids + ix->ids_len, src->ids + a, (size_t)(b - a));
    for (int64_t k = 0; k < m; k++) ix->id_off[ix->n + k] = src->id_off[i0 + k] - a + ix->ids_len;
    ix->ids_len += b - a;
    const size_t d = (size_t)ix->dim;
    memcpy(ix->vec + (size_t)ix->n * d, src->vec + (size_t)i0 * d, sizeof(float) * d * (size_t)m);
    memcpy(ix->half + (size_t)ix->n * d, src->half + (size_t)i0 * d, sizeof(uint16_t) * d * (size_t)m);
    memcpy(ix->price + ix->n, src->price + i0, sizeof(int64_t) * (size_t)m);
    memcpy(ix->cat + ix->n, src->cat + i0, sizeof(int32_t) * (size_t)m);
    /* src's bounds hold for any subset of its rows (maybe loosely: a looser
     * bound only keeps more candidates for the exact rescoring) */
    if (src->maxnorm > ix->maxnorm) ix->maxnorm = src->maxnorm;
    if (!src->half_ok) ix->half_ok = 0;
    ix->n += m;
    return ZT_OK;
}

int64_t zt_index_count(const struct zt_index *ix) { return ix->n; }
int zt_index_dim(const struct zt_index *ix) { return ix->dim; }
const char *zt_index_id(const struct zt_index *ix, int64_t i) { return ix->ids + ix->id_off[i]; }
int zt_index_category(const struct zt_index *ix, int64_t i) { return ix->cat[i]; }
int64_t zt_index_price(const struct zt_index *ix, int64_t i) { return ix->price[i]; }
const float *zt_index_vector(const struct zt_index *ix, int64_t i)
{
    return ix->vec + (size_t)i * ix->dim;
}

int64_t zt_index_find(const struct zt_index *ix, const char *id)
{
    if (ix->sorted) {
        int64_t lo = 0, hi = ix->n - 1;
        while (lo <= hi) {
            int64_t mid = lo + (hi - lo) / 2;
            int c = strcmp(zt_index_id(ix, mid), id);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }
    for (int64_t i = 0; i < ix->n; i++)
        if (!strcmp(zt_index_id(ix, i), id)) return i;
    return -1;
}

int zt_index_match(const struct zt_index *ix, int64_t i, const struct zt_index_filter *f)
{
    if (!f) return 1;
    if (f->category >= 0 && ix->cat[i] != f->category) return 0;
    if (f->group_mask && (ix->cat[i] < 0 || ix->cat[i] >= 64 || !((f->group_mask >> ix->cat[i]) & 1)))
        return 0;
    if (ix->price[i] < f->price_min) return 0;
    if (f->has_price_max && ix->price[i] > f->price_max) return 0;
    return 1;
}

/* --- top-k --- */

/* a ranks before b */
static int better(const struct zt_hit *a, const struct zt_hit *b)
{
    return a->score > b->score || (a->score == b->score && a->idx < b->idx);
}

void zt_topk_init(struct zt_topk *t, struct zt_hit *room, int k)
{
    t->k = k;
    t->n = 0;
    t->h = room;
}

/* min-heap on "better": the root is the worst kept hit */
static void sift_down(struct zt_hit *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && better(&h[w], &h[l])) w = l;
        if (r < n && better(&h[w], &h[r])) w = r;
        if (w == i) return;
        struct zt_hit t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

void zt_topk_push(struct zt_topk *t, int64_t idx, float score)
{
    struct zt_hit x = {idx, score};
    if (t->n < t->k) {
        int i = t->n++;
        t->h[i] = x;
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!better(&t->h[p], &t->h[i])) break;
            struct zt_hit tmp = t->h[p];
            t->h[p] = t->h[i];
            t->h[i] = tmp;
            i = p;
        }
    } else if (t->k > 0 && better(&x, &t->h[0])) {
        t->h[0] = x;
        sift_down(t->h, t->n, 0);
    }
}

static int cmp_hit(const void *a, const void *b)
{
    const struct zt_hit *x = a, *y = b;
    return better(x, y) ? -1 : better(y, x) ? 1 : 0;
}

int zt_topk_sort(struct zt_topk *t)
{
    qsort(t->h, (size_t)t->n, sizeof *t->h, cmp_hit);
    return t->n;
}

/* --- scan --- */

static int pick_threads(const struct zt_index *ix, int nthreads)
{
    if (nthreads <= 0) nthreads = zt_threads_default();
    /* small scans are not worth waking threads (see ZT_INDEX_PARALLEL_MIN) */
    if (ix->n * (int64_t)ix->dim < ix->par_min) return 1;
    return ZT_MIN(nthreads, 256);
}

void zt_index_scores(const struct zt_index *ix, const float *q, int nthreads, float *scores)
{
    int nt = pick_threads(ix, nthreads);
    const int64_t n = ix->n;
    const int d = ix->dim;
    enum { ROWS = 4096 };
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (int64_t b = 0; b < n; b += ROWS)
        zt_scan_f32(ix->vec + (size_t)b * d, ZT_MIN(ROWS, n - b), d, q, scores + b);
}

/* Scans every row (f32 or its f16 copy) into per-thread heaps of the k
 * best passing items; heaps[t] gets room + t * k. Rows go out in chunks of
 * CHUNK blocks, dynamically: on a shared machine a descheduled thread does
 * not hold the whole query up. Returns how many items pass f. */
static int64_t scan(const struct zt_index *ix, const float *q, const struct zt_index_filter *f,
                    int use_half, int nt, int k, struct zt_hit *room, struct zt_topk *heaps)
{
    enum { BLK = 256, CHUNK = 16 };
    const int64_t n = ix->n, nblk = (n + BLK - 1) / BLK;
    const int d = ix->dim;
    const int any = !f;
    int64_t matched = 0;
#pragma omp parallel num_threads(nt) reduction(+ : matched)
    {
        int t = omp_get_thread_num();
        struct zt_topk *tk = &heaps[t];
        zt_topk_init(tk, room + (size_t)t * k, k);
        float sc[BLK];
#pragma omp for schedule(dynamic, CHUNK)
        for (int64_t b = 0; b < nblk; b++) {
            const int64_t i0 = b * BLK, m = ZT_MIN(BLK, n - i0);
            if (use_half) zt_scan_f16(ix->half + (size_t)i0 * d, m, d, q, sc);
            else zt_scan_f32(ix->vec + (size_t)i0 * d, m, d, q, sc);
            for (int64_t j = 0; j < m; j++) {
                if (!any && !zt_index_match(ix, i0 + j, f)) continue;
                matched++;
                if (tk->n == tk->k && sc[j] < tk->h[0].score) continue; /* the common case */
                zt_topk_push(tk, i0 + j, sc[j]);
            }
        }
    }
    return matched;
}

/* Merges the per-thread heaps into all (capacity k, room given); *dropped
 * gets the best score any item left out of all can have (-inf: none left
 * out). A heap that was full dropped only items no better than its root. */
static int merge(struct zt_topk *heaps, int nt, struct zt_topk *all, double *dropped)
{
    double worst = -INFINITY;
    int64_t pushed = 0;
    for (int t = 0; t < nt; t++) {
        if (heaps[t].n == heaps[t].k && heaps[t].n > 0) worst = fmax(worst, heaps[t].h[0].score);
        for (int i = 0; i < heaps[t].n; i++) zt_topk_push(all, heaps[t].h[i].idx, heaps[t].h[i].score);
        pushed += heaps[t].n;
    }
    if (pushed > all->k) worst = fmax(worst, all->h[0].score);
    *dropped = worst;
    return zt_topk_sort(all);
}

/* Whether this search reads the f16 copy. */
static int use_half(const struct zt_index *ix, const float *q)
{
    if (ix->scan == ZT_INDEX_SCAN_F32 || !ix->half_ok) return 0;
    if (ix->scan == ZT_INDEX_SCAN_AUTO &&
        (!zt_scan_fast() || ix->n * (int64_t)ix->dim < ZT_INDEX_F16_MIN))
        return 0;
    for (int j = 0; j < ix->dim; j++)
        if (!isfinite(q[j])) return 0;
    return 1;
}

/* Bound on |f16 score - f32 score| for any item: f16 rounding is at most
 * 2^-11 relative (plus 2^-25 absolute for subnormals) per value, f32
 * accumulation of d products at most about (d + 8) 2^-24 relative, for
 * each of the two scores; sum |q_j v_j| <= |q| |v| (Cauchy-Schwarz) and
 * sum |q_j| <= sqrt(d) |q|. 5% slack. */
static double half_error(const struct zt_index *ix, const float *q)
{
    double qn = 0;
    for (int j = 0; j < ix->dim; j++) qn += (double)q[j] * q[j];
    qn = sqrt(qn);
    double rel = 0x1p-11 + 2.0 * (ix->dim + 8) * 0x1p-24;
    return 1.05 * (rel * qn * ix->maxnorm + 0x1p-25 * sqrt((double)ix->dim) * qn);
}

int zt_index_search(const struct zt_index *ix, const float *q, const struct zt_index_filter *f,
                    int64_t offset, int limit, int nthreads, struct zt_hit *hits, int *nhits,
                    int64_t *nmatch)
{
    *nhits = 0;
    if (limit < 1 || limit > 10000 || offset < 0 || offset + limit > 100000) {
        zt_seterr("index: limit must be 1..10000 and offset + limit at most 100000");
        return ZT_EINVAL;
    }
    const int k = (int)(offset + limit);
    const int nt = pick_threads(ix, nthreads);
    int half = use_half(ix, q);
    /* the f16 pass keeps extra candidates for the exact rescoring */
    const int kk = half ? 2 * k + 32 : k;
    struct zt_hit *room = malloc(sizeof *room * (size_t)kk * (size_t)(nt + 1));
    if (!room) {
        zt_seterr("index: out of memory");
        return ZT_ENOMEM;
    }
    struct zt_topk heaps[256], all;
    int64_t matched = scan(ix, q, f, half, nt, kk, room, heaps);
    zt_topk_init(&all, room + (size_t)nt * kk, kk);
    double dropped;
    int got = merge(heaps, nt, &all, &dropped);
    if (half) {
        /* Every item of the exact top k has an f16 score >= s_k - 2E (s_k:
         * the k-th best f16 score, E: half_error): the k best by f16 score
         * all score >= s_k - E exactly. If the candidates hold every item
         * above that line, rescoring them exactly gives the exact answer;
         * otherwise (many near-ties: duplicates) scan the f32 rows. */
        double line = got >= k ? all.h[k - 1].score - 2 * half_error(ix, q) : -INFINITY;
        if (dropped >= line && dropped > -INFINITY) {
            matched = scan(ix, q, f, 0, nt, k, room, heaps);
            zt_topk_init(&all, room + (size_t)nt * k, k);
            got = merge(heaps, nt, &all, &dropped);
        } else {
            struct zt_topk ex;
            zt_topk_init(&ex, room, k); /* the thread heaps are no longer needed */
            for (int i = 0; i < got && all.h[i].score >= line; i++) {
                float s;
                zt_scan_f32(ix->vec + (size_t)all.h[i].idx * ix->dim, 1, ix->dim, q, &s);
                zt_topk_push(&ex, all.h[i].idx, s);
            }
            got = zt_topk_sort(&ex);
            all = ex;
        }
    }
    int w = 0;
    for (int i = (int)offset; i < got; i++) hits[w++] = all.h[i];
    *nhits = w;
    if (nmatch) *nmatch = matched;
    free(room);
    return ZT_OK;
}

/* --- file --- */

#define MAGIC "ZTIX"
#define FILE_VERSION 1u

struct file_header {
    char magic[4];
    uint32_t version;
    uint32_t dim;
    uint32_t reserved;
    int64_t n;
    int64_t ids_len;
};

int zt_index_save(const struct zt_index *ix, const char *path)
{
    struct file_header h = {{'Z', 'T', 'I', 'X'}, FILE_VERSION, (uint32_t)ix->dim, 0, ix->n,
                            ix->ids_len};
    size_t n = (size_t)ix->n;
    const struct zt_part parts[] = {
        {&h, sizeof h},
        {ix->price, n * sizeof(int64_t)},
        {ix->cat, n * sizeof(int32_t)},
        {ix->id_off, n * sizeof(int64_t)},
        {ix->ids, (size_t)ix->ids_len},
        {ix->vec, n * (size_t)ix->dim * sizeof(float)},
    };
    return zt_file_write_atomic_parts(path, parts, (int)(sizeof parts / sizeof *parts));
}

static int read_all(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n ? 0 : -1; }

int zt_index_load(const char *path, struct zt_index **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        zt_seterr("%s: %s", path, strerror(errno));
        return errno == ENOENT ? ZT_ENOTFOUND : ZT_EIO;
    }
    struct zt_index *ix = NULL;
    struct file_header h;
    int rc = ZT_EFORMAT;
    if (read_all(f, &h, sizeof h) || memcmp(h.magic, MAGIC, 4) || h.version != FILE_VERSION) {
        zt_seterr("%s: not a ztyle index file (v%u)", path, FILE_VERSION);
        goto fail;
    }
    if (h.n < 0 || h.ids_len < 0 || h.dim < 1 || h.dim > 65536 || h.n > (INT64_C(1) << 34) ||
        h.ids_len > h.n * 129) {
        zt_seterr("%s: corrupt index header", path);
        goto fail;
    }
    /* the sizes must add up to the file's length before anything is allocated */
    if (fseeko(f, 0, SEEK_END) != 0) goto io;
    int64_t want = (int64_t)sizeof h + h.n * (8 + 4 + 8) + h.ids_len + h.n * (int64_t)h.dim * 4;
    if ((int64_t)ftello(f) != want) {
        zt_seterr("%s: truncated or corrupt index (%lld bytes, want %lld)", path,
                  (long long)ftello(f), (long long)want);
        goto fail;
    }
    if (fseeko(f, (off_t)sizeof h, SEEK_SET) != 0) goto io;
    if ((rc = zt_index_new((int)h.dim, &ix))) goto fail;
    if (h.n && (rc = zt_index_reserve(ix, h.n))) goto fail;
    rc = ZT_ENOMEM;
    if (h.ids_len && !(ix->ids = malloc((size_t)h.ids_len))) goto fail;
    ix->ids_cap = h.ids_len;
    size_t n = (size_t)h.n;
    if (read_all(f, ix->price, n * 8) || read_all(f, ix->cat, n * 4) ||
        read_all(f, ix->id_off, n * 8) || read_all(f, ix->ids, (size_t)h.ids_len) ||
        read_all(f, ix->vec, n * h.dim * sizeof(float)))
        goto io;
    ix->n = h.n;
    ix->ids_len = h.ids_len;
    note_rows(ix, 0, h.n);
    /* every id must lie inside the pool and end with its NUL */
    for (int64_t i = 0; i < h.n; i++) {
        int64_t o = ix->id_off[i];
        if (o < 0 || o >= h.ids_len || !memchr(ix->ids + o, 0, (size_t)(h.ids_len - o))) {
            zt_seterr("%s: corrupt id table", path);
            rc = ZT_EFORMAT;
            goto fail;
        }
        if (i > 0 && strcmp(ix->ids + ix->id_off[i - 1], ix->ids + o) >= 0) ix->sorted = 0;
    }
    fclose(f);
    *out = ix;
    return ZT_OK;
io:
    zt_seterr("%s: read failed", path);
    rc = ZT_EIO;
fail:
    zt_index_free(ix);
    fclose(f);
    return rc;
}
