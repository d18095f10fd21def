/* pages.c: HTML: the app page (/), its static files (/static/...), and the
 * demo catalogue's small product page (/product/{id}); every product text
 * is HTML-escaped. */
#include "http_impl.h"
#include "../catalog/store.h"
#include "../util/zt.h"

#include <string.h>

static const char CSP[] = "default-src 'self'; img-src 'self' data: blob:; "
                          "style-src 'self'; script-src 'self'; connect-src 'self'; "
                          "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

void zt_page_index(struct zt_server *s, struct zt_req *rq)
{
    (void)s;
    const struct zt_asset *a = zt_asset_find("index.html");
    if (!a) {
        zt_reply_error(&rq->reply, 500, "internal", "index.html is missing from the build");
        return;
    }
    zt_reply_static(&rq->reply, "text/html; charset=utf-8", a->data, a->len);
    zt_reply_header(&rq->reply, "Cache-Control", "no-cache");
    zt_reply_header(&rq->reply, "Content-Security-Policy", CSP);
}

void zt_page_static(struct zt_server *s, struct zt_req *rq)
{
    (void)s;
    const char *name = rq->param;
    const struct zt_asset *a = strncmp(name, "config/", 7) ? zt_asset_find(name) : NULL;
    if (!a) {
        zt_reply_error(&rq->reply, 404, "not_found", "no such file");
        return;
    }
    zt_reply_static(&rq->reply, zt_content_type(name), a->data, a->len);
    zt_reply_header(&rq->reply, "Cache-Control", "public, max-age=300");
}

void zt_page_product(struct zt_server *s, struct zt_req *rq)
{
    struct zt_product p;
    const char *id = rq->param;
    int rc = ZT_ENOTFOUND;
    if (!s->o.demo) {
        zt_reply_error(&rq->reply, 404, "not_found",
                       "product pages are served for the demo catalogue only");
        return;
    }
    if (id && *id && strlen(id) < ZT_PRODUCT_ID_MAX && !strchr(id, '/')) {
        struct zt_store *st = zt_server_store_acquire(s);
        rc = st ? zt_store_get(st, id, &p) : ZT_EDB;
        zt_server_store_release(s, st);
    }
    if (rc) {
        if (rc == ZT_ENOTFOUND) zt_reply_error(&rq->reply, 404, "not_found", "no such product");
        else zt_reply_code(&rq->reply, rc);
        return;
    }
    char price[32];
    zt_price_format(p.price, price, sizeof price);
    struct zt_buf b = {0}, eid = {0};
    int err = zt_url_escape(&eid, p.id);
    err |= zt_buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                           "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">"
                           "<title>");
    err |= zt_html_escape(&b, p.title);
    err |= zt_buf_puts(&b, " · Ztyle</title><link rel=\"stylesheet\" href=\"/static/style.css\">"
                           "</head><body class=\"product-page\"><main class=\"product\">"
                           "<a class=\"back\" href=\"/\">← Ztyle</a><h1>");
    err |= zt_html_escape(&b, p.title);
    err |= zt_buf_printf(&b, "</h1><img class=\"product-photo\" src=\"/images/%s\" alt=\"",
                         (const char *)eid.data);
    err |= zt_html_escape(&b, p.title);
    err |= zt_buf_puts(&b, "\"><p class=\"price\">");
    err |= zt_html_escape(&b, price);
    err |= zt_buf_puts(&b, " ");
    err |= zt_html_escape(&b, p.currency);
    err |= zt_buf_puts(&b, "</p><p class=\"meta\">");
    err |= zt_html_escape(&b, p.category);
    if (p.cls[0]) {
        err |= zt_buf_puts(&b, " · ");
        err |= zt_html_escape(&b, p.cls);
    }
    err |= zt_buf_puts(&b, " · id ");
    err |= zt_html_escape(&b, p.id);
    err |= zt_buf_printf(&b, "</p><p><a class=\"button\" href=\"/#like=%s\">More like this</a></p>"
                             "<p class=\"note\">Demo catalogue: a made-up price for a CC0 photo "
                             "of the clothing-small dataset.</p></main></body></html>\n",
                         (const char *)eid.data);
    zt_buf_deinit(&eid);
    if (err) {
        zt_buf_deinit(&b);
        zt_reply_error(&rq->reply, 500, "internal", "out of memory");
        return;
    }
    zt_reply_bytes(&rq->reply, 200, "text/html; charset=utf-8", &b);
    zt_reply_header(&rq->reply, "Content-Security-Policy", CSP);
}
