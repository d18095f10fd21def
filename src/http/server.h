/* server.h: `ztyle serve` as a library: a libmicrohttpd daemon (I/O thread
 * pool) in front of a fixed pool of compute workers with a bounded queue,
 * serving the embedded web page, product images and the JSON API
 * (docs/API.md). Catalogue index and models are loaded once at open. */
#ifndef ZT_SERVER_H
#define ZT_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct zt_server;

struct zt_server_opts {
    const char *host;    /* "127.0.0.1" (IPv4 or IPv6 literal, or "localhost") */
    int port;            /* 8080; 0 = any free port (zt_server_port says which) */
    const char *catalog; /* store URL (SQLite path or postgres://), required */
    const char *model;   /* generator file; NULL or "" = none (generate answers 503) */
    /* search embedding (nn/embed.h): NULL = zt_embed_model_resolve's
     * default, "" = none; the catalogue must have been embedded by it */
    const char *embed_model;
    const char *shops;   /* shop URL templates (JSON); NULL = the embedded config/shops.json */
    int workers;         /* compute workers (generate/search); <= 0: cores */
    int io_threads;      /* libmicrohttpd threads; <= 0: 2 */
    int queue;           /* jobs waiting beyond the busy workers at most; < 0: 64 */
    int max_wait_ms;     /* admission: a job is queued only when its expected wait
                            (measured run time x jobs ahead / workers) is below
                            this, else 503 at once; 0: 500; < 0: no bound */
    size_t max_body;     /* request body limit in bytes; 0: 8 MiB (413 past it) */
    int timeout_s;       /* per-request time limit (idle connection, body upload,
                            queue wait plus run); 0: 30 */
    int max_side;        /* decoded upload side limit; 0: 4096 */
    int64_t max_pixels;  /* decoded upload pixel limit; 0: 16 Mpx */
    int header_timeout_s; /* request line and headers must arrive within this; 0: 10 */
    int max_connections; /* open connections at most; 0: 1000 */
    int max_per_ip;      /* open connections from one client address; 0: 64 */
    const char *allow_hosts;   /* more names for the Host header, comma-separated ("*":
                                  any); localhost, 127.0.0.1, [::1] and --host always */
    const char *allow_origins; /* more origins allowed to POST, comma-separated
                                  ("https://shop.example"); same-origin always */
    const char *metrics_token; /* /metrics from a non-loopback address needs
                                  "Authorization: Bearer TOKEN"; NULL: loopback only */
    int reload_ms;       /* how often the catalogue version is polled (a write by
                            another process is searched after at most this plus
                            a rebuild); 0: 1000; < 0: never */
    FILE *log;           /* catalogue reloads and their failures; NULL: none */
    int gen_backend;     /* enum zt_backend_kind of the workers' generators (0: cpu);
                            ZT_BACKEND_CUDA puts each worker's copy on the GPU */
    int demo;            /* 1: the demo catalogue (serves /product/{id} pages) */
    int test_delay_ms;   /* tests only: each compute job sleeps this long first
                            (makes queue-full and shutdown cases deterministic) */
};

/* Fills the defaults above (catalog NULL). */
void zt_server_opts_default(struct zt_server_opts *o);

/* Opens the catalogue, loads the index and the models, starts the workers
 * and the daemon. On success *out is the caller's, to stop and close; on
 * failure *out is NULL and zt_errmsg() says why. */
int zt_server_open(const struct zt_server_opts *o, struct zt_server **out);
/* The bound TCP port. */
int zt_server_port(const struct zt_server *s);
/* Graceful stop: stops accepting, lets in-flight requests finish (at most
 * grace_s seconds), then stops the daemon and the workers. Idempotent. */
void zt_server_stop(struct zt_server *s, double grace_s);
/* Stops (if needed) and frees everything. NULL-safe. */
void zt_server_close(struct zt_server *s);

#endif
