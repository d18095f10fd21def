/* dataset.h: training/catalogue image lists. A dataset is a folder tree
 * <class>/<image> (optionally under train/ and validation/ or val/ split
 * folders) or a CSV with a header (path,category[,split,...]); a category
 * map folds fine classes (t-shirt, shirt, ...) into the model categories
 * (top, pants, skirt, hat, dress, shoes). */
#ifndef ZT_DATASET_H
#define ZT_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "../util/hash.h"

#define ZT_MAX_CATEGORIES 16

/* The demo dataset beside the checkout (the commands run from its root). */
#define ZT_DATASET_DEFAULT "../shared/datasets/clothing-small"

enum zt_split { ZT_SPLIT_TRAIN = 0, ZT_SPLIT_VAL = 1 };

/* class -> category fold. Categories are indexed in file order (the order
 * of the one-hot conditioning vector). */
struct zt_catmap {
    int ncat;
    char cat[ZT_MAX_CATEGORIES][32];
    int nclass;
    char (*cls)[64];   /* owned: class names */
    int *cls_cat;      /* owned: category index of each class */
};

/* The built-in map, every class of the demo data: top = t-shirt, shirt,
 * longsleeve, outwear; pants = pants, shorts; skirt; hat; dress; shoes. */
int zt_catmap_default(struct zt_catmap *m);
/* The map before 6 December 2026 (top = t-shirt, shirt, longsleeve;
 * pants; skirt; hat): what training runs recorded without a "catmap" used,
 * so they still resume. */
int zt_catmap_v1(struct zt_catmap *m);
/* m's category names, ", "-separated, into buf (truncated to n). */
void zt_catmap_names(const struct zt_catmap *m, char *buf, size_t n);
/* Loads a map file: lines "category: class, class, ..."; '#' comments.
 * Errors name the file and line. */
int zt_catmap_load(const char *path, struct zt_catmap *m);
void zt_catmap_deinit(struct zt_catmap *m); /* NULL-safe */
/* Category index of a class (or of a category name itself), -1 unmapped. */
int zt_catmap_lookup(const struct zt_catmap *m, const char *cls);
/* Index of a category name, -1 if unknown. */
int zt_catmap_category(const struct zt_catmap *m, const char *name);

struct zt_sample {
    char *path;     /* image path (owned) */
    char *id;       /* file name without extension (owned) */
    char *cls;      /* class as given by folder or CSV (owned) */
    int category;   /* index into the catmap, -1 = unmapped */
    int split;      /* enum zt_split */
};

struct zt_dataset {
    int n;
    struct zt_sample *s; /* sorted by (split, class, id): stable order */
};

/* Lists a dataset. src: a folder tree or a .csv file. Image files are
 * *.jpg, *.jpeg, *.png, *.webp (case-insensitive). Without split folders
 * or a split column, about val_percent % of each class goes to VAL by a
 * hash of the id (stable across runs). */
int zt_dataset_open(const char *src, const struct zt_catmap *map, int val_percent,
                    struct zt_dataset *out);
void zt_dataset_deinit(struct zt_dataset *d); /* NULL-safe */
/* $ZTYLE_DATASET when set and non-empty, else ZT_DATASET_DEFAULT. Borrowed. */
const char *zt_dataset_default(void);

#endif
