/* server.c: the libmicrohttpd daemon: per-request state across the calls
 * of one request, body limits, routing, HEAVY requests suspended while a
 * compute worker runs them, responses, metrics, and the graceful stop.
 * Startup (catalogue, index, models, workers) is in server_open.c. */
#include <microhttpd.h> /* before http_impl.h: the MHD callbacks it declares */
#include "http_impl.h"
#include "../catalog/store.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { ST_READING = 0, ST_QUEUED = 1, ST_DONE = 2 };
#define ZT_REFUSE_DELAY_S 0.25 /* how long a 503 busy is held back */

/* "ko" or "en" from Accept-Language: the first listed of the two. */
static void pick_lang(const char *al, char *out, size_t n)
{
    snprintf(out, n, "en");
    if (!al) return;
    for (const char *p = al; *p;) {
        while (*p == ' ' || *p == ',') p++;
        if (!strncasecmp(p, "ko", 2)) {
            snprintf(out, n, "ko");
            return;
        }
        if (!strncasecmp(p, "en", 2)) return;
        p = strchr(p, ',');
        if (!p) return;
    }
}

static enum MHD_Result queue_reply(struct zt_server *s, struct zt_req *rq)
{
    struct zt_reply *r = &rq->reply;
    if (!r->status) zt_reply_error(r, 500, "internal", "no reply was made");
    struct MHD_Response *resp;
    if (r->static_body) {
        resp = MHD_create_response_from_buffer(r->static_len, (void *)r->static_body,
                                               MHD_RESPMEM_PERSISTENT);
    } else if (r->body.len) {
        size_t len;
        uint8_t *data = zt_buf_take(&r->body, &len);
        resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!resp) free(data);
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!resp) return MHD_NO;
    if (r->ctype) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY"); /* older browsers; CSP for the rest */
    for (char *line = r->headers; *line;) {
        char *nl = strchr(line, '\n'), *colon = strchr(line, ':');
        if (!nl || !colon || colon > nl) break;
        *nl = 0;
        *colon = 0;
        MHD_add_response_header(resp, line, colon + 2);
        line = nl + 1;
    }
    if (s->stopped) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    rq->status_sent = r->status;
    zt_guard_phase(s, rq->conn, ZT_CONN_SEND, NULL);
    enum MHD_Result ret = MHD_queue_response(rq->con, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    zt_reply_deinit(r);
    return ret;
}

void zt_server_job_done(struct zt_server *s, struct zt_req *rq)
{
    (void)s;
    MHD_resume_connection(rq->con);
}

static struct zt_req *req_new(struct zt_server *s, struct MHD_Connection *con, const char *url,
                              const char *method)
{
    struct zt_req *rq = calloc(1, sizeof *rq);
    if (!rq) return NULL;
    if (!(rq->url_copy = strdup(url))) {
        free(rq);
        return NULL;
    }
    rq->con = con;
    rq->conn = zt_guard_conn(con);
    zt_guard_phase(s, rq->conn, ZT_CONN_BODY, NULL);
    rq->t0 = zt_now();
    snprintf(rq->method, sizeof rq->method, "%s", method);
    rq->body.max = s->o.max_body;
    const char *ct = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    snprintf(rq->ctype, sizeof rq->ctype, "%s", ct ? ct : "");
    pick_lang(MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE),
              rq->lang, sizeof rq->lang);
    const char *inm = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
    snprintf(rq->if_none_match, sizeof rq->if_none_match, "%s", inm ? inm : "");
    zt_metrics_gauge_inflight(s->metrics, 1);
    return rq;
}

static const char *header(struct zt_req *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->con, MHD_HEADER_KIND, name);
}

/* Decides everything that can be decided from the request line and
 * headers: 421 for a Host that is not this server's (DNS rebinding), 404,
 * 405, 403 for a POST from another site or /metrics from afar, 413 by
 * Content-Length. Sets ST_DONE when answered. */
