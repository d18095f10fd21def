/* arena.h: bump allocator for the activations of one forward/backward pass.
 * Allocations are never freed one by one: reset() ends them all at once
 * (and keeps the memory for the next pass), release() rolls back to a mark. */
#ifndef ZT_ARENA_H
#define ZT_ARENA_H

#include <stddef.h>

#define ZT_ARENA_ALIGN 64

struct zt_arena;

struct zt_arena_mark {
    void *chunk;
    size_t used;
    void *twin_chunk; /* the twin's mark (zt_arena_set_twin), or NULL */
    size_t twin_used;
};

/* Where blocks come from when not malloc: device memory (the cuda
 * backend). alloc returns NULL on failure; zero fills bytes with 0 (for
 * zt_arena_calloc; the memory need not be host-readable). */
struct zt_arena_mem {
    void *(*alloc)(void *ctx, size_t bytes);
    void (*free)(void *ctx, void *p);
    void (*zero)(void *ctx, void *p, size_t bytes);
    void *ctx;
};

/* chunk_bytes: size of the first block (0 = 1 MiB); later blocks grow.
 * max_bytes: cap on the total reserved (0 = none); allocations past it fail
 * with ZT_ETOOBIG. Returns NULL + zt_errmsg on failure. Free with zt_arena_free. */
struct zt_arena *zt_arena_new(size_t chunk_bytes, size_t max_bytes);
void zt_arena_free(struct zt_arena *a); /* NULL-safe */
/* The same with blocks from mem (copied; NULL = malloc). */
struct zt_arena *zt_arena_new_mem(size_t chunk_bytes, size_t max_bytes,
                                  const struct zt_arena_mem *mem);
/* A second arena that resets, marks and releases with a (a graph's device
 * memory beside its host memory); a takes ownership (frees a previous twin). */
void zt_arena_set_twin(struct zt_arena *a, struct zt_arena *twin);
struct zt_arena *zt_arena_twin(const struct zt_arena *a); /* borrowed, or NULL */
/* 64-byte aligned, uninitialised. NULL + zt_errmsg (out of memory or over
 * max_bytes); size 0 gives a valid unique pointer. Valid until reset/release. */
void *zt_arena_alloc(struct zt_arena *a, size_t bytes);
void *zt_arena_calloc(struct zt_arena *a, size_t bytes); /* zero-filled */
/* Ends every allocation. When the pass needed several blocks (also blocks a
 * release freed since) they are replaced by one block of the most the pass
 * held at once, so a steady-state pass is one block. */
void zt_arena_reset(struct zt_arena *a);
struct zt_arena_mark zt_arena_mark(const struct zt_arena *a);
/* Ends the allocations made since m (blocks added since are freed). */
void zt_arena_release(struct zt_arena *a, struct zt_arena_mark m);
size_t zt_arena_used(const struct zt_arena *a);     /* bytes handed out since reset */
size_t zt_arena_reserved(const struct zt_arena *a); /* bytes held in blocks */
size_t zt_arena_peak(const struct zt_arena *a);     /* highest used since new */

#endif
