/* index_ivf.c: approximate search on FAISS IVF (see index_ivf.h). */
#include "index_ivf.h"
#include "faiss_shim.h"
#include "../util/zt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zt_ivf {
    struct zt_faiss *f;
    int nlist;
};

void zt_ivf_free(struct zt_ivf *v)
{
    if (!v) return;
    zt_faiss_free(v->f);
    free(v);
}

int zt_ivf_build(const struct zt_index *ix, int nlist, struct zt_ivf **out)
{
    *out = NULL;
    int64_t n = zt_index_count(ix);
    int d = zt_index_dim(ix);
    if (n < 1) {
        zt_seterr("ivf: the index is empty");
        return ZT_EINVAL;
    }
    if (nlist <= 0) nlist = (int)(4 * sqrt((double)n));
    if (nlist < 1) nlist = 1;
    if (nlist > n) nlist = (int)n;
    struct zt_ivf *v = calloc(1, sizeof *v);
    float *train = NULL;
    int rc = ZT_ENOMEM;
    if (!v) goto fail;
    v->nlist = nlist;
    char factory[64];
    snprintf(factory, sizeof factory, "IVF%d,Flat", nlist);
    if ((rc = zt_faiss_new(factory, d, &v->f))) goto fail;
    /* vectors are stored contiguously: zt_index_vector(ix, 0) is the matrix */
    int64_t ntrain = ZT_MIN(n, (int64_t)nlist * 64);
    int64_t stride = n / ntrain;
    rc = ZT_ENOMEM;
    if (!(train = malloc(sizeof(float) * (size_t)ntrain * d))) goto fail;
    for (int64_t i = 0; i < ntrain; i++)
        memcpy(train + (size_t)i * d, zt_index_vector(ix, i * stride), sizeof(float) * (size_t)d);
    if ((rc = zt_faiss_train(v->f, ntrain, train))) goto fail;
    if ((rc = zt_faiss_add(v->f, n, zt_index_vector(ix, 0)))) goto fail;
    zt_ivf_set_nprobe(v, ZT_MAX(1, nlist / 32));
    free(train);
    *out = v;
    return ZT_OK;
fail:
    if (rc == ZT_ENOMEM && !*zt_errmsg()) zt_seterr("ivf: out of memory");
    free(train);
    zt_ivf_free(v);
    return rc;
}

int zt_ivf_set_nprobe(struct zt_ivf *v, int nprobe)
{
    return zt_faiss_set_nprobe(v->f, ZT_CLAMP(nprobe, 1, v->nlist));
}

int zt_ivf_nlist(const struct zt_ivf *v) { return v->nlist; }

int zt_ivf_search(const struct zt_ivf *v, const struct zt_index *ix, const float *q,
                  const struct zt_index_filter *f, int64_t offset, int limit,
                  struct zt_hit *hits, int *nhits)
{
    *nhits = 0;
    if (limit < 1 || limit > 10000 || offset < 0 || offset + limit > 100000) {
        zt_seterr("ivf: limit must be 1..10000 and offset + limit at most 100000");
        return ZT_EINVAL;
    }
    int64_t n = zt_index_count(ix);
    if (zt_faiss_count(v->f) != n) {
        zt_seterr("ivf: built over %lld items, the index has %lld",
                  (long long)zt_faiss_count(v->f), (long long)n);
        return ZT_EINVAL;
    }
    int need = (int)(offset + limit);
    int any = !f || (f->category < 0 && f->price_min <= 0 && !f->has_price_max);
    int64_t k = any ? need : (int64_t)need * 4;
    float *sc = NULL;
    int64_t *pos = NULL;
    int rc = ZT_OK;
    for (;;) {
        if (k > n) k = n;
        float *s2 = realloc(sc, sizeof(float) * (size_t)k);
        if (s2) sc = s2;
        int64_t *p2 = s2 ? realloc(pos, sizeof(int64_t) * (size_t)k) : NULL;
        if (p2) pos = p2;
        if (!s2 || !p2) {
            zt_seterr("ivf: out of memory");
            rc = ZT_ENOMEM;
            break;
        }
        if ((rc = zt_faiss_search(v->f, 1, q, (int)k, sc, pos))) break;
        int got = 0, seen = 0;
        for (int64_t i = 0; i < k && pos[i] >= 0; i++) {
            seen++;
            if (!zt_index_match(ix, pos[i], f)) continue;
            if (got >= offset && got < need) hits[got - offset] = (struct zt_hit){pos[i], sc[i]};
            got++;
        }
        /* enough hits, or FAISS returned fewer than asked (probed cells are
         * exhausted), or nothing more to ask for */
        if (got >= need || seen < k || k >= n || k >= 1 << 20) {
            *nhits = got > offset ? (int)(ZT_MIN(got, need) - offset) : 0;
            break;
        }
        k *= 4;
    }
    free(sc);
    free(pos);
    return rc;
}

int zt_ivf_save(const struct zt_ivf *v, const char *path) { return zt_faiss_save(v->f, path); }

int zt_ivf_load(const char *path, const struct zt_index *ix, struct zt_ivf **out)
{
    *out = NULL;
    struct zt_ivf *v = calloc(1, sizeof *v);
    if (!v) {
        zt_seterr("ivf: out of memory");
        return ZT_ENOMEM;
    }
    int rc = zt_faiss_load(path, &v->f);
    if (rc) goto fail;
    if (zt_faiss_count(v->f) != zt_index_count(ix) || zt_faiss_dim(v->f) != zt_index_dim(ix)) {
        zt_seterr("%s: approximate index out of step with the catalogue (%lld items, %lld)",
                  path, (long long)zt_faiss_count(v->f), (long long)zt_index_count(ix));
        rc = ZT_EFORMAT;
        goto fail;
    }
    /* nlist is not exposed by the shim; nprobe bounds use a generous cap */
    v->nlist = 1 << 20;
    if (zt_faiss_set_nprobe(v->f, 1) != ZT_OK) {
        zt_seterr("%s: not an IVF index", path);
        rc = ZT_EFORMAT;
        goto fail;
    }
    *out = v;
    return ZT_OK;
fail:
    zt_ivf_free(v);
    return rc;
}
