/* rng.h: the one seeded PRNG (xoshiro256** seeded through splitmix64):
 * weight init and dropout (core/, nn/) and the hint simulator (img/). A
 * struct zt_rng is plain state owned by its user: no global state, one per
 * thread/model/image. */
#ifndef ZT_RNG_H
#define ZT_RNG_H

#include <stdint.h>

struct zt_rng {
    uint64_t s[4];
    int has_spare;  /* Box-Muller makes normals in pairs */
    double spare;
};

void zt_rng_seed(struct zt_rng *r, uint64_t seed);
uint64_t zt_rng_u64(struct zt_rng *r);
/* Uniform in [0, 1): 53-bit double / 24-bit float. */
double zt_rng_double(struct zt_rng *r);
float zt_rng_uniform(struct zt_rng *r);
/* Uniform integer in [lo, hi] (lo when hi <= lo). */
int zt_rng_int(struct zt_rng *r, int lo, int hi);
/* Standard normal (Box-Muller in double). */
double zt_rng_normal(struct zt_rng *r);
/* x[i] = lo + (hi - lo) * U[0,1) / mean + std * N(0,1), for i < n. */
void zt_rng_fill_uniform(struct zt_rng *r, float *x, int64_t n, float lo, float hi);
void zt_rng_fill_normal(struct zt_rng *r, float *x, int64_t n, float mean, float std);

#endif
