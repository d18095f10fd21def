/* embed.h: the search embedding. Two small CNN towers map a drawing (the
 * generator's 5 input planes: lines, hint RGB, hint mask) and a product
 * photo (RGB) into one unit-length vector space, where a drawing lies near
 * the photos of the product it shows; each tower also has a category head
 * over the catalogue's classes plus one "none" class (nothing the shop
 * sells: trained on drawings of other things).
 *
 * Tower: 7 conv3x3 + BatchNorm + ReLU (strides 2,1,2,1,2,1,2; widths w, w,
 * 2w, 2w, 4w, 4w, 8w), global average pool, dropout 0.2 (training), one
 * linear layer to dim + nclass + 1 outputs (embedding, then category
 * logits).
 * Trained with a symmetric contrastive loss over the batch (drawing i's
 * photo against the batch's other photos, same-class photos sharing a
 * little of the target) plus cross-entropy on both category heads. */
#ifndef ZT_EMBED_H
#define ZT_EMBED_H

#include <stdint.h>

#include "../core/param.h"

struct zt_graph;
struct zt_tensor;

#define ZT_EMBED_DEFAULT "models/ztyle-embed.safetensors"
#define ZT_EMBED_MAX_CLASSES 24
#define ZT_EMBED_CLASS_MAX 32
#define ZT_EMBED_LAYERS 7

enum zt_embed_tower_id { ZT_TOWER_DRAWING = 0, ZT_TOWER_PHOTO = 1 };
#define ZT_EMBED_DRAWING_CH 5
#define ZT_EMBED_PHOTO_CH 3

struct zt_embed_cfg {
    int size;   /* input side: 96 */
    int dim;    /* embedding dimensions: 128 */
    int width;  /* w: 32 */
    int dwidth; /* the drawing tower's w when it differs (0: width); grown by
                   zt_embed_widen_drawing so a wider drawing tower can learn
                   against a photo tower a catalogue was embedded with */
    int nclass; /* catalogue classes (the head has nclass + 1: "none" last) */
    char classes[ZT_EMBED_MAX_CLASSES][ZT_EMBED_CLASS_MAX];
    float temp;       /* contrastive temperature: 0.07 */
    float cal_temp[2];/* category softmax temperature per tower (calibrated on
                         validation after training; 1 = raw) */
    float frame;      /* 0 (models before December 2026): a drawing's planes are
                         the whole canvas reduced; else the drawing framed on
                         its ink, the garment filling this share of the side
                         (data/drawing.h zt_planes_reframe; 0.65) */
};

struct zt_embed_tower {
    int in_ch;
    struct {
        struct zt_tensor *w, *bw, *bb, *rm, *rv, *nbt;
        int cin, cout, stride;
    } conv[ZT_EMBED_LAYERS];
    struct zt_tensor *fc_w, *fc_b;
};

struct zt_embed {
    struct zt_embed_cfg cfg;
    struct zt_params params; /* owned: both towers */
    struct zt_embed_tower tower[2];
    float bn_momentum;       /* of the running statistics in training: 0.1 */
};

/* Defaults for nclass classes (names set by the caller). */
void zt_embed_cfg_default(struct zt_embed_cfg *c);
/* Creates every parameter (zeroed; BN weight 1, running_var 1). */
int zt_embed_init(struct zt_embed *m, const struct zt_embed_cfg *c);
void zt_embed_deinit(struct zt_embed *m); /* NULL-safe */
/* He-normal convolutions and linear layer from seed. */
void zt_embed_init_weights(struct zt_embed *m, uint64_t seed);
/* out = src with its drawing tower widened to width (>= its own): every
 * layer's extra channels copy random ones of the layer (Net2WiderNet), the
 * next layer's weights from a copied channel split among its copies, so in
 * eval mode the tower computes what src's does. noise (share of each
 * layer's weight spread, 0 = exact) makes the copies differ, so training
 * can tell them apart. The photo tower is src's, bit for bit. */
int zt_embed_widen_drawing(const struct zt_embed *src, int width, float noise, uint64_t seed,
                           struct zt_embed *out);
/* x (N, in_ch, S, S) -> (N, dim + nclass + 1) raw outputs. The graph's
 * flags choose train (batch statistics) or eval. NULL on failure. */
struct zt_tensor *zt_embed_forward(struct zt_embed *m, struct zt_graph *g, int tower,
                                   struct zt_tensor *x);
/* Raw output row -> unit embedding (dim) and category probabilities
 * (nclass + 1, calibrated with cfg.cal_temp[tower]); either may be NULL. */
