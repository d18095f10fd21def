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
void zt_metrics_rejected(struct zt_metrics *m); /* queue full */
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
/* Queues a job; ZT_EBUSY when the queue is full. */
int zt_jobs_submit(struct zt_jobs *j, zt_job_fn fn, struct zt_req *rq);
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

struct zt_req {
    struct MHD_Connection *con;
    const struct zt_route *route;
    const char *endpoint; /* metrics label */
    const char *param;    /* into url_copy */
    char method[8];
    char *url_copy;       /* owned */
    char ctype[256];      /* request Content-Type */
    char lang[8];         /* "ko" / "en" from Accept-Language */
    struct zt_buf body;   /* with max = opts.max_body */
    int too_big;          /* the body passed max_body: dropped, answer 413 */
    size_t received;      /* body bytes seen */
    int state;            /* 0 reading, 1 queued/suspended, 2 reply ready */
    double t0, t_queued;
    struct zt_reply reply;
    int status_sent;
};

struct zt_server {
    struct zt_server_opts o;
    char host[256];
    char catalog[4096];
    char model[4096];
    struct MHD_Daemon *d;
    int port;
    struct zt_jobs *jobs;
    struct zt_metrics *metrics;
    struct zt_searcher *searcher;
    struct zt_image_limits lim;
    /* light handlers' store handles */
    pthread_mutex_t store_mu;
    struct zt_store *stores[64];
    int nstores;
    /* startup facts, read-only after open */
    char *categories_json; /* owned */
    char *shops_json;      /* owned */
    int model_size;        /* 0 without a model */
    int64_t nproducts;
    _Atomic int stopped;   /* set once by zt_server_stop; read by the I/O threads */
};

struct zt_store *zt_server_store_acquire(struct zt_server *s);
void zt_server_store_release(struct zt_server *s, struct zt_store *st);
/* Finishes a HEAVY request from a worker: resumes the connection. */
void zt_server_job_done(struct zt_server *s, struct zt_req *rq);

/* --- handlers (api_*.c, pages.c, assets.c) --- */

void zt_api_healthz(struct zt_server *s, struct zt_req *rq);
void zt_api_metrics(struct zt_server *s, struct zt_req *rq);
void zt_api_categories(struct zt_server *s, struct zt_req *rq);
void zt_api_config(struct zt_server *s, struct zt_req *rq);
void zt_api_product(struct zt_server *s, struct zt_req *rq);
void zt_api_image(struct zt_server *s, struct zt_req *rq);
void zt_api_thumb(struct zt_server *s, struct zt_req *rq);
void zt_page_product(struct zt_server *s, struct zt_req *rq);
void zt_page_index(struct zt_server *s, struct zt_req *rq);
void zt_page_static(struct zt_server *s, struct zt_req *rq);
void zt_api_generate(struct zt_server *s, struct zt_worker *w, struct zt_req *rq);
void zt_api_search(struct zt_server *s, struct zt_worker *w, struct zt_req *rq);
void zt_api_edges(struct zt_server *s, struct zt_worker *w, struct zt_req *rq);


/* --- shared by the drawing endpoints (api_generate.c) --- */

/* category text: "auto"/absent, a category (top, pants, skirt, hat, other)
 * or a class (t-shirt, shorts, dress, shoes, ...) -> the generator's
 * category (enum zt_category; -1 for auto and for "other", which it has no
 * plane for) and the classes it allows (mask, optional: 0 = any).
 * ZT_EINVAL for an unknown name. */
int zt_http_category(const char *name, int *gen_cat, uint64_t *mask);
/* The drawing of a request: "sketch" (lines, or a flattened drawing) and the
 * optional "hints" RGBA layer -> edges/hint planes letterboxed to size.
 * *hinted says whether any hint pixel is set. ZT_EINVAL for a missing
 * sketch. Outputs are new images the caller frees. */
int zt_http_drawing_planes(const struct zt_form *f, const struct zt_image_limits *lim, int size,
                           struct zt_image *edges, struct zt_image *hint_rgb,
                           struct zt_image *hint_mask, int *hinted);

#endif
