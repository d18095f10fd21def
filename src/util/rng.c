/* rng.c: xoshiro256** (Blackman & Vigna) with splitmix64 seeding. */
#include "rng.h"
#include "hash.h"

#include <math.h>

/* One splitmix64 step: zt_mix64 of the state, which then moves on. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = zt_mix64(*x);
    *x += 0x9e3779b97f4a7c15ull;
    return z;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void zt_rng_seed(struct zt_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0;
}

uint64_t zt_rng_u64(struct zt_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double zt_rng_double(struct zt_rng *r) { return (double)(zt_rng_u64(r) >> 11) * 0x1.0p-53; }

float zt_rng_uniform(struct zt_rng *r) { return (float)(zt_rng_u64(r) >> 40) * 0x1.0p-24f; }

int zt_rng_int(struct zt_rng *r, int lo, int hi)
{
    if (hi <= lo) return lo;
    return lo + (int)(zt_rng_double(r) * (hi - lo + 1));
}

double zt_rng_normal(struct zt_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1, u2;
    do u1 = zt_rng_double(r);
    while (u1 <= 0.0);
    u2 = zt_rng_double(r);
    double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

void zt_rng_fill_uniform(struct zt_rng *r, float *x, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * zt_rng_uniform(r);
}

void zt_rng_fill_normal(struct zt_rng *r, float *x, int64_t n, float mean, float std)
{
    for (int64_t i = 0; i < n; i++) x[i] = (float)(mean + std * zt_rng_normal(r));
}
