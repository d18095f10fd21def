/* arena.c: chunked bump allocator (see arena.h). Blocks form a list, newest
 * first; each hands out 64-byte aligned slices from its start. */
#include "arena.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>

struct chunk {
    struct chunk *next; /* older block */
    size_t size, used;
    size_t base_used;   /* arena used-bytes total before this block */
    unsigned char *mem; /* aligned */
    void *raw;
};

struct zt_arena {
    struct chunk *head;
    size_t first, max, reserved, peak;
    size_t pass_max; /* most bytes reserved at once since the last reset */
    struct zt_arena_mem mem; /* blocks from mem.alloc (device memory) when set */
    struct zt_arena *twin;   /* owned; follows reset, mark and release */
};

static size_t align_up(size_t n) { return (n + ZT_ARENA_ALIGN - 1) & ~(size_t)(ZT_ARENA_ALIGN - 1); }

static struct chunk *chunk_new(struct zt_arena *a, size_t size)
{
    if (a->max && a->reserved + size > a->max) {
        zt_seterr("arena: %zu bytes over the %zu-byte cap", a->reserved + size, a->max);
        return NULL;
    }
    struct chunk *c = calloc(1, sizeof *c);
    void *raw = NULL;
    if (c && a->mem.alloc) raw = a->mem.alloc(a->mem.ctx, size ? size : ZT_ARENA_ALIGN);
    if (!c || (a->mem.alloc ? !raw : posix_memalign(&raw, ZT_ARENA_ALIGN, size ? size : ZT_ARENA_ALIGN))) {
        free(c);
        zt_seterr("arena: out of memory allocating %zu bytes", size);
        return NULL;
    }
    c->raw = raw;
    c->mem = raw;
    c->size = size;
    c->base_used = a->head ? a->head->base_used + a->head->used : 0;
    c->next = a->head;
    a->head = c;
    a->reserved += size;
    if (a->reserved > a->pass_max) a->pass_max = a->reserved;
    return c;
}

static void chunk_free(struct zt_arena *a, struct chunk *c)
{
    a->reserved -= c->size;
    if (a->mem.free) a->mem.free(a->mem.ctx, c->raw);
    else free(c->raw);
    free(c);
}

struct zt_arena *zt_arena_new(size_t chunk_bytes, size_t max_bytes)
{
    return zt_arena_new_mem(chunk_bytes, max_bytes, NULL);
}

struct zt_arena *zt_arena_new_mem(size_t chunk_bytes, size_t max_bytes,
                                  const struct zt_arena_mem *mem)
{
    struct zt_arena *a = calloc(1, sizeof *a);
    if (!a) {
        zt_seterr("arena: out of memory");
        return NULL;
    }
    if (mem) a->mem = *mem;
    a->first = align_up(chunk_bytes ? chunk_bytes : (size_t)1 << 20);
    a->max = max_bytes;
    if (!chunk_new(a, a->first)) {
        free(a);
        return NULL;
    }
    return a;
}

void zt_arena_set_twin(struct zt_arena *a, struct zt_arena *twin)
{
    zt_arena_free(a->twin);
    a->twin = twin;
}

struct zt_arena *zt_arena_twin(const struct zt_arena *a) { return a->twin; }

void zt_arena_free(struct zt_arena *a)
{
    if (!a) return;
    zt_arena_free(a->twin);
    while (a->head) {
        struct chunk *c = a->head;
        a->head = c->next;
        chunk_free(a, c);
    }
    free(a);
}

void *zt_arena_alloc(struct zt_arena *a, size_t bytes)
{
    size_t n = align_up(bytes ? bytes : 1);
    struct chunk *c = a->head;
    if (c->size - c->used < n) {
        size_t grow = c->size * 2 > n ? c->size * 2 : n;
        if (a->max && a->reserved + grow > a->max && a->reserved + n <= a->max)
            grow = a->max - a->reserved; /* fill up to the cap before failing */
        c = chunk_new(a, grow);
        if (!c) return NULL;
    }
    void *p = c->mem + c->used;
    c->used += n;
    size_t u = c->base_used + c->used;
    if (u > a->peak) a->peak = u;
    return p;
}

void *zt_arena_calloc(struct zt_arena *a, size_t bytes)
{
    void *p = zt_arena_alloc(a, bytes);
    if (p && a->mem.zero) a->mem.zero(a->mem.ctx, p, bytes);
    else if (p) memset(p, 0, bytes);
    return p;
}

void zt_arena_reset(struct zt_arena *a)
{
    if (a->twin) zt_arena_reset(a->twin);
    size_t total = a->pass_max > a->reserved ? a->pass_max : a->reserved;
    if (a->head->next || total > a->head->size) {
        /* several blocks, or more at some point of the pass than now (blocks a
         * release freed): replace them by one block big enough for the pass */
        while (a->head) {
            struct chunk *c = a->head;
            a->head = c->next;
            chunk_free(a, c);
        }
        if (chunk_new(a, total)) return;
        /* could not get one big block: fall back to the first size */
        if (chunk_new(a, a->first)) return;
        ZT_ASSERT(!"arena: cannot re-allocate its first block");
    }
    a->head->used = 0;
    a->pass_max = a->reserved;
}

struct zt_arena_mark zt_arena_mark(const struct zt_arena *a)
{
    struct zt_arena_mark m = {a->head, a->head->used, NULL, 0};
    if (a->twin) {
        m.twin_chunk = a->twin->head;
        m.twin_used = a->twin->head->used;
    }
    return m;
}

void zt_arena_release(struct zt_arena *a, struct zt_arena_mark m)
{
    if (a->twin) zt_arena_release(a->twin, (struct zt_arena_mark){m.twin_chunk, m.twin_used, NULL, 0});
    while (a->head != m.chunk) {
        ZT_ASSERT(a->head->next); /* the mark must belong to this arena's current pass */
        struct chunk *c = a->head;
        a->head = c->next;
        chunk_free(a, c);
    }
    ZT_ASSERT(m.used <= a->head->used);
    a->head->used = m.used;
}

size_t zt_arena_used(const struct zt_arena *a) { return a->head->base_used + a->head->used; }
size_t zt_arena_reserved(const struct zt_arena *a) { return a->reserved; }
size_t zt_arena_peak(const struct zt_arena *a) { return a->peak; }
