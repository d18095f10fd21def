/* parallel.c: dynamic parallel-for on pthreads with first-error capture. */
#include "parallel.h"
#include "zt.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int zt_threads_default(void)
{
    const char *e = getenv("ZTYLE_THREADS");
    if (e && *e) {
        char *end;
        long v = strtol(e, &end, 10);
        if (*end == 0 && v > 0 && v <= 1024) return (int)v;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

struct job {
    int64_t n;
    _Atomic int64_t next;
    _Atomic int failed;
    zt_item_fn fn;
    void *ctx;
    pthread_mutex_t mu;
    int rc;
    char err[1024];
};

struct worker_arg {
    struct job *job;
    int id;
};

static void *run_worker(void *arg)
{
    struct worker_arg *wa = arg;
    struct job *j = wa->job;
    for (;;) {
        if (atomic_load(&j->failed)) break;
        int64_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n) break;
        int rc = j->fn(j->ctx, i, wa->id);
        if (rc) {
            pthread_mutex_lock(&j->mu);
            if (!j->rc) {
                j->rc = rc;
                snprintf(j->err, sizeof j->err, "%s", zt_errmsg());
            }
            pthread_mutex_unlock(&j->mu);
            atomic_store(&j->failed, 1);
            break;
        }
    }
    return NULL;
}

int zt_parallel_for(int64_t n, int nthreads, zt_item_fn fn, void *ctx)
{
    if (n <= 0) return ZT_OK;
    if (nthreads < 1) nthreads = 1;
    if (nthreads > n) nthreads = (int)n;
    struct job j = {.n = n, .fn = fn, .ctx = ctx};
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    pthread_mutex_init(&j.mu, NULL);
    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    struct worker_arg *wa = calloc((size_t)nthreads, sizeof *wa);
    if (!th || !wa) {
        free(th);
        free(wa);
        zt_seterr("out of memory starting %d threads", nthreads);
        return ZT_ENOMEM;
    }
    int started = 0;
    for (int t = 1; t < nthreads; t++) {
        wa[t] = (struct worker_arg){&j, t};
        if (pthread_create(&th[t], NULL, run_worker, &wa[t]) != 0) break;
        started = t;
    }
    wa[0] = (struct worker_arg){&j, 0};
    run_worker(&wa[0]); /* the caller works too */
    for (int t = 1; t <= started; t++) pthread_join(th[t], NULL);
    free(th);
    free(wa);
    pthread_mutex_destroy(&j.mu);
    if (j.rc) zt_seterr("%s", j.err);
    return j.rc;
}
