/* product.h: one catalogue product (fixed-size fields, no heap), its
 * validation rules, and the price and category helpers shared by the
 * ingest parser and the stores. No I/O and no SQL here. */
#ifndef ZT_PRODUCT_H
#define ZT_PRODUCT_H

#include <stddef.h>
#include <stdint.h>

/* Field capacities in bytes, including the terminating NUL. Values that do
 * not fit are rejected (ZT_ETOOBIG), never truncated. */
enum {
    ZT_PRODUCT_ID_MAX = 129,       /* 128 bytes of SKU or file stem */
    ZT_PRODUCT_TITLE_MAX = 513,
    ZT_PRODUCT_CATEGORY_MAX = 16,
    ZT_PRODUCT_CLASS_MAX = 65,
    ZT_PRODUCT_CURRENCY_MAX = 4,   /* ISO 4217 code, 3 upper-case letters */
    ZT_PRODUCT_URL_MAX = 2049,
    ZT_PRODUCT_PATH_MAX = 1025,    /* image, thumbnail and edge-map paths */
    ZT_PRODUCT_NAME_MAX = 65,      /* feature names ("edges-v1", "rgb-hist") */
};

/* Largest price accepted, in minor units (10^13 cents = 100 billion units). */
#define ZT_PRICE_MAX INT64_C(10000000000000)

/* Catalogue categories, the coarse filter in search. */
enum zt_category {
    ZT_CATEGORY_TOP,
    ZT_CATEGORY_PANTS,
    ZT_CATEGORY_SKIRT,
    ZT_CATEGORY_HAT,
    ZT_CATEGORY_OTHER,
    ZT_CATEGORY_COUNT
};

/* A product. All strings are NUL-terminated UTF-8 stored inline, so a
 * struct zt_product owns nothing and is copied by assignment.
 *
 * Price: integer minor units plus an ISO 4217 code ("19.90" USD is
 * price = 1990, currency "USD"). Every supported currency is treated as
 * having 2 decimals; integers avoid float rounding in filters and sums.
 *
 * Derived fields (thumb_path, edge_path) are written by ingest after the
 * images are processed; "" means "not computed yet". updated_at is unix
 * seconds, set by the store on every upsert (ignored on input). */
struct zt_product {
    char id[ZT_PRODUCT_ID_MAX];             /* stable key: SKU or image file stem */
    char title[ZT_PRODUCT_TITLE_MAX];
    char category[ZT_PRODUCT_CATEGORY_MAX]; /* one of zt_category_name() */
    char cls[ZT_PRODUCT_CLASS_MAX];         /* "t-shirt", "shirt", ...; may be "" */
    int64_t price;                          /* minor units, >= 0 */
    char currency[ZT_PRODUCT_CURRENCY_MAX]; /* "USD" */
    char url[ZT_PRODUCT_URL_MAX];           /* shop page: http(s):// or relative */
    char image_path[ZT_PRODUCT_PATH_MAX];   /* source photo, required */
    char thumb_path[ZT_PRODUCT_PATH_MAX];   /* derived, "" = none */
    char edge_path[ZT_PRODUCT_PATH_MAX];    /* derived, "" = none */
    int64_t updated_at;                     /* unix seconds; set by the store */
};

/* Currency used when a row gives none. */
#define ZT_DEFAULT_CURRENCY "USD"

/* Clears p and sets currency to ZT_DEFAULT_CURRENCY. */
void zt_product_init(struct zt_product *p);

/* Copies the first n bytes of s (n = strlen(s) when n is (size_t)-1) into
 * the field dst of capacity cap. ZT_ETOOBIG if it does not fit (dst is
 * then left unchanged), ZT_EINVAL if s contains a NUL byte or a control
 * character other than tab. `field` names the field in the message. */
int zt_product_set(char *dst, size_t cap, const char *field, const char *s, size_t n);

/* Checks every rule of a product before it is stored: non-empty id
 * without control characters or '/', non-empty title, known category,
 * 0 <= price <= ZT_PRICE_MAX, a 3-letter upper-case currency, a url that
 * is http(s):// with a host or relative (no other scheme), a non-empty
 * image path. Returns ZT_OK or ZT_EINVAL with "<field>: <why>". */
int zt_product_validate(const struct zt_product *p);

/* Parses a decimal price ("19", "19.9", "19.90") into minor units.
 * Leading/trailing ASCII spaces are ignored. ZT_EINVAL with a message of
 * the form "'abc' is not a number", "'-1' is negative", "'1.234' has more
 * than 2 decimals" or "'...' is too large". */
int zt_price_parse(const char *s, int64_t *minor);
/* Formats minor units as "19.90" into out (size n >= 24). */
void zt_price_format(int64_t minor, char *out, size_t n);

/* "top", "pants", ...; NULL for an out-of-range value. */
const char *zt_category_name(enum zt_category c);
/* Case-insensitive parse of a category name. ZT_EINVAL if unknown. */
int zt_category_parse(const char *s, enum zt_category *out);
/* Category a garment class belongs to ("t-shirt" -> top, "shorts" ->
 * pants, "dress" -> other); unknown classes map to ZT_CATEGORY_OTHER. */
enum zt_category zt_category_of_class(const char *cls);

/* Garment classes: what search understands from a drawing or photo and
 * filters on, finer than categories. The table holds the shop datasets'
 * classes and the coarse category names themselves (a product without a
 * class is its category's class); "other" last. */
#define ZT_CLASS_COUNT 12
#define ZT_CLASS_OTHER (ZT_CLASS_COUNT - 1)
const char *zt_class_name(int k); /* NULL out of range */
/* Class index of a name (case-insensitive), -1 if unknown. */
int zt_class_parse(const char *s);
/* A product's class: its cls when known, else its category's. */
int zt_class_of_product(const struct zt_product *p);
enum zt_category zt_class_category(int k);
/* Bit mask of the classes in category c (for index filters). */
uint64_t zt_class_mask_of_category(enum zt_category c);

/* How a product's pictures appear in its JSON: the stored file paths (the
 * command line) or the server's links /images/{id} and /thumbs/{id}. */
enum zt_product_links { ZT_PRODUCT_PATHS, ZT_PRODUCT_LINKS };
struct json_t;
/* Product -> JSON object, the one shape the command line and the API share:
 * id, title, category, class, price (number), price_text ("19.90"),
 * currency, url, image, thumbnail. Callers add their own fields (score).
 * Caller decrefs; NULL when out of memory. */
struct json_t *zt_product_json(const struct zt_product *p, enum zt_product_links links);

/* URL rule used by validate: ZT_OK for http://host..., https://host...
 * or a relative reference ("/p/1", "p/1"); ZT_EINVAL otherwise. */
int zt_url_check(const char *url);

#endif
