/* guard.c: what keeps one client from holding the server: every connection
 * is tracked (fd, phase, since when) and a watchdog thread, ten times a
 * second, cuts connections that are too slow to send their headers or body,
 * cancels jobs whose time limit passed or whose client left, and drops them
 * from the queue; and the request checks against DNS rebinding and other
 * sites (Host, Origin / Sec-Fetch-Site) and for /metrics. */
#include <microhttpd.h> /* before http_impl.h: the MHD callbacks it declares */
#include "http_impl.h"
#include "../util/progress.h"
#include "../util/zt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* --- connection tracking (MHD_OPTION_NOTIFY_CONNECTION) --- */

void zt_guard_on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe)
{
    struct zt_server *s = cls;
    struct zt_conn *c = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci || !(c = calloc(1, sizeof *c))) return; /* untracked: MHD's idle timeout only */
        c->fd = ci->connect_fd;
        c->phase = ZT_CONN_HEAD;
        c->t = zt_now();
        pthread_mutex_lock(&s->conn_mu);
        c->next = s->conns;
        if (s->conns) s->conns->prev = c;
        s->conns = c;
        pthread_mutex_unlock(&s->conn_mu);
        *socket_context = c;
        return;
    }
    if (!c) return;
    /* MHD closes the socket after this returns: from here the watchdog must
     * not touch the fd (it could be a new connection's) */
    pthread_mutex_lock(&s->conn_mu);
    if (c->prev) c->prev->next = c->next;
    else s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    pthread_mutex_unlock(&s->conn_mu);
    free(c);
    *socket_context = NULL;
}

struct zt_conn *zt_guard_conn(struct MHD_Connection *con)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void zt_guard_phase(struct zt_server *s, struct zt_conn *c, int phase, struct zt_req *rq)
{
    if (!c) return;
    pthread_mutex_lock(&s->conn_mu);
    c->phase = phase;
    c->t = zt_now();
    c->rq = rq;
    pthread_mutex_unlock(&s->conn_mu);
}

/* The peer closed (or reset) a connection whose request is suspended: MHD
 * does not read it then, so anything pending is still in the socket. */
static int peer_gone(int fd)
{
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

int zt_req_cancelled(struct zt_server *s, struct zt_req *rq)
{
    int why = rq->cancel;
    if (!why && zt_now() - rq->t_queued > s->o.timeout_s) {
        why = ZT_CANCEL_TIMEOUT;
        rq->cancel = why;
    }
    if (!why) return 0;
    if (why == ZT_CANCEL_GONE)
        zt_reply_error(&rq->reply, 503, "cancelled", "the client closed the connection");
    else
        zt_reply_error(&rq->reply, 503, "timeout", "the request took over %d s; retry shortly",
                       s->o.timeout_s);
    zt_reply_header(&rq->reply, "Retry-After", "2");
    return why;
}

void zt_guard_defer(struct zt_server *s, struct zt_req *rq, double delay_s)
{
    pthread_mutex_lock(&s->conn_mu);
    rq->defer_due = zt_now() + delay_s;
    rq->defer_next = s->deferred;
    s->deferred = rq;
    pthread_mutex_unlock(&s->conn_mu);
}

/* Resumes the deferred requests due by now (all of them when now < 0). */
static void resume_deferred(struct zt_server *s, double now)
{
    struct zt_req *due = NULL;
    pthread_mutex_lock(&s->conn_mu);
    for (struct zt_req **pp = &s->deferred; *pp;) {
        struct zt_req *rq = *pp;
        if (now >= 0 && rq->defer_due > now) {
            pp = &rq->defer_next;
            continue;
        }
        *pp = rq->defer_next;
        rq->defer_next = due;
        due = rq;
    }
    pthread_mutex_unlock(&s->conn_mu);
    while (due) {
        struct zt_req *next = due->defer_next;
        zt_server_job_done(s, due);
        due = next;
    }
}

static void *watchdog(void *arg)
{
    struct zt_server *s = arg;
    pthread_mutex_lock(&s->conn_mu);
    while (!s->watch_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&s->watch_cv, &s->conn_mu, &ts);
        if (s->watch_stop) break;
        double now = zt_now();
        for (struct zt_conn *c = s->conns; c; c = c->next) {
            double age = now - c->t;
            if ((c->phase == ZT_CONN_HEAD && age > s->o.header_timeout_s) ||
                (c->phase == ZT_CONN_BODY && age > s->o.timeout_s)) {
                /* MHD sees the socket end and closes the connection itself */
                shutdown(c->fd, SHUT_RDWR);
                c->phase = ZT_CONN_CUT;
                zt_metrics_event(s->metrics, ZT_EV_CUT);
            } else if (c->phase == ZT_CONN_JOB && c->rq && !c->rq->cancel) {
                if (now - c->rq->t_queued > s->o.timeout_s) c->rq->cancel = ZT_CANCEL_TIMEOUT;
                else if (peer_gone(c->fd)) c->rq->cancel = ZT_CANCEL_GONE;
            }
        }
        pthread_mutex_unlock(&s->conn_mu);
        if (s->jobs) zt_jobs_expire(s->jobs);
        resume_deferred(s, now);
        pthread_mutex_lock(&s->conn_mu);
    }
    pthread_mutex_unlock(&s->conn_mu);
    return NULL;
}

