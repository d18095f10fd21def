/* index_ivf.h: the approximate index for large catalogues: an inverted file
 * (IVF) over the vectors of an exact zt_index, which keeps ids, categories
 * and prices. Cells come from spherical k-means (FAISS, faiss_shim.h); each
 * cell's rows are stored together as f16, so a query scans its nprobe
 * nearest cells with the exact index's scan kernel and rescores the best
 * candidates on the f32 rows. Filters are applied in the scan; when too few
 * items pass, more cells are probed. */
#ifndef ZT_INDEX_IVF_H
#define ZT_INDEX_IVF_H

#include "index.h"

struct zt_ivf;

/* Builds an IVF index over every item of ix: nlist cells (0 = about
 * 2 * sqrt(n), at least 1, at most n), k-means (10 iterations) on at most
 * 40 * nlist items picked with a fixed stride, then every item assigned to
 * its nearest cell by inner product. ix is borrowed and must stay
 * unchanged while the IVF is used. Runs on FAISS's OpenMP threads
 * (zt_faiss_set_threads). Caller frees. */
int zt_ivf_build(const struct zt_index *ix, int nlist, struct zt_ivf **out);
void zt_ivf_free(struct zt_ivf *v); /* NULL-safe */
/* Cells probed per query, clamped to 1..nlist (default max(8, nlist / 64):
 * recall@10 about 0.95-0.98 on the bench data, docs/internals/search.md). */
int zt_ivf_set_nprobe(struct zt_ivf *v, int nprobe);
int zt_ivf_nlist(const struct zt_ivf *v);
/* Same contract as zt_index_search (nmatch is not computed; may be NULL),
 * one thread. ix must be the index it was built over. Scores are exact
 * (f32) inner products; the set is approximate. */
int zt_ivf_search(const struct zt_ivf *v, const struct zt_index *ix, const float *q,
                  const struct zt_index_filter *f, int64_t offset, int limit,
                  struct zt_hit *hits, int *nhits);
/* File: "ZTIV" v1, dim, nlist, n, nprobe, centroids (f32), cell offsets and
 * the item positions in cell order (i64), little-endian; written atomically.
 * Load checks it against ix (ZT_EFORMAT when it is not such a file or was
 * built over another catalogue: rebuild) and refills the f16 rows from ix. */
int zt_ivf_save(const struct zt_ivf *v, const char *path);
int zt_ivf_load(const char *path, const struct zt_index *ix, struct zt_ivf **out);

#endif