void zt_embed_finish(const struct zt_embed_cfg *c, int tower, const float *row, float *emb,
                     float *prob);

/* Files: safetensors with the weights (F32 or F16) and metadata
 * "ztyle.embed" = JSON-free "key=value;..." config (size, dim, width,
 * classes, temp, cal0, cal1). */
int zt_embed_save(const char *path, const struct zt_embed *m, int f16);
/* Loads path into a new model in *m (m uninitialised). ZT_EFORMAT on a
 * file that is not an embedding model. */
int zt_embed_load(const char *path, struct zt_embed *m);

/* --- training (one step: forward both towers, loss, backward, Adam) --- */

struct zt_embed_losses {
    double contrastive, cls_drawing, cls_photo, total;
    double acc_drawing, acc_photo; /* category accuracy in the batch */
    double r1;                     /* drawing -> its own photo is the batch's best */
};

/* The loss of raw tower outputs yd (nd rows) and yp (np rows, paired with
 * yd's first np) with labels ld/lp, and its gradient with respect to them
 * (dyd, dyp: same shapes, overwritten). Pure function of its inputs. */
int zt_embed_loss(const struct zt_embed_cfg *c, const float *yd, int nd, const int *ld,
                  const float *yp, int np, const int *lp, float *dyd, float *dyp,
                  struct zt_embed_losses *out);

struct zt_embed_trainer;
/* lr: Adam learning rate; nthreads: engine threads. freeze_photo: the
 * photo tower is left exactly as it is (weights and running statistics;
 * it runs in eval mode and the drawing tower learns against its fixed
 * embeddings), so a catalogue it embedded stays valid. */
int zt_embed_trainer_new(struct zt_embed *m, double lr, int nthreads, int freeze_photo,
                         struct zt_embed_trainer **out);
void zt_embed_trainer_free(struct zt_embed_trainer *t); /* NULL-safe */
void zt_embed_trainer_set_lr(struct zt_embed_trainer *t, double lr);
/* xd: nd drawings (5 planes each); the first np are paired with the np
 * photos xp (3 planes each), in order; labels ld (nd) and lp (np) are class
 * indices, nclass = "none" (drawings only, not paired). */
int zt_embed_train_step(struct zt_embed_trainer *t, const float *xd, int nd, const int *ld,
                        const float *xp, int np, const int *lp, struct zt_embed_losses *out);
/* Re-estimates the BatchNorm running statistics of a tower with the weights
 * as they are: call it with k = 0, 1, 2, ... on batches like a step's (x:
 * n inputs of the tower's planes); after K calls every layer holds the plain
 * average of the K batches' statistics. No weight changes. (The momentum
 * average of training lags the weights; the validation figures and the
 * shipped model's eval-mode outputs swung with it from epoch to epoch.) */
int zt_embed_trainer_bn_stats(struct zt_embed_trainer *t, int tower, const float *x, int n, int k);
/* 1 when the photo tower is frozen (bn_stats then leaves it alone too). */
int zt_embed_trainer_photo_frozen(const struct zt_embed_trainer *t);

/* --- inference --- */

/* The model a command uses: opt when given ("" = none), else $ZTYLE_EMBED
 * when set, else ZT_EMBED_DEFAULT when that file exists, else "" (none).
 * Borrowed. */
const char *zt_embed_model_resolve(const char *opt);

/* What a catalogue's embeddings depend on: a 64-bit hash (FNV-1a) of the
 * photo tower's weights and statistics, its input size and dimensions.
 * Models that differ only in the drawing tower or its framing share it.
 * Never 0 (catalogues record 0 for "no model"). */
uint64_t zt_embed_photo_fingerprint(const struct zt_embed *m);
/* The same of a model file. */
int zt_embed_file_fingerprint(const char *path, uint64_t *out);

struct zt_embedder;
/* Loads a model file with its own engine (nthreads) and graph. NULL + errmsg. */
struct zt_embedder *zt_embedder_open(const char *path, int nthreads);
void zt_embedder_close(struct zt_embedder *e); /* NULL-safe */
const struct zt_embed_cfg *zt_embedder_cfg(const struct zt_embedder *e);
uint64_t zt_embedder_fingerprint(const struct zt_embedder *e); /* of the file it loaded */
/* n inputs of the tower's planes (size x size) -> emb (n x dim, unit
 * length) and prob (n x (nclass + 1)); either may be NULL. */
int zt_embedder_run(struct zt_embedder *e, int tower, const float *x, int n, float *emb,
                    float *prob);

#endif
