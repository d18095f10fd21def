/* api_products.c: products by id: /api/products/{id} (JSON), /images/{id},
 * /thumbs/{id} and /edges/{id} (the media from the store; for a catalogue
 * from before the media table, files whose paths come from the store,
 * never from the URL, so there is nothing to traverse). */
#include "http_impl.h"
#include "../catalog/index_store.h"
#include "../catalog/store.h"
#include "../util/fs.h"
#include "../util/hash.h"
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

static const char *image_ctype(const struct zt_buf *b)
{
    switch (zt_image_sniff(b->data, b->len)) {
    case ZT_IMAGE_FORMAT_JPEG: return "image/jpeg";
    case ZT_IMAGE_FORMAT_PNG: return "image/png";
    case ZT_IMAGE_FORMAT_WEBP: return "image/webp";
    default: return "application/octet-stream";
    }
}

/* 200 with the bytes (taken), or 304 when the client holds them already
 * (If-None-Match equal to the ETag, a hash of the bytes). */
static void send_bytes(struct zt_req *rq, struct zt_buf *b)
{
    char etag[24];
    snprintf(etag, sizeof etag, "\"%016llx\"",
             (unsigned long long)zt_hash_bytes(b->data, b->len));
    if (!strcmp(rq->if_none_match, etag)) {
        zt_buf_deinit(b);
        rq->reply.status = 304;
    } else {
        zt_reply_bytes(&rq->reply, 200, image_ctype(b), b);
    }
    zt_reply_header(&rq->reply, "ETag", etag);
    zt_reply_header(&rq->reply, "Cache-Control", "public, max-age=3600");
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
    send_bytes(rq, &b);
}

/* Looks the product up and answers with its media `kind` from the store.
 * 1 when answered (with the media, or an error); 0 when the store has no
 * such media (a catalogue ingested before schema 3): *p is the product,
 * for the caller's fall-back to files. */
static int send_media(struct zt_server *s, struct zt_req *rq, int kind, struct zt_product *p)
{
    if (lookup(s, rq, p)) return 1;
    struct zt_store *st = zt_server_store_acquire(s);
    if (!st) {
        zt_reply_code(&rq->reply, ZT_EDB);
        return 1;
    }
    struct zt_buf b = {0};
    int rc = zt_store_media_get(st, p->id, kind, &b.data, &b.len);
    zt_server_store_release(s, st);
    b.cap = b.len;
    if (rc == ZT_ENOTFOUND) {
        zt_clearerr();
        return 0;
    }
    if (rc) zt_reply_code(&rq->reply, rc);
    else send_bytes(rq, &b);
    zt_buf_deinit(&b);
    return 1;
}

/* A media file of an older catalogue, by its path relative to the media
 * folder; 0 when there is none. */
static int send_media_file(struct zt_server *s, struct zt_req *rq, const char *rel)
{
    char path[4096];
    if (!rel[0] || zt_catalog_media_path(s->catalog, rel, path, sizeof path) ||
        !zt_file_exists(path))
        return 0;
    send_file(rq, path);
    return 1;
}

void zt_api_image(struct zt_server *s, struct zt_req *rq)
{
    struct zt_product p;
    if (!send_media(s, rq, ZT_MEDIA_ORIGINAL, &p)) send_file(rq, p.image_path);
}

void zt_api_thumb(struct zt_server *s, struct zt_req *rq)
{
    struct zt_product p;
    if (send_media(s, rq, ZT_MEDIA_THUMB, &p) || send_media_file(s, rq, p.thumb_path)) return;
    /* a catalogue from before media-relative paths stored it relative to
     * where ingest ran, which is tried as is; else the photo itself */
    send_file(rq, p.thumb_path[0] && zt_file_exists(p.thumb_path) ? p.thumb_path : p.image_path);
}

void zt_api_edges_image(struct zt_server *s, struct zt_req *rq)
{
    struct zt_product p;
    if (send_media(s, rq, ZT_MEDIA_EDGES, &p) || send_media_file(s, rq, p.edge_path)) return;
    zt_reply_error(&rq->reply, 404, "not_found", "no edge map for this product");
}
