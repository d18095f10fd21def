/* http_impl.h: what the server's modules share: the server state, one
 * request, the reply being built, the route table, the job pool, request
 * forms (JSON or multipart), metrics and embedded assets. Not a public API. */
#ifndef ZT_HTTP_IMPL_H
#define ZT_HTTP_IMPL_H

#include "server.h"
#include "../img/image.h"
#include "../util/buf.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
struct MHD_Daemon;
struct zt_store;
struct zt_searcher;
struct zt_generator;
struct zt_server;
struct zt_product;

/* --- reply (reply.c): one response being built; maps ZT_E* to statuses --- */

struct zt_reply {
    int status;            /* 0 = not set yet */
    const char *ctype;     /* static string */
    struct zt_buf body;    /* owned unless static_body */
    const void *static_body;
    size_t static_len;
    char headers[512];     /* extra "Name: value\n" lines */
};

void zt_reply_deinit(struct zt_reply *r);
/* Sets status and a JSON error body {"error": code, "message": msg, "status": n}. */
void zt_reply_error(struct zt_reply *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Error reply for a ZT_E* code, message from zt_errmsg() (400/404/413/503/500). */
void zt_reply_code(struct zt_reply *r, int rc);
/* Takes ownership of j (a jansson json_t *); status 200 unless set. */
void zt_reply_json(struct zt_reply *r, int status, void *json);
void zt_reply_bytes(struct zt_reply *r, int status, const char *ctype, struct zt_buf *take);
void zt_reply_static(struct zt_reply *r, const char *ctype, const void *data, size_t len);
void zt_reply_header(struct zt_reply *r, const char *name, const char *value);
/* Base64 (standard alphabet, padded). */
int zt_base64_encode(const uint8_t *p, size_t n, struct zt_buf *out);
/* Strict base64 decode (whitespace skipped); ZT_EINVAL on bad input. */
int zt_base64_decode(const char *s, size_t n, struct zt_buf *out);
/* "data:<mime>;base64,..." of the bytes. */
int zt_data_url(const char *mime, const uint8_t *p, size_t n, struct zt_buf *out);

/* --- forms (form.c): a request body as named fields --- */

struct zt_field {
    char name[64];
    const uint8_t *data; /* into the form's own copy; NUL-terminated */
    size_t len;
    int is_string;       /* JSON string or multipart text; numbers come as text too */
};

struct zt_form {
    int n;
    struct zt_field f[32];
    struct zt_buf store; /* owned bytes the fields point into */
};

/* Parses body by content type: application/json (one object; strings,
 * numbers, booleans, null) or multipart/form-data. ZT_EINVAL with a
 * message for anything malformed or another content type. */
int zt_form_parse(const char *content_type, const uint8_t *body, size_t len,
                  struct zt_form *out);
void zt_form_deinit(struct zt_form *f);
const struct zt_field *zt_form_get(const struct zt_form *f, const char *name);
/* Text of a field, or def when absent. */
const char *zt_form_text(const struct zt_form *f, const char *name, const char *def);
/* Integer field in [lo, hi]; def when absent; ZT_EINVAL naming the field. */
int zt_form_int(const struct zt_form *f, const char *name, long def, long lo, long hi, long *out);
/* Decodes an image field: a data URL (data:image/...;base64,...) or raw
 * bytes (multipart file). ZT_ENOTFOUND when absent, ZT_EINVAL/ZT_EFORMAT
 * when malformed, ZT_ETOOBIG past the limits. */
int zt_form_image(const struct zt_form *f, const char *name, int want_c,
                  const struct zt_image_limits *lim, struct zt_image *out);

/* --- metrics (metrics.c) --- */

struct zt_metrics;
struct zt_metrics *zt_metrics_new(void);
void zt_metrics_free(struct zt_metrics *m);
void zt_metrics_observe(struct zt_metrics *m, const char *endpoint, int status, double seconds);
void zt_metrics_gauge_inflight(struct zt_metrics *m, int delta);
int zt_metrics_inflight(struct zt_metrics *m);
enum {
    ZT_EV_REJECTED,  /* queue full */
    ZT_EV_CUT,       /* connection too slow: cut off */
    ZT_EV_CANCELLED, /* job past its time limit, or its client gone */
    ZT_EV_COUNT
};
void zt_metrics_event(struct zt_metrics *m, int ev);
/* Prometheus text format onto b; extra gauges from the server. */
int zt_metrics_render(struct zt_metrics *m, int queued, int workers, struct zt_buf *b);

/* --- embedded assets (assets.c over the generated table) --- */

struct zt_asset {
    const char *name; /* path relative to web/ ("app.js") or "config/shops.json" */
    const unsigned char *data;
    unsigned int len;
};
/* NULL when there is no such asset (exact name match, nothing on disk). */
const struct zt_asset *zt_asset_find(const char *name);
const char *zt_content_type(const char *name);

/* --- jobs (jobs.c): fixed compute workers and a bounded queue --- */

struct zt_req;
struct zt_worker {
    int id;
    struct zt_generator *gen; /* NULL without a model */
    struct zt_store *store;   /* this worker's own connection */
};
typedef void (*zt_job_fn)(struct zt_server *srv, struct zt_worker *w, struct zt_req *rq);

struct zt_jobs;
/* Starts n workers; init_worker is called on each worker's own thread
 * before it takes jobs (its failure fails the start). */
int zt_jobs_start(struct zt_server *srv, int n, int queue_cap,
                  int (*init_worker)(struct zt_server *, struct zt_worker *),
                  void (*deinit_worker)(struct zt_server *, struct zt_worker *),
                  struct zt_jobs **out);
/* Queues a job; ZT_EBUSY when the queue is full, or when the expected wait
 * (jobs that must start first) x (average run time) / workers passes
 * max_wait_ms. */
int zt_jobs_submit(struct zt_jobs *j, zt_job_fn fn, struct zt_req *rq);
/* Takes the queued jobs that are cancelled or past the time limit out of
 * the queue and answers them (503) at once. */
void zt_jobs_expire(struct zt_jobs *j);
int zt_jobs_queued(struct zt_jobs *j);
/* Finishes queued jobs, joins the workers, frees. NULL-safe. */
void zt_jobs_stop(struct zt_jobs *j);

/* --- requests, routes, server state --- */

enum { ZT_ROUTE_LIGHT = 0, ZT_ROUTE_HEAVY = 1 };

typedef void (*zt_handler_fn)(struct zt_server *srv, struct zt_req *rq);
struct zt_route {
    const char *method;  /* "GET" (also answers HEAD) or "POST" */
    const char *pattern; /* exact path, or a prefix ending in '*' (rest = rq->param) */
    const char *name;    /* metrics label */
    int kind;            /* LIGHT: run on the I/O thread; HEAVY: on a worker */
    zt_handler_fn light;
    zt_job_fn heavy;
};
/* Finds the route of (method, path). *allowed is the Allow header value
 * when the path exists with another method (then NULL is returned). */
const struct zt_route *zt_route_find(const char *method, const char *path, char *allowed,
                                     size_t n, const char **param);

/* One client connection (guard.c), tracked from accept to close: the
 * phase it is in and since when, for the receive deadlines and cancelling. */
enum { ZT_CONN_HEAD, ZT_CONN_BODY, ZT_CONN_JOB, ZT_CONN_SEND, ZT_CONN_CUT };
struct zt_conn {
    struct zt_conn *prev, *next;
    int fd;
    int phase;
    double t;          /* when the phase began */
    struct zt_req *rq; /* in ZT_CONN_JOB */
};
enum { ZT_CANCEL_TIMEOUT = 1, ZT_CANCEL_GONE = 2 };

struct zt_req {
    struct MHD_Connection *con;
    struct zt_conn *conn; /* NULL when untracked */
    _Atomic int cancel;   /* ZT_CANCEL_*: set by the watchdog, read between stages */
    const struct zt_route *route;
    const char *endpoint; /* metrics label */
    const char *param;    /* into url_copy */
    char method[8];
    char *url_copy;       /* owned */
    char ctype[256];      /* request Content-Type */
    char lang[8];         /* "ko" / "en" from Accept-Language */
    char if_none_match[64]; /* If-None-Match, cut short: media ETags are 18 bytes */
    struct zt_buf body;   /* with max = opts.max_body */
    int too_big;          /* the body passed max_body: dropped, answer 413 */
    size_t received;      /* body bytes seen */
    int state;            /* 0 reading, 1 queued/suspended, 2 reply ready */
    struct zt_req *defer_next; /* a refusal held back (guard.c) */
    double defer_due;
    double t0, t_queued;
    struct zt_reply reply;
    int status_sent;
};

/* --- live.c: the catalogue snapshot requests search, and its watcher --- */

struct zt_live {
    struct zt_searcher *searcher; /* owned */
    char *categories_json;        /* owned: the /api/categories body */
    int64_t nproducts;
    int64_t version;              /* catalogue version the index was built from */
    int64_t changes;              /* products changed since base (incremental), else -1 */
    _Atomic int refs;
};
/* Builds a snapshot from st (fresh: from the store rows, not the index
 * file). With a base snapshot (borrowed), from base's index and the
 * store's change log since base->version when the log reaches back and
 * holds at most a quarter of the catalogue (l->changes >= 0), else (and
 * after any failure of that) rebuilt from the store; *why (optional, 256
 * bytes) then says why. On success *out has one reference, the caller's. */
int zt_live_build(struct zt_server *s, struct zt_store *st, int fresh,
                  const struct zt_live *base, char *why, struct zt_live **out);
/* The current snapshot, with a reference taken (NULL before open ends);
 * give it back with zt_live_release, which frees the last reference. */
struct zt_live *zt_live_acquire(struct zt_server *s);
void zt_live_release(struct zt_live *l);
/* Makes l (its reference taken over) the current snapshot. */
void zt_live_set(struct zt_server *s, struct zt_live *l);
struct zt_live_status {
    int64_t version, store_version, products, reloads, reloads_incremental;
    double checked_at; /* zt_now() of the last poll; 0 = none yet */
    char error[256];   /* the last poll's failure; "" = none */
};
void zt_live_status(struct zt_server *s, struct zt_live_status *out);
/* The watcher: polls every opts.reload_ms (none when < 0), and at once on
 * a PostgreSQL NOTIFY. Stop is NULL-state-safe (also after a failed start). */
int zt_live_start(struct zt_server *s);
void zt_live_stop(struct zt_server *s);

struct zt_server {
    struct zt_server_opts o;
    char host[256];
    char catalog[4096];
    char model[4096];
    char embed_model[4096]; /* resolved: "" = none */
    struct MHD_Daemon *d;
    int port;
    struct zt_jobs *jobs;
    struct zt_metrics *metrics;
    /* live.c: the current snapshot and the watcher's state, under live_mu */
    pthread_mutex_t live_mu;
    struct zt_live *live;
    int64_t store_version;
    int64_t reloads, reloads_incremental; /* all, and those from the change log */
    double checked_at;
    char reload_error[256];
    pthread_t reload_th;
    int reload_pipe[2];    /* a byte wakes the watcher to stop */
    _Atomic int reload_stop;
    int reload_started;
    int gen_threads;
    struct zt_image_limits lim;
    /* light handlers' store handles */
    pthread_mutex_t store_mu;
    struct zt_store *stores[64];
    int nstores;
    /* startup facts, read-only after open */
    char *shops_json;      /* owned */
    int model_size;        /* 0 without a model */
    _Atomic int stopped;   /* set once by zt_server_stop; read by the I/O threads */
    /* guard.c */
    char host_names[1024];     /* --host and --allow-host, comma-separated */
    char allow_origins[1024];
    char metrics_token[256];
    pthread_mutex_t conn_mu;   /* conns, and each conn's phase/t/rq */
    pthread_cond_t watch_cv;
    struct zt_conn *conns;
    struct zt_req *deferred;   /* suspended requests whose 503 goes out at defer_due */
    pthread_t watch_th;
    int watch_stop, watch_started;
};

/* --- guard.c: deadlines, cancelling, Host/Origin/metrics checks --- */

#ifdef MHD_VERSION /* for the files that include microhttpd.h */
void zt_guard_on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe);
#endif
struct zt_conn *zt_guard_conn(struct MHD_Connection *con);
/* Moves c (NULL-safe) to phase, now; rq is the request of a ZT_CONN_JOB. */
void zt_guard_phase(struct zt_server *s, struct zt_conn *c, int phase, struct zt_req *rq);
/* Answers rq (suspended, reply made) after delay_s instead of now: refusals
 * held back a little keep clients that retry at once from spinning. */
