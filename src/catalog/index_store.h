/* index_store.h: the catalogue's search index kept beside the store: where
 * the media folder is (thumbnails, edge maps, index files), building the
 * exact index from the store's "search" features, and loading the persisted
 * file with a fall-back rebuild when it is missing or out of step. */
#ifndef ZT_INDEX_STORE_H
#define ZT_INDEX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"

struct zt_store;

/* Feature names ingest writes per product. */
#define ZT_FEATURE_SEARCH "search"     /* ZT_FEAT_DIM little-endian f32 */
#define ZT_FEATURE_DOMINANT "dominant" /* ZT_FEAT_NDOM x (L, a, b, weight) f32 */
/* Which embedding model made the product's embedding: its file's
 * fingerprint (nn/embed.h), u64 little-endian; 0 = ingested without one.
 * Missing on products ingested before December 2026. */
#define ZT_FEATURE_EMBED_MODEL "embed.model"

/* A product's embedding against a model of fingerprint fp (0 = none). */
enum zt_embed_origin { ZT_EMBED_SAME, ZT_EMBED_OTHER, ZT_EMBED_NONE, ZT_EMBED_UNKNOWN };
int zt_catalog_embed_origin(struct zt_store *s, const char *id, uint64_t fp,
                            enum zt_embed_origin *out);
int zt_catalog_embed_put(struct zt_store *s, const char *id, uint64_t fp);
/* Every stored product's origin, counted by enum zt_embed_origin. */
int zt_catalog_embed_census(struct zt_store *s, uint64_t fp, int64_t count[4]);

/* Default catalogue when --catalog is not given. */
#define ZT_CATALOG_DEFAULT "ztyle-catalog.db"

/* Media folder of a catalogue: "<path>.media" for a SQLite file, else
 * $ZTYLE_MEDIA, else "ztyle-media" (PostgreSQL). Holds thumbs/<id>.jpg,
 * edges/<id>.png, index.zti (exact) and index.ivf (approximate). */
int zt_catalog_media_dir(const char *catalog, char *out, size_t n);
/* "<media>/<name>"; also how a stored thumb_path/edge_path ("thumbs/<id>.jpg",
 * relative to the media folder) becomes a path to open. */
int zt_catalog_media_path(const char *catalog, const char *name, char *out, size_t n);

struct zt_product;
struct zt_image;
struct zt_image_limits;
/* Decodes the photo of p: the original stored in the catalogue (media
 * table), else the file at p->image_path (a catalogue from before schema 3,
 * or an original over ZT_MEDIA_MAX). Caller frees *out with zt_image_free. */
int zt_catalog_photo_load(struct zt_store *s, const struct zt_product *p, int want_c,
                          const struct zt_image_limits *lim, struct zt_image *out);

/* Builds the exact index from every product having the search feature of
 * the current version, in id order (ids, categories and prices from the
 * product rows). Caller frees. */
int zt_index_from_store(struct zt_store *s, struct zt_index **out);

/* The index of the store now, made from base (the index of catalogue
 * version `since`, borrowed) and the change log: base's items minus the
 * products changed since, plus those of them that still exist with a
 * current search feature, in id order. Reads only the changed products,
 * not every feature row; the result equals zt_index_from_store's. *nchanged
 * (optional): the distinct products changed. ZT_ENOTFOUND when the log
 * does not reach back to since, ZT_ETOOBIG past max_changes log rows:
 * then rebuild with zt_index_from_store. Caller frees *out. */
int zt_index_from_store_delta(struct zt_store *s, const struct zt_index *base, int64_t since,
                              int64_t max_changes, struct zt_index **out, int64_t *nchanged);

/* The catalogue's index: <media>/index.zti when it exists and holds as many
 * items as the store has products with features, else rebuilt from the
 * store and saved (a failed save is not an error: *saved says). Caller
 * frees. */
int zt_catalog_index_open(const char *catalog, struct zt_store *s, struct zt_index **out,
                          int *rebuilt);
/* Removes the persisted index files (any write to the catalogue does this
 * first, so a crash can only leave a missing index, never a stale one). */
int zt_catalog_index_invalidate(const char *catalog);

#endif