static void route_request(struct zt_server *s, struct zt_req *rq)
{
    char allowed[64];
    const char *host = header(rq, MHD_HTTP_HEADER_HOST);
    if (!zt_guard_host_ok(s, host)) {
        rq->endpoint = "bad_host";
        zt_reply_error(&rq->reply, 421, "bad_host",
                       "this server does not answer for the host '%.100s' (see --allow-host)", host);
        rq->state = ST_DONE;
        return;
    }
    rq->route = zt_route_find(rq->method, rq->url_copy, allowed, sizeof allowed, &rq->param);
    if (!rq->route) {
        if (allowed[0]) {
            rq->endpoint = "method_not_allowed";
            zt_reply_error(&rq->reply, 405, "method_not_allowed", "%s is not allowed on %.200s",
                           rq->method, rq->url_copy);
            zt_reply_header(&rq->reply, "Allow", allowed);
        } else {
            rq->endpoint = "not_found";
            zt_reply_error(&rq->reply, 404, "not_found", "no route %.200s", rq->url_copy);
        }
        rq->state = ST_DONE;
        return;
    }
    rq->endpoint = rq->route->name;
    if (!strcmp(rq->route->method, "POST") &&
        !zt_guard_origin_ok(s, header(rq, "Origin"), header(rq, "Sec-Fetch-Site"), host)) {
        zt_reply_error(&rq->reply, 403, "cross_origin",
                       "requests from another site are not accepted (see --allow-origin)");
        rq->state = ST_DONE;
        return;
    }
    const union MHD_ConnectionInfo *peer =
        MHD_get_connection_info(rq->con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!strcmp(rq->route->name, "metrics") &&
        !zt_guard_metrics_ok(s, peer ? peer->client_addr : NULL,
                             header(rq, MHD_HTTP_HEADER_AUTHORIZATION))) {
        zt_reply_error(&rq->reply, 403, "forbidden",
                       "/metrics answers loopback, or a bearer token (see --metrics-token)");
        rq->state = ST_DONE;
        return;
    }
    const char *cl = MHD_lookup_connection_value(rq->con, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > s->o.max_body) {
        zt_reply_error(&rq->reply, 413, "too_large", "request body over %zu bytes", s->o.max_body);
        rq->state = ST_DONE;
    }
}