void zt_guard_defer(struct zt_server *s, struct zt_req *rq, double delay_s);
int zt_guard_start(struct zt_server *s);
void zt_guard_stop(struct zt_server *s);
/* 1 when the request may go on. Host: localhost, 127.0.0.1, [::1], --host,
 * --allow-host (any port). Origin: same origin or --allow-origin; without
 * Origin, Sec-Fetch-Site same-origin/none or absent. /metrics: loopback
 * peer or the bearer token. */
int zt_guard_host_ok(const struct zt_server *s, const char *host);
int zt_guard_origin_ok(const struct zt_server *s, const char *origin, const char *fetch_site,
                       const char *host);
struct sockaddr;
int zt_guard_metrics_ok(const struct zt_server *s, const struct sockaddr *peer, const char *auth);
/* Handlers call this between stages: nonzero (and the 503 reply made) when
 * the request passed its time limit or its client left. */
int zt_req_cancelled(struct zt_server *s, struct zt_req *rq);

struct zt_store *zt_server_store_acquire(struct zt_server *s);
void zt_server_store_release(struct zt_server *s, struct zt_store *st);
/* Finishes a HEAVY request from a worker: resumes the connection. */
void zt_server_job_done(struct zt_server *s, struct zt_req *rq);

/* --- handlers (api_*.c, pages.c, assets.c) --- */

