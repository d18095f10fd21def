/* metrics.c: request counters, latency histograms per endpoint, errors,
 * in-flight and queue gauges, rendered in the Prometheus text format. One
 * mutex; the server records once per finished request. */
#include "http_impl.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>

#define MAX_EP 24
#define MAX_CODES 10
static const double BUCKETS[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NB ((int)ZT_ARRAY_LEN(BUCKETS))

struct ep {
    char name[32];
    int codes[MAX_CODES];
    uint64_t code_n[MAX_CODES];
    int ncodes;
    uint64_t bucket[NB + 1]; /* last = +Inf */
    double sum;
    uint64_t count, errors;
};

struct zt_metrics {
    pthread_mutex_t mu;
    struct ep ep[MAX_EP];
    int nep;
    int inflight;
    uint64_t events[ZT_EV_COUNT];
};

struct zt_metrics *zt_metrics_new(void)
{
    struct zt_metrics *m = calloc(1, sizeof *m);
    if (!m) {
        zt_seterr("metrics: out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

void zt_metrics_free(struct zt_metrics *m)
{
    if (!m) return;
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void zt_metrics_observe(struct zt_metrics *m, const char *endpoint, int status, double seconds)
{
    pthread_mutex_lock(&m->mu);
    struct ep *e = NULL;
    for (int i = 0; i < m->nep && !e; i++)
        if (!strcmp(m->ep[i].name, endpoint)) e = &m->ep[i];
    if (!e && m->nep < MAX_EP) {
        e = &m->ep[m->nep++];
        snprintf(e->name, sizeof e->name, "%s", endpoint);
    }
    if (e) {
        int k = 0;
        while (k < e->ncodes && e->codes[k] != status) k++;
        if (k == e->ncodes && e->ncodes < MAX_CODES) e->codes[e->ncodes++] = status;
        if (k < e->ncodes) e->code_n[k]++;
        int b = 0;
        while (b < NB && seconds > BUCKETS[b]) b++;
        e->bucket[b]++;
        e->sum += seconds;
        e->count++;
        if (status >= 400) e->errors++;
    }
    pthread_mutex_unlock(&m->mu);
}

void zt_metrics_gauge_inflight(struct zt_metrics *m, int delta)
{
    pthread_mutex_lock(&m->mu);
    m->inflight += delta;
    pthread_mutex_unlock(&m->mu);
}

int zt_metrics_inflight(struct zt_metrics *m)
{
    pthread_mutex_lock(&m->mu);
    int n = m->inflight;
    pthread_mutex_unlock(&m->mu);
    return n;
}

void zt_metrics_event(struct zt_metrics *m, int ev)
{
    pthread_mutex_lock(&m->mu);
    m->events[ev]++;
    pthread_mutex_unlock(&m->mu);
}

int zt_metrics_render(struct zt_metrics *m, int queued, int workers, struct zt_buf *b)
{
    int rc = ZT_OK;
    pthread_mutex_lock(&m->mu);
#define P(...)                                        \
    do {                                              \
        if (!rc) rc = zt_buf_printf(b, __VA_ARGS__); \
    } while (0)
    P("# HELP ztyle_http_requests_total Finished HTTP requests by endpoint and status.\n"
      "# TYPE ztyle_http_requests_total counter\n");
    for (int i = 0; i < m->nep; i++)
        for (int k = 0; k < m->ep[i].ncodes; k++)
            P("ztyle_http_requests_total{endpoint=\"%s\",code=\"%d\"} %llu\n", m->ep[i].name,
              m->ep[i].codes[k], (unsigned long long)m->ep[i].code_n[k]);
    P("# HELP ztyle_http_errors_total Requests answered with a 4xx or 5xx status.\n"
      "# TYPE ztyle_http_errors_total counter\n");
    for (int i = 0; i < m->nep; i++)
        P("ztyle_http_errors_total{endpoint=\"%s\"} %llu\n", m->ep[i].name,
          (unsigned long long)m->ep[i].errors);
    P("# HELP ztyle_http_request_duration_seconds Time from the request's first byte to "
      "the response.\n# TYPE ztyle_http_request_duration_seconds histogram\n");
    for (int i = 0; i < m->nep; i++) {
        const struct ep *e = &m->ep[i];
        uint64_t cum = 0;
        for (int k = 0; k <= NB; k++) {
            cum += e->bucket[k];
            if (k < NB)
                P("ztyle_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                  e->name, BUCKETS[k], (unsigned long long)cum);
            else
                P("ztyle_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                  e->name, (unsigned long long)cum);
        }
        P("ztyle_http_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", e->name, e->sum);
        P("ztyle_http_request_duration_seconds_count{endpoint=\"%s\"} %llu\n", e->name,
          (unsigned long long)e->count);
    }
    P("# HELP ztyle_http_in_flight Requests being read, queued, computed or answered.\n"
      "# TYPE ztyle_http_in_flight gauge\nztyle_http_in_flight %d\n", m->inflight);
    P("# HELP ztyle_jobs_queued Compute jobs waiting for a worker.\n"
      "# TYPE ztyle_jobs_queued gauge\nztyle_jobs_queued %d\n", queued);
    P("# HELP ztyle_jobs_workers Compute workers.\n"
      "# TYPE ztyle_jobs_workers gauge\nztyle_jobs_workers %d\n", workers);
    P("# HELP ztyle_jobs_rejected_total Requests refused with 503 because the queue was full.\n"
      "# TYPE ztyle_jobs_rejected_total counter\nztyle_jobs_rejected_total %llu\n",
      (unsigned long long)m->events[ZT_EV_REJECTED]);
    P("# HELP ztyle_connections_cut_total Connections cut off for sending their headers or "
      "body too slowly.\n# TYPE ztyle_connections_cut_total counter\nztyle_connections_cut_total %llu\n",
      (unsigned long long)m->events[ZT_EV_CUT]);
    P("# HELP ztyle_jobs_cancelled_total Jobs stopped or dropped because their time limit passed "
      "or their client left.\n# TYPE ztyle_jobs_cancelled_total counter\nztyle_jobs_cancelled_total %llu\n",
      (unsigned long long)m->events[ZT_EV_CANCELLED]);
#undef P
    pthread_mutex_unlock(&m->mu);
    return rc;
}
