/* embed_train.h: training and evaluating the search embedding (nn/embed.h)
 * on a photo dataset: `ztyle train-embed` is one call of zt_embed_train.
 * Drawings are rendered afresh every batch (data/embedset.h: edge maps with
 * simulated hints and doodles), photos augmented, and drawings of things
 * the shop does not sell fill the "none" class. After every epoch the
 * model is saved (atomically, to OUT.last) and scored on the validation
 * split; the best epoch (doodle and edge-map category accuracy + R@10, and
 * the category accuracy on garments drawn from memory, data/shapes.h) is
 * kept in OUT; at the end both its category heads get a softmax
 * temperature fitted on validation (calibration: the confidence the API
 * reports). */
#ifndef ZT_EMBED_TRAIN_H
#define ZT_EMBED_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "../data/doodle.h"
#include "../util/zt.h"

struct zt_embedder;
struct zt_embedset;

struct zt_embed_train_opts {
    const char *data;  /* dataset root (train/ and validation/) */
    const char *out;   /* model file: the best epoch (OUT.last: the last) */
    const char *init;  /* optional: start from this model's weights */
    int epochs;        /* 12 */
    int batch;         /* 48 drawing/photo pairs a step */
    int neg;           /* 8 "none" drawings a step */
    int shapes;        /* 0: drawings a step of garments as people draw them from
                          memory (data/shapes.h), labelled with their class, in
                          turn over the classes with a shape family; they train the
                          category head (they have no photo) */
    int size, dim, width; /* 96, 128, 32 */
    int drawing_width; /* 0: width (new model) or the init's; else the drawing
                          tower's: new, or grown from the init's (its function
                          kept: nn/embed.h zt_embed_widen_drawing) */
    double lr;         /* 2e-3 peak (warm-up, then cosine) */
    double frame;      /* 0.65: drawings framed on their ink (nn/embed.h cfg.frame);
                          0: the whole canvas, as models before December 2026 */
    double balance;    /* 0: every photo once an epoch; P in (0, 1]: a class of n
                          photos drawn (n_max / n)^P times as often (1: classes
                          equally), a photo's repeats in different batches */
    double doodle_agree; /* 0: doodles from every usable training mask; else only
                            from masks whose IoU with the border heuristic's reaches
                            it (data/embedset.h; validation keeps every doodle) */
    int freeze_photo;  /* 1 (needs init): only the drawing tower learns; the photo
                          tower and its calibration stay the init's, so catalogues
                          embedded with init stay valid (no re-ingest) */
    enum zt_draw_style style; /* MIXED */
    uint64_t seed;     /* 1 */
    int threads;
    FILE *progress;    /* the photos' loading bar, or NULL */
    struct zt_warn log; /* progress lines (optional): one per log step and epoch */
};
void zt_embed_train_opts_default(struct zt_embed_train_opts *o);
int zt_embed_train(const struct zt_embed_train_opts *o);

struct zt_rng;
/* One epoch's order of tr's items (at most cap, *n_out of them): every
 * item once, or, with balance P > 0, each item (n_max / n_cls)^P times on
 * average (the fraction by a coin), shuffled, with no item twice in one
 * batch of B where it can be helped. */
int zt_embed_epoch_order(const struct zt_embedset *tr, double balance, int B, struct zt_rng *r,
                         int *order, int cap, int *n_out);

/* Scores of drawings of set's items against set's photos. */
struct zt_embed_score {
    int n;
    double r1, r10, mrr;   /* own photo's rank among the set's photos */
    double cat_acc;        /* drawing's category head, argmax */
    double photo_cat_acc;  /* photo's category head, argmax */
    double none_rate;      /* negatives (non-garments) called "none" */
    double garment_none;   /* garment drawings called "none" (false alarms) */
};
/* style: the drawings' style; seed: their seed (fixed for comparable runs). */
int zt_embed_score_set(struct zt_embedder *e, const struct zt_embedset *set,
                       enum zt_draw_style style, uint64_t seed, int threads,
                       struct zt_embed_score *out);

/* The validation figure train-embed keeps the best epoch by: the doodles'
 * and the edge maps' category accuracy and R@10, plus the category
 * accuracy on garments drawn from memory (shapes; < 0: none scored). */
double zt_embed_epoch_score(const struct zt_embed_score *doodles, const struct zt_embed_score *edges,
                            double shapes);

#endif
