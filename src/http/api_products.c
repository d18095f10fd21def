/* api_products.c: products by id: /api/products/{id} (JSON), /images/{id}
 * and /thumbs/{id} (the stored files; paths come from the store, never
 * from the URL, so there is nothing to traverse). */
#include "http_impl.h"
#include "../catalog/index_store.h"
#include "../catalog/store.h"
#include "../util/zt.h"

#include <jansson.h>
#include <string.h>

int zt_url_escape(struct zt_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = ZT_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            rc = zt_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = zt_buf_append(b, e, 3);
        }
    }
    return rc;
}

void *zt_product_json(const struct zt_product *p, float score)
{
    char price[32];
    struct zt_buf img = {0}, th = {0};
    zt_price_format(p->price, price, sizeof price);
    json_t *j = NULL;
    if (zt_buf_puts(&img, "/images/") || zt_url_escape(&img, p->id) ||
        zt_buf_puts(&th, "/thumbs/") || zt_url_escape(&th, p->id))
        goto out;
    j = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:s, s:s}", "id", p->id, "title",
                  p->title, "category", p->category, "class", p->cls, "price",
                  (double)p->price / 100.0, "price_text", price, "currency", p->currency, "url",
                  p->url, "image", (const char *)img.data, "thumbnail", (const char *)th.data);
    if (j && score > -1e30f) json_object_set_new(j, "score", json_real(score));
out:
    zt_buf_deinit(&img);
    zt_buf_deinit(&th);
    return j;
}

/* Looks the product of rq->param up; on failure the reply is set. */
static int lookup(struct zt_server *s, struct zt_req *rq, struct zt_product *p)
{
    const char *id = rq->param;
    if (!id || !*id || strlen(id) >= ZT_PRODUCT_ID_MAX || strchr(id, '/')) {
        zt_reply_error(&rq->reply, 404, "not_found", "no such product");
        return ZT_ENOTFOUND;
    }
    struct zt_store *st = zt_server_store_acquire(s);
    if (!st) {
        zt_reply_code(&rq->reply, ZT_EDB);
        return ZT_EDB;
    }
    int rc = zt_store_get(st, id, p);
    zt_server_store_release(s, st);
    if (rc == ZT_ENOTFOUND) zt_reply_error(&rq->reply, 404, "not_found", "no such product");
    else if (rc) zt_reply_code(&rq->reply, rc);
    return rc;
}

void zt_api_product(struct zt_server *s, struct zt_req *rq)
{
    struct zt_product p;
    if (lookup(s, rq, &p)) return;
    zt_reply_json(&rq->reply, 200, zt_product_json(&p, -1e38f));
}

static void send_file(struct zt_req *rq, const char *path)
{
    struct zt_buf b = {0};
    int rc = zt_file_read(path, 64u << 20, &b);
    if (rc) {
        zt_buf_deinit(&b);
        if (rc == ZT_ENOTFOUND) zt_reply_error(&rq->reply, 404, "not_found", "image file missing");
        else zt_reply_error(&rq->reply, 500, "internal", "cannot read the image");
        return;
    }
    const char *ct = "application/octet-stream";
    switch (zt_image_sniff(b.data, b.len)) {
    case ZT_IMAGE_FORMAT_JPEG: ct = "image/jpeg"; break;
    case ZT_IMAGE_FORMAT_PNG: ct = "image/png"; break;
    case ZT_IMAGE_FORMAT_WEBP: ct = "image/webp"; break;
    default: break;
    }
    zt_reply_bytes(&rq->reply, 200, ct, &b);
    zt_reply_header(&rq->reply, "Cache-Control", "public, max-age=3600");
}

void zt_api_image(struct zt_server *s, struct zt_req *rq)
{
    struct zt_product p;
    if (lookup(s, rq, &p)) return;
    send_file(rq, p.image_path);
}

void zt_api_thumb(struct zt_server *s, struct zt_req *rq)
{
    struct zt_product p;
    if (lookup(s, rq, &p)) return;
    char path[4096];
    /* thumb_path is relative to the media folder; a catalogue from before
     * that stored it relative to where ingest ran, which is tried as is */
    if (p.thumb_path[0] && !zt_catalog_media_path(s->catalog, p.thumb_path, path, sizeof path) &&
        zt_file_exists(path))
        send_file(rq, path);
    else
        send_file(rq, p.thumb_path[0] && zt_file_exists(p.thumb_path) ? p.thumb_path : p.image_path);
}
