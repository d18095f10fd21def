/* parallel.h: thread count policy and a parallel-for over independent
 * items (batch image work). Numeric kernels have their own pool in core/. */
#ifndef ZT_PARALLEL_H
#define ZT_PARALLEL_H

#include <stdint.h>

/* Threads to use when the user gave none: $ZTYLE_THREADS if set and
 * valid, else the number of online cores. */
int zt_threads_default(void);

/* Calls fn(ctx, i, worker) for every i in [0, n) on nthreads threads
 * (dynamic scheduling; worker in [0, nthreads)). fn returns ZT_OK or a
 * code; the first failure stops handing out new items and is returned.
 * Errors set by a worker are copied to the calling thread. */
typedef int (*zt_item_fn)(void *ctx, int64_t i, int worker);
int zt_parallel_for(int64_t n, int nthreads, zt_item_fn fn, void *ctx);

#endif
