/* jobs.c: the compute workers behind generate/search: a fixed set of
 * threads, each with its own generator and store handle (made on the
 * worker's own thread), taking jobs from one bounded FIFO queue. A full
 * queue is refused at once (the server answers 503), never grown. */
#include "http_impl.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job {
    zt_job_fn fn;
    struct zt_req *rq;
};

struct zt_jobs {
    struct zt_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t cv, started_cv;
    struct job *q;
    int cap, head, count;
    int stopping;
    int n, started, failed, running;
    double service_s; /* run time of a job, from the last ones; 0 until one ran */
    double runs[16];  /* the last run times (a ring) */
    int nruns;
    double max_wait_s; /* admission bound on the expected wait; 0 = none */
    pthread_t *th;
    struct zt_worker *w;
    int (*init_worker)(struct zt_server *, struct zt_worker *);
    void (*deinit_worker)(struct zt_server *, struct zt_worker *);
    char init_err[512];
};

struct targ {
    struct zt_jobs *j;
    int id;
};

/* A job ran dt seconds: service_s becomes the mean of the last runs without
 * the slowest one (a wait is a sum of run times, so a mean, not a median;
 * dropping the largest keeps a one-off, such as the first run's setup, from
 * refusing everything for the next 16 jobs). */
static void note_run(struct zt_jobs *j, double dt)
{
    enum { N = (int)ZT_ARRAY_LEN(j->runs) };
    j->runs[j->nruns++ % N] = dt;
    int n = ZT_MIN(j->nruns, N);
    double sum = 0, mx = 0;
    for (int i = 0; i < n; i++) {
        sum += j->runs[i];
        mx = ZT_MAX(mx, j->runs[i]);
    }
    j->service_s = n > 1 ? (sum - mx) / (n - 1) : sum;
}

static void *worker_main(void *arg)
{
    struct zt_jobs *j = ((struct targ *)arg)->j;
    struct zt_worker *w = &j->w[((struct targ *)arg)->id];
    free(arg);
    int rc = j->init_worker ? j->init_worker(j->srv, w) : ZT_OK;
    pthread_mutex_lock(&j->mu);
    j->started++;
    if (rc && !j->failed) {
        j->failed = rc;
        snprintf(j->init_err, sizeof j->init_err, "%s", zt_errmsg());
    }
    pthread_cond_broadcast(&j->started_cv);
    for (;;) {
        while (!j->count && !j->stopping) pthread_cond_wait(&j->cv, &j->mu);
        if (!j->count) break; /* stopping and drained */
        struct job jb = j->q[j->head];
        j->head = (j->head + 1) % j->cap;
        j->count--;
        j->running++;
        pthread_mutex_unlock(&j->mu);
        zt_clearerr();
        double t0 = zt_now();
        /* tests: a slow job that still notices cancelling, as the stages do */
        for (int ms = 0; ms < j->srv->o.test_delay_ms && !jb.rq->cancel; ms += 10) usleep(10000);
        if (zt_req_cancelled(j->srv, jb.rq)) {
            zt_metrics_event(j->srv->metrics, ZT_EV_CANCELLED);
            zt_server_job_done(j->srv, jb.rq);
        } else {
            jb.fn(j->srv, w, jb.rq);
            double dt = zt_now() - t0;
            pthread_mutex_lock(&j->mu);
            note_run(j, dt);
            pthread_mutex_unlock(&j->mu);
        }
        pthread_mutex_lock(&j->mu);
        j->running--;
    }
    pthread_mutex_unlock(&j->mu);
    if (j->deinit_worker) j->deinit_worker(j->srv, w);
    return NULL;
}