int zt_guard_start(struct zt_server *s)
{
    if (pthread_create(&s->watch_th, NULL, watchdog, s)) {
        zt_seterr("server: cannot start the watchdog thread");
        return ZT_ENOMEM;
    }
    s->watch_started = 1;
    return ZT_OK;
}

void zt_guard_stop(struct zt_server *s)
{
    if (!s->watch_started) return;
    pthread_mutex_lock(&s->conn_mu);
    s->watch_stop = 1;
    pthread_cond_broadcast(&s->watch_cv);
    pthread_mutex_unlock(&s->conn_mu);
    pthread_join(s->watch_th, NULL);
    s->watch_started = 0;
    resume_deferred(s, -1);
}

/* --- request checks --- */

/* Is name (n bytes) in the comma-separated list? "*" matches anything. */
static int in_list(const char *list, const char *name, size_t n)
{
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && *p == ' ') p++, len--;
        while (len && p[len - 1] == ' ') len--;
        if ((len == 1 && *p == '*') || (len == n && !strncasecmp(p, name, n))) return 1;
        p = e ? e + 1 : p + len;
    }
    return 0;
}

/* Host without its port: "[::1]:8080" -> "[::1]", "a.b:80" -> "a.b". */
static size_t host_name_len(const char *host)
{
    if (host[0] == '[') {
        const char *e = strchr(host, ']');
        return e ? (size_t)(e - host + 1) : strlen(host);
    }
    const char *colon = strchr(host, ':');
    return colon ? (size_t)(colon - host) : strlen(host);
}

int zt_guard_host_ok(const struct zt_server *s, const char *host)
{
    if (!host) return 1; /* HTTP/1.0 without Host: not a browser, so not rebinding */
    size_t n = host_name_len(host);
    return in_list("localhost,127.0.0.1,[::1]", host, n) || in_list(s->host_names, host, n);
}

int zt_guard_origin_ok(const struct zt_server *s, const char *origin, const char *fetch_site,
                       const char *host)
{
    if (origin) {
        /* same origin: http://<the Host the browser used> */
        if (host && !strncasecmp(origin, "http://", 7) && !strcasecmp(origin + 7, host)) return 1;
        return in_list(s->o.allow_origins, origin, strlen(origin));
    }
    /* no Origin (a GET-like navigation, or a tool): the fetch metadata, when sent, decides */
    return !fetch_site || !strcasecmp(fetch_site, "same-origin") || !strcasecmp(fetch_site, "none");
}

int zt_guard_metrics_ok(const struct zt_server *s, const struct sockaddr *peer, const char *auth)
{
    if (peer && peer->sa_family == AF_INET &&
        (ntohl(((const struct sockaddr_in *)peer)->sin_addr.s_addr) >> 24) == 127)
        return 1;
    if (peer && peer->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)peer)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127)) return 1;
    }
    const char *tok = s->o.metrics_token;
    if (!tok || !*tok || !auth || strncmp(auth, "Bearer ", 7)) return 0;
    /* compared in constant time: the token is a secret */
    size_t n = strlen(tok), m = strlen(auth + 7);
    unsigned diff = n != m;
    for (size_t i = 0; i < n; i++) diff |= (unsigned)(tok[i] ^ auth[7 + (i < m ? i : 0)]);
    return !diff;
}
