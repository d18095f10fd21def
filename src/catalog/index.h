/* index.h: the vector index of the catalogue: n items, each an id, a
 * category, a price and a d-dimensional f32 vector, searched by inner
 * product. Exact search (a full scan, multi-threaded, with filters and a
 * top-k heap) is the reference and the default; index_ivf.h adds an
 * approximate index on FAISS for large catalogues. Persisted as one file.
 *
 * Threading: building (add, load) is single-threaded; once built, search
 * and the getters only read, so any number of threads may search one index
 * at the same time. */
#ifndef ZT_INDEX_H
#define ZT_INDEX_H

#include <stdint.h>

struct zt_index;

/* Search filter; {-1, 0, 0, 0} (zt_index_filter_any) matches every item. */
struct zt_index_filter {
    int category;      /* enum zt_category, or -1 = any */
    int64_t price_min; /* minor units, inclusive */
    int64_t price_max; /* inclusive, when has_price_max */
    int has_price_max;
    uint64_t group_mask; /* 0 = any; else bit g set for every group (class) allowed */
};
#define ZT_INDEX_FILTER_ANY ((struct zt_index_filter){-1, 0, 0, 0, 0})

struct zt_hit {
    int64_t idx; /* item position in the index */
    float score; /* inner product with the query */
};

/* New empty index of dimension dim (1..65536). Caller frees. */
int zt_index_new(int dim, struct zt_index **out);
void zt_index_free(struct zt_index *ix); /* NULL-safe */
/* Room for n items in total (optional; avoids regrowth). */
int zt_index_reserve(struct zt_index *ix, int64_t n);
/* Appends an item; id (1-128 bytes) and v (dim floats) are copied.
 * Adding ids in increasing byte order keeps zt_index_find logarithmic. */
int zt_index_add(struct zt_index *ix, const char *id, int category, int64_t price,
                 const float *v);

/* Appends items [i0, i0 + m) of src (same dimension, borrowed) in their
 * order, as m zt_index_add calls would, but copying the rows and their f16
 * copy in blocks (an incremental reload copies a whole index this way). */
int zt_index_append(struct zt_index *ix, const struct zt_index *src, int64_t i0, int64_t m);

int64_t zt_index_count(const struct zt_index *ix);
int zt_index_dim(const struct zt_index *ix);
/* Borrowed, valid while ix lives; i in [0, count). */
const char *zt_index_id(const struct zt_index *ix, int64_t i);
int zt_index_category(const struct zt_index *ix, int64_t i);
int64_t zt_index_price(const struct zt_index *ix, int64_t i);
const float *zt_index_vector(const struct zt_index *ix, int64_t i);
/* Position of id, or -1. */
int64_t zt_index_find(const struct zt_index *ix, const char *id);
/* 1 if item i passes f (NULL = any). */
int zt_index_match(const struct zt_index *ix, int64_t i, const struct zt_index_filter *f);

/* Exact search: the items passing f (NULL = any) ranked by q . v (ties:
 * lower position first); writes ranks [offset, offset + limit) into hits
 * (room for limit), *nhits how many were written, *nmatch (optional) how
 * many items pass the filter. nthreads <= 0: all cores. limit 1..10000,
 * offset >= 0 (offset + limit <= 100000). */
int zt_index_search(const struct zt_index *ix, const float *q, const struct zt_index_filter *f,
                    int64_t offset, int limit, int nthreads, struct zt_hit *hits, int *nhits,
                    int64_t *nmatch);
/* How search reads the vectors; the results are the same in every mode.
 * F32: the f32 rows. F16: the f16 copy every index keeps beside them (half
 * the memory traffic), then the candidates rescored on the f32 rows, with
 * enough candidates kept (bounded f16 rounding error) that the top k is
 * exactly the f32 top k; when near-ties make the bound inconclusive the
 * search rescans the f32 rows. AUTO (the default): F16 from
 * ZT_INDEX_F16_MIN stored floats on (past the caches) when the CPU has
 * F16C/AVX2 and every stored value fits f16, else F32. */
enum zt_index_scan { ZT_INDEX_SCAN_AUTO, ZT_INDEX_SCAN_F32, ZT_INDEX_SCAN_F16 };
#define ZT_INDEX_F16_MIN (INT64_C(1) << 20)
int zt_index_set_scan(struct zt_index *ix, int mode);

/* Scans of fewer than this many stored floats (n * dim) run on one thread
 * whatever nthreads says: below 64M (256 MB of f32; 250k items at d = 256)
 * a second thread cost more than it saved on the shared 2-core machine
 * (docs/internals/search.md). floats < 0 restores the default. */
#define ZT_INDEX_PARALLEL_MIN (INT64_C(1) << 26)
void zt_index_set_parallel_min(struct zt_index *ix, int64_t floats);

/* Every item's score q . v into scores (count floats), f32. */
void zt_index_scores(const struct zt_index *ix, const float *q, int nthreads, float *scores);

/* Writes the index to path atomically (temp file, fsync, rename). Format:
 * "ZTIX" v1 header, per-item price/category, ids, then the vectors, all
 * little-endian (docs/internals/search.md). */
int zt_index_save(const struct zt_index *ix, const char *path);
/* Reads a file written by zt_index_save. ZT_ENOTFOUND if absent,
 * ZT_EFORMAT if it is not an index or is truncated. Caller frees. */
int zt_index_load(const char *path, struct zt_index **out);

/* --- top-k selection (shared with the approximate index) --- */

/* A bounded heap keeping the k best hits (score, then lower idx). */
struct zt_topk {
    int k, n;
    struct zt_hit *h; /* caller-provided room for k */
};
void zt_topk_init(struct zt_topk *t, struct zt_hit *room, int k);
void zt_topk_push(struct zt_topk *t, int64_t idx, float score);
/* Sorts the kept hits best first (in place in room); returns how many. */
int zt_topk_sort(struct zt_topk *t);

#endif