int zt_jobs_start(struct zt_server *srv, int n, int queue_cap,
                  int (*init_worker)(struct zt_server *, struct zt_worker *),
                  void (*deinit_worker)(struct zt_server *, struct zt_worker *),
                  struct zt_jobs **out)
{
    *out = NULL;
    struct zt_jobs *j = calloc(1, sizeof *j);
    if (!j) goto oom;
    j->srv = srv;
    j->cap = queue_cap + n; /* the busy workers' jobs left the queue already */
    j->max_wait_s = srv->o.max_wait_ms / 1000.0;
    j->init_worker = init_worker;
    j->deinit_worker = deinit_worker;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    pthread_cond_init(&j->started_cv, NULL);
    if (!(j->q = calloc((size_t)j->cap, sizeof *j->q)) || !(j->th = calloc((size_t)n, sizeof *j->th)) ||
        !(j->w = calloc((size_t)n, sizeof *j->w)))
        goto oom_free;
    for (int i = 0; i < n; i++) {
        struct targ *a = malloc(sizeof *a);
        j->w[i].id = i;
        if (!a) goto oom_free;
        *a = (struct targ){j, i};
        if (pthread_create(&j->th[i], NULL, worker_main, a)) {
            free(a);
            zt_seterr("jobs: cannot start worker thread %d", i);
            zt_jobs_stop(j);
            return ZT_ENOMEM;
        }
        j->n++;
    }
    pthread_mutex_lock(&j->mu);
    while (j->started < j->n) pthread_cond_wait(&j->started_cv, &j->mu);
    int rc = j->failed;
    pthread_mutex_unlock(&j->mu);
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", j->init_err);
        zt_jobs_stop(j);
        zt_seterr("%s", msg);
        return rc;
    }
    *out = j;
    return ZT_OK;
oom_free:
    zt_jobs_stop(j);
oom:
    zt_seterr("jobs: out of memory");
    return ZT_ENOMEM;
}

int zt_jobs_submit(struct zt_jobs *j, zt_job_fn fn, struct zt_req *rq)
{
    pthread_mutex_lock(&j->mu);
    /* at most cap - n jobs wait while n run */
    int rc = ZT_OK;
    if (j->stopping) {
        zt_seterr("the server is shutting down");
        rc = ZT_EINTR;
    } else if (j->count >= j->cap - j->n) {
        zt_seterr("server busy: %d requests already queued; retry shortly", j->count);
        rc = ZT_EBUSY;
    } else if (j->max_wait_s > 0 &&
               ZT_MAX(j->count + j->running - j->n + 1, 0) * j->service_s / j->n > j->max_wait_s) {
        /* admission: a job that would wait past the bound (the jobs that must
         * start before it, at the measured run time, over the workers) is
         * refused now, so the ones taken are answered in time instead of
         * all of them late */
        zt_seterr("server busy: about %.1f s of work queued; retry shortly",
                  (j->count + j->running) * j->service_s / j->n);
        rc = ZT_EBUSY;
    } else {
        j->q[(j->head + j->count) % j->cap] = (struct job){fn, rq};
        j->count++;
        pthread_cond_signal(&j->cv);
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

void zt_jobs_expire(struct zt_jobs *j)
{
    struct zt_req *done[64];
    int nd;
    do { /* in batches: the answers are made outside the lock */
        nd = 0;
        double now = zt_now();
        pthread_mutex_lock(&j->mu);
        int kept = 0;
        for (int i = 0; i < j->count; i++) {
            struct job jb = j->q[(j->head + i) % j->cap];
            if (nd < (int)ZT_ARRAY_LEN(done) &&
                (jb.rq->cancel || now - jb.rq->t_queued > j->srv->o.timeout_s))
                done[nd++] = jb.rq;
            else
                j->q[(j->head + kept++) % j->cap] = jb;
        }
        j->count = kept;
        pthread_mutex_unlock(&j->mu);
        for (int i = 0; i < nd; i++) {
            zt_req_cancelled(j->srv, done[i]);
            zt_metrics_event(j->srv->metrics, ZT_EV_CANCELLED);
            zt_server_job_done(j->srv, done[i]);
        }
    } while (nd == (int)ZT_ARRAY_LEN(done));
}

int zt_jobs_queued(struct zt_jobs *j)
{
    pthread_mutex_lock(&j->mu);
    int n = j->count;
    pthread_mutex_unlock(&j->mu);
    return n;
}

void zt_jobs_stop(struct zt_jobs *j)
{
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    j->stopping = 1;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    for (int i = 0; i < j->n; i++) pthread_join(j->th[i], NULL);
    pthread_cond_destroy(&j->cv);
    pthread_cond_destroy(&j->started_cv);
    pthread_mutex_destroy(&j->mu);
    free(j->q);
    free(j->th);
    free(j->w);
    free(j);
}