void zt_api_healthz(struct zt_server *s, struct zt_req *rq);
void zt_api_readyz(struct zt_server *s, struct zt_req *rq);
void zt_api_metrics(struct zt_server *s, struct zt_req *rq);
void zt_api_categories(struct zt_server *s, struct zt_req *rq);
void zt_api_config(struct zt_server *s, struct zt_req *rq);
void zt_api_product(struct zt_server *s, struct zt_req *rq);
void zt_api_image(struct zt_server *s, struct zt_req *rq);
void zt_api_thumb(struct zt_server *s, struct zt_req *rq);
void zt_api_edges_image(struct zt_server *s, struct zt_req *rq);
void zt_page_product(struct zt_server *s, struct zt_req *rq);
void zt_page_index(struct zt_server *s, struct zt_req *rq);
void zt_page_static(struct zt_server *s, struct zt_req *rq);
void zt_api_generate(struct zt_server *s, struct zt_worker *w, struct zt_req *rq);
void zt_api_search(struct zt_server *s, struct zt_worker *w, struct zt_req *rq);
void zt_api_edges(struct zt_server *s, struct zt_worker *w, struct zt_req *rq);


/* --- shared by the drawing endpoints (api_generate.c) --- */

/* category text: "auto"/absent, a category (top, pants, skirt, hat, other)
 * or a class (t-shirt, shorts, dress, shoes, ...) -> the name the generator
 * is conditioned on (*gen, static: the class's or the category's own name,
 * NULL for auto; zt_search_gen_plane picks the plane) and the classes it
 * allows (mask, optional: 0 = any). ZT_EINVAL for an unknown name. */
int zt_http_category(const char *name, const char **gen, uint64_t *mask);
/* The drawing of a request: "sketch" (lines, or a flattened drawing) and the
 * optional "hints" RGBA layer -> its planes at full resolution, on the
 * square that holds it (data/drawing.h: zt_drawing_planes; the generator's
 * are framed from them with zt_planes_reframe). ZT_EINVAL for a missing
 * sketch. *out is the caller's (zt_planes_deinit). */
struct zt_planes;
int zt_http_drawing_planes(const struct zt_form *f, const struct zt_image_limits *lim,
                           struct zt_planes *out);

#endif
