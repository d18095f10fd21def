/* api_products.c: products by id: /api/products/{id} (JSON), /images/{id}
 * and /thumbs/{id} (the stored files; paths come from the store, never
 * from the URL, so there is nothing to traverse). */
#include "http_impl.h"
#include "../catalog/index_store.h"
#include "../catalog/store.h"
#include "../util/fs.h"
#include "../util/zt.h"

#include <jansson.h>
#include <string.h>

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
    zt_reply_json(&rq->reply, 200, zt_product_json(&p, ZT_PRODUCT_LINKS));
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
