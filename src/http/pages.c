/* pages.c: HTML: the app page (/), its static files (/static/...), and the
 * demo catalogue's small product page (/product/{id}); every product text
 * is HTML-escaped. */
#include "http_impl.h"
#include "../catalog/store.h"
#include "../util/zt.h"

#include <stdio.h>
#include <string.h>

static const char CSP[] = "default-src 'self'; img-src 'self' data: blob:; "
                          "style-src 'self'; script-src 'self'; connect-src 'self'";

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

/* Price as a shopper reads it: KRW "39,000원" (ko) or "₩39,000" (en), no
 * decimals; other currencies "12.50 USD". */
static void price_display(int64_t minor, const char *cur, const char *lang, char *out, size_t n)
{
    if (strcmp(cur, "KRW")) {
        char num[32];
        zt_price_format(minor, num, sizeof num);
        snprintf(out, n, "%s %s", num, cur);
        return;
    }
    char digits[32], grouped[48];
    snprintf(digits, sizeof digits, "%lld", (long long)((minor + 50) / 100));
    size_t len = strlen(digits), j = 0;
    for (size_t i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) grouped[j++] = ',';
        grouped[j++] = digits[i];
    }
    grouped[j] = 0;
    if (!strcmp(lang, "ko")) snprintf(out, n, "%s원", grouped);
    else snprintf(out, n, "₩%s", grouped);
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
    char price[64];
    price_display(p.price, p.currency, rq->lang, price, sizeof price);
    int ko = !strcmp(rq->lang, "ko");
    struct zt_buf b = {0}, eid = {0};
    int err = zt_buf_url_escape(&eid, p.id);
    /* the text is in the request's language; product.js re-renders it in
     * the page's chosen one, with the similar items and the shop links */
    err |= zt_buf_printf(&b, "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                             "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">"
                             "<title>",
                         ko ? "ko" : "en");
    err |= zt_buf_html_escape(&b, p.title);
    err |= zt_buf_puts(&b, " · Ztyle</title><link rel=\"stylesheet\" href=\"/static/style.css\">"
                           "<script type=\"module\" src=\"/static/product.js\"></script>"
                           "</head><body class=\"product-page\"><main class=\"product\" id=\"product\" "
                           "data-id=\"");
    err |= zt_buf_html_escape(&b, p.id);
    err |= zt_buf_puts(&b, "\" data-title=\"");
    err |= zt_buf_html_escape(&b, p.title);
    err |= zt_buf_puts(&b, "\" data-category=\"");
    err |= zt_buf_html_escape(&b, p.category);
    err |= zt_buf_puts(&b, "\" data-class=\"");
    err |= zt_buf_html_escape(&b, p.cls);
    err |= zt_buf_printf(&b, "\" data-price=\"%.2f\" data-currency=\"", (double)p.price / 100.0);
    err |= zt_buf_html_escape(&b, p.currency);
    err |= zt_buf_printf(&b, "\"><a class=\"back\" href=\"/\" data-i18n=\"back\">%s</a><h1>",
                         ko ? "← 그리기로 돌아가기" : "← Back to drawing");
    err |= zt_buf_html_escape(&b, p.title);
    err |= zt_buf_printf(&b, "</h1><img class=\"product-photo\" src=\"/images/%s\" alt=\"",
                         (const char *)eid.data);
    err |= zt_buf_html_escape(&b, p.title);
    err |= zt_buf_puts(&b, "\"><p class=\"price\">");
    err |= zt_buf_html_escape(&b, price);
    err |= zt_buf_puts(&b, "</p><p class=\"meta\">");
    err |= zt_buf_html_escape(&b, p.category);
    if (p.cls[0]) {
        err |= zt_buf_puts(&b, " · ");
        err |= zt_buf_html_escape(&b, p.cls);
    }
    err |= zt_buf_printf(&b, "</p><p><a class=\"button\" href=\"/#like=%s\" data-i18n=\"more_like\">%s</a>"
                             "</p><div class=\"shops\" id=\"shops\"></div>"
                             "<section class=\"similar\" aria-labelledby=\"similar-title\" hidden>"
                             "<h2 id=\"similar-title\" data-i18n=\"similar\">%s</h2>"
                             "<ul id=\"similar\" class=\"grid\"></ul></section>"
                             "<p class=\"note\" data-i18n=\"demo_note\">%s</p></main></body></html>\n",
                         (const char *)eid.data, ko ? "비슷한 상품" : "More like this",
                         ko ? "비슷한 상품" : "Similar items",
                         ko ? "데모 카탈로그: clothing-small 데이터셋의 CC0 사진에 임의로 붙인 가격입니다."
                            : "Demo catalogue: a made-up price for a CC0 photo of the "
                              "clothing-small dataset.");
    zt_buf_deinit(&eid);
    if (err) {
        zt_buf_deinit(&b);
        zt_reply_error(&rq->reply, 500, "internal", "out of memory");
        return;
    }
    zt_reply_bytes(&rq->reply, 200, "text/html; charset=utf-8", &b);
    zt_reply_header(&rq->reply, "Content-Security-Policy", CSP);
}
