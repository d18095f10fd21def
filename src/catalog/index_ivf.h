/* index_ivf.h: the approximate index for large catalogues: FAISS IVF
 * (inverted lists over k-means cells, exact inner products inside the
 * probed cells) through faiss_shim.h, over the vectors of an exact
 * zt_index that keeps ids, categories and prices. Filters are applied to
 * FAISS's candidates, widening the candidate list until enough pass. */
#ifndef ZT_INDEX_IVF_H
#define ZT_INDEX_IVF_H

#include "index.h"

struct zt_ivf;

/* Builds an IVF index over every item of ix: nlist cells (0 = about
 * 4 * sqrt(n), at least 1), k-means trained on at most 64 * nlist items
 * picked with a fixed stride. ix is borrowed and must stay unchanged while
 * the IVF is used. Caller frees. */
int zt_ivf_build(const struct zt_index *ix, int nlist, struct zt_ivf **out);
void zt_ivf_free(struct zt_ivf *v); /* NULL-safe */
/* Cells probed per query (default max(1, nlist / 32)). */
int zt_ivf_set_nprobe(struct zt_ivf *v, int nprobe);
int zt_ivf_nlist(const struct zt_ivf *v);
/* Same contract as zt_index_search (nmatch is not computed; may be NULL).
 * ix must be the index it was built over. */
int zt_ivf_search(const struct zt_ivf *v, const struct zt_index *ix, const float *q,
                  const struct zt_index_filter *f, int64_t offset, int limit,
                  struct zt_hit *hits, int *nhits);
/* Persisted as a FAISS index file; load checks the item count against ix
 * (ZT_EFORMAT when they differ: rebuild). */
int zt_ivf_save(const struct zt_ivf *v, const char *path);
int zt_ivf_load(const char *path, const struct zt_index *ix, struct zt_ivf **out);

#endif
