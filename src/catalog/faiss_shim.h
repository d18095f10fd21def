/* faiss_shim.h: a small C API over FAISS's C++ library (Debian's
 * libfaiss-dev ships the C API headers but not the C API library), just
 * what the catalogue needs: build an inner-product index from a factory
 * string, train, add, search, tune nprobe/efSearch, save and load, and
 * k-means (the approximate index's cells). C++
 * exceptions become ZT_E* codes with the FAISS message in zt_errmsg(). */
#ifndef ZT_FAISS_SHIM_H
#define ZT_FAISS_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zt_faiss;

/* New index for vectors of dimension d by FAISS factory string ("Flat",
 * "IVF1024,Flat", "HNSW32", ...), inner-product metric. Caller frees. */
int zt_faiss_new(const char *factory, int d, struct zt_faiss **out);
void zt_faiss_free(struct zt_faiss *f); /* NULL-safe */
/* 1 when the index still needs zt_faiss_train before add. */
int zt_faiss_needs_training(const struct zt_faiss *f);
/* Trains on n vectors (n * d floats, borrowed). */
int zt_faiss_train(struct zt_faiss *f, int64_t n, const float *x);
/* Adds n vectors; they get positions ntotal .. ntotal + n - 1. */
int zt_faiss_add(struct zt_faiss *f, int64_t n, const float *x);
int64_t zt_faiss_count(const struct zt_faiss *f);
int zt_faiss_dim(const struct zt_faiss *f);
/* Query-time knobs: nprobe for IVF indexes, efSearch for HNSW; ZT_EINVAL
 * when the index has no such knob. */
int zt_faiss_set_nprobe(struct zt_faiss *f, int nprobe);
int zt_faiss_set_ef(struct zt_faiss *f, int ef);
/* nq queries (nq * d floats) -> for each, k scores (descending) and
 * positions (-1 where fewer than k were found). */
int zt_faiss_search(const struct zt_faiss *f, int64_t nq, const float *q, int k, float *scores,
                    int64_t *pos);
/* k-means of n vectors (n * d floats, borrowed) into k centroids (k * d
 * floats, caller's room), niter iterations, fixed seed; spherical: unit
 * centroids and inner-product assignment (for cosine data), else L2.
 * Every given point is used (no subsampling: the caller samples). */
int zt_faiss_kmeans(int d, int64_t n, const float *x, int k, int niter, int spherical,
                    float *centroids);
/* Threads FAISS uses (OpenMP); <= 0 leaves the default. */
void zt_faiss_set_threads(int n);
int zt_faiss_save(const struct zt_faiss *f, const char *path);
/* ZT_ENOTFOUND if absent, ZT_EFORMAT if unreadable. Caller frees. */
int zt_faiss_load(const char *path, struct zt_faiss **out);

#ifdef __cplusplus
}
#endif

#endif