static void run_heavy(struct zt_server *s, struct zt_req *rq)
{
    rq->t_queued = zt_now();
    rq->state = ST_QUEUED;
    MHD_suspend_connection(rq->con);
    zt_guard_phase(s, rq->conn, ZT_CONN_JOB, rq);
    int rc = zt_jobs_submit(s->jobs, rq->route->heavy, rq);
    if (rc) {
        zt_guard_phase(s, rq->conn, ZT_CONN_SEND, NULL);
        zt_reply_code(&rq->reply, rc);
        zt_reply_header(&rq->reply, "Retry-After", "1");
        if (rc == ZT_EBUSY) {
            /* answered a moment later: clients that retry at once (ignoring
             * Retry-After) would otherwise spin on 503s and take the CPU the
             * workers need */
            zt_metrics_event(s->metrics, ZT_EV_REJECTED);
            zt_guard_defer(s, rq, ZT_REFUSE_DELAY_S);
        } else {
            MHD_resume_connection(rq->con);
        }
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct zt_server *s = cls;
    struct zt_req *rq = *con_cls;
    (void)version;
    if (!rq) {
        if (!(rq = req_new(s, con, url, method))) return MHD_NO;
        *con_cls = rq;
        route_request(s, rq);
        if (rq->state == ST_DONE) return queue_reply(s, rq);
        return MHD_YES;
    }
    if (rq->state == ST_READING && *upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        rq->received += n;
        if (!rq->too_big && zt_buf_append(&rq->body, upload, n)) {
            rq->too_big = 1; /* a chunked body, or a lying Content-Length */
            zt_buf_deinit(&rq->body);
        }
        /* The rest of an oversized body is read and dropped so that the client
         * (still sending) gets the 413; past 4x the limit it is cut off: the
         * answer goes out now and MHD closes the connection. */
        if (rq->too_big && rq->received > 4 * s->o.max_body) {
            zt_reply_error(&rq->reply, 413, "too_large", "request body over %zu bytes",
                           s->o.max_body);
            rq->state = ST_DONE;
            return queue_reply(s, rq);
        }
        return MHD_YES;
    }
    if (rq->state == ST_READING) {
        if (rq->too_big) {
            zt_reply_error(&rq->reply, 413, "too_large", "request body over %zu bytes",
                           s->o.max_body);
        } else if (rq->route->kind == ZT_ROUTE_HEAVY) {
            run_heavy(s, rq);
            return MHD_YES;
        } else {
            zt_clearerr();
            rq->route->light(s, rq);
        }
        rq->state = ST_DONE;
        return queue_reply(s, rq);
    }
    if (rq->state == ST_QUEUED) { /* resumed: the worker (or the refusal) made the reply */
        rq->state = ST_DONE;
        return queue_reply(s, rq);
    }
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct zt_server *s = cls;
    struct zt_req *rq = *con_cls;
    (void)con;
    (void)toe;
    if (!rq) return;
    /* the next request on this connection has header_timeout_s to arrive */
    zt_guard_phase(s, rq->conn, ZT_CONN_HEAD, NULL);
    zt_metrics_observe(s->metrics, rq->endpoint ? rq->endpoint : "unknown",
                       rq->status_sent ? rq->status_sent : 499, zt_now() - rq->t0);
    zt_metrics_gauge_inflight(s->metrics, -1);
    zt_reply_deinit(&rq->reply);
    zt_buf_deinit(&rq->body);
    free(rq->url_copy);
    free(rq);
    *con_cls = NULL;
}

/* microhttpd's own messages (a client that hung up, ...) are dropped, as
 * they always were: what matters to a caller comes back as a return value. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls, (void)fmt, (void)ap;
}

int zt_server_start_daemon(struct zt_server *s, const struct sockaddr *addr, int ipv6)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ipv6) flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(
        flags, (uint16_t)s->o.port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.io_threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->o.timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->o.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)s->o.max_per_ip,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
        zt_guard_on_connection, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_END);
    if (!s->d) {
        zt_seterr("cannot listen on %s:%d (in use, or not an address of this machine?)", s->host,
                  s->o.port);
        return ZT_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : s->o.port;
    return ZT_OK;
}

int zt_server_port(const struct zt_server *s) { return s->port; }

void zt_server_stop(struct zt_server *s, double grace_s)
{
    if (!s || s->stopped) return;
    s->stopped = 1;
    if (s->d) {
        MHD_socket fd = MHD_quiesce_daemon(s->d);
        if (fd != MHD_INVALID_SOCKET) close(fd);
        double t0 = zt_now();
        while (zt_metrics_inflight(s->metrics) > 0 && zt_now() - t0 < grace_s) usleep(10000);
    }
    /* runs what is still queued; every suspended connection gets resumed */
    zt_guard_stop(s);
    zt_jobs_stop(s->jobs);
    s->jobs = NULL;
    if (s->d) {
        double t0 = zt_now();
        while (zt_metrics_inflight(s->metrics) > 0 && zt_now() - t0 < 1.0) usleep(10000);
        MHD_stop_daemon(s->d);
        s->d = NULL;
    }
}

struct zt_store *zt_server_store_acquire(struct zt_server *s)
{
    struct zt_store *st = NULL;
    pthread_mutex_lock(&s->store_mu);
    if (s->nstores > 0) st = s->stores[--s->nstores];
    pthread_mutex_unlock(&s->store_mu);
    if (st) return st;
    if (zt_store_open(s->catalog, &st)) return NULL;
    return st;
}

void zt_server_store_release(struct zt_server *s, struct zt_store *st)
{
    if (!st) return;
    pthread_mutex_lock(&s->store_mu);
    if (s->nstores < (int)ZT_ARRAY_LEN(s->stores)) {
        s->stores[s->nstores++] = st;
        st = NULL;
    }
    pthread_mutex_unlock(&s->store_mu);
    zt_store_close(st);
}
