// faiss_shim.cpp: the extern "C" shim over FAISS (see faiss_shim.h). Every
// entry point catches C++ exceptions; nothing is thrown across the C API.
#include "faiss_shim.h"

/* zt.h is C11-only (_Noreturn); the two things this file needs from it are
 * repeated here and must match src/util/zt.h. */
extern "C" void zt_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
enum { ZT_OK = 0, ZT_EINVAL = -1, ZT_ENOMEM = -2, ZT_EIO = -3, ZT_ENOTFOUND = -5, ZT_EFORMAT = -6 };

#include <faiss/Clustering.h>
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <exception>
#include <new>
#include <omp.h>
#include <sys/stat.h>
#include <unistd.h>

struct zt_faiss {
    faiss::Index *ix;
};

/* Runs fn, turning C++ exceptions into codes with a message. */
template <typename F> static int guard(const char *what, F fn)
{
    try {
        return fn();
    } catch (const std::bad_alloc &) {
        zt_seterr("faiss: %s: out of memory", what);
        return ZT_ENOMEM;
    } catch (const std::exception &e) {
        zt_seterr("faiss: %s: %s", what, e.what());
        return ZT_EINVAL;
    }
}

extern "C" int zt_faiss_new(const char *factory, int d, struct zt_faiss **out)
{
    *out = nullptr;
    if (d < 1) {
        zt_seterr("faiss: dimension %d", d);
        return ZT_EINVAL;
    }
    return guard("new", [&]() -> int {
        faiss::Index *ix = faiss::index_factory(d, factory, faiss::METRIC_INNER_PRODUCT);
        zt_faiss *f = new zt_faiss{ix};
        *out = f;
        return ZT_OK;
    });
}

extern "C" void zt_faiss_free(struct zt_faiss *f)
{
    if (!f) return;
    delete f->ix;
    delete f;
}

extern "C" int zt_faiss_needs_training(const struct zt_faiss *f) { return !f->ix->is_trained; }

extern "C" int zt_faiss_train(struct zt_faiss *f, int64_t n, const float *x)
{
    return guard("train", [&]() -> int {
        f->ix->train((faiss::Index::idx_t)n, x);
        return ZT_OK;
    });
}

extern "C" int zt_faiss_add(struct zt_faiss *f, int64_t n, const float *x)
{
    return guard("add", [&]() -> int {
        f->ix->add((faiss::Index::idx_t)n, x);
        return ZT_OK;
    });
}

extern "C" int64_t zt_faiss_count(const struct zt_faiss *f) { return (int64_t)f->ix->ntotal; }
extern "C" int zt_faiss_dim(const struct zt_faiss *f) { return f->ix->d; }

extern "C" int zt_faiss_set_nprobe(struct zt_faiss *f, int nprobe)
{
    faiss::IndexIVF *ivf = dynamic_cast<faiss::IndexIVF *>(f->ix);
    if (!ivf || nprobe < 1) {
        zt_seterr("faiss: nprobe needs an IVF index and a value >= 1");
        return ZT_EINVAL;
    }
    ivf->nprobe = (size_t)nprobe;
    return ZT_OK;
}

extern "C" int zt_faiss_set_ef(struct zt_faiss *f, int ef)
{
    faiss::IndexHNSW *h = dynamic_cast<faiss::IndexHNSW *>(f->ix);
    if (!h || ef < 1) {
        zt_seterr("faiss: efSearch needs an HNSW index and a value >= 1");
        return ZT_EINVAL;
    }
    h->hnsw.efSearch = ef;
    return ZT_OK;
}

extern "C" int zt_faiss_search(const struct zt_faiss *f, int64_t nq, const float *q, int k,
                               float *scores, int64_t *pos)
{
    static_assert(sizeof(faiss::Index::idx_t) == sizeof(int64_t), "idx_t is 64-bit");
    return guard("search", [&]() -> int {
        f->ix->search((faiss::Index::idx_t)nq, q, (faiss::Index::idx_t)k, scores,
                      reinterpret_cast<faiss::Index::idx_t *>(pos));
        return ZT_OK;
    });
}

extern "C" int zt_faiss_kmeans(int d, int64_t n, const float *x, int k, int niter, int spherical,
                               float *centroids)
{
    if (d < 1 || k < 1 || n < k || niter < 1) {
        zt_seterr("faiss: kmeans needs d, k, niter >= 1 and at least k points");
        return ZT_EINVAL;
    }
    return guard("kmeans", [&]() -> int {
        faiss::ClusteringParameters cp;
        cp.niter = niter;
        cp.spherical = spherical != 0;
        cp.seed = 1234;
        cp.verbose = false;
        cp.min_points_per_centroid = 1; /* the caller chose the sample size */
        cp.max_points_per_centroid = 1 << 30;
        faiss::Clustering clus(d, k, cp);
        faiss::IndexFlatIP ip(d);
        faiss::IndexFlatL2 l2(d);
        clus.train((faiss::Index::idx_t)n, x, spherical ? (faiss::Index &)ip : (faiss::Index &)l2);
        memcpy(centroids, clus.centroids.data(), sizeof(float) * (size_t)k * (size_t)d);
        return ZT_OK;
    });
}

extern "C" void zt_faiss_set_threads(int n)
{
    if (n > 0) omp_set_num_threads(n);
}

extern "C" int zt_faiss_save(const struct zt_faiss *f, const char *path)
{
    std::string tmp = std::string(path) + ".tmp." + std::to_string((long)getpid());
    return guard("save", [&]() -> int {
        faiss::write_index(f->ix, tmp.c_str());
        if (rename(tmp.c_str(), path) != 0) {
            unlink(tmp.c_str());
            zt_seterr("%s: rename failed", path);
            return ZT_EIO;
        }
        return ZT_OK;
    });
}

extern "C" int zt_faiss_load(const char *path, struct zt_faiss **out)
{
    *out = nullptr;
    struct stat st;
    if (stat(path, &st) != 0) {
        zt_seterr("%s: no such file", path);
        return ZT_ENOTFOUND;
    }
    try {
        faiss::Index *ix = faiss::read_index(path);
        *out = new zt_faiss{ix};
        return ZT_OK;
    } catch (const std::exception &e) {
        zt_seterr("%s: not a FAISS index: %s", path, e.what());
        return ZT_EFORMAT;
    }
}
