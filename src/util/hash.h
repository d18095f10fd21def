/* hash.h: the stable hashes every seeded or split decision derives from
 * (dataset splits, per-image seeds, batch seeds, made-up demo prices).
 * Changing them changes every such decision, so they are fixed here. */
#ifndef ZT_HASH_H
#define ZT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit FNV-1a of a NUL-terminated string. */
static inline uint64_t zt_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* FNV-1a hash h continued over n more bytes (a hash of several pieces). */
static inline uint64_t zt_hash_more(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* 64-bit FNV-1a of n bytes (HTTP ETags of stored media). */
static inline uint64_t zt_hash_bytes(const void *p, size_t n)
{
    return zt_hash_more(1469598103934665603ull, p, n);
}

/* splitmix64's finaliser: a well-mixed 64-bit function of x. */
static inline uint64_t zt_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Mix of three values (seed, epoch, iteration). */
static inline uint64_t zt_mix3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xbf58476d1ce4e5b9ull ^
                 (c + 0x94d049bb133111ebull);
    x ^= x >> 31;
    x *= 0xd6e8feb86659fd93ull;
    return x ^ (x >> 32);
}

#endif
