/* edges_net.h: the learned edge detectors DexiNed and TEED (nn/dexined.h,
 * nn/teed.h) behind one handle: weights from a safetensors file made by
 * tools/convert_dexined.py, the authors' pre-processing (BGR minus their
 * mean, sides padded to a multiple of 16 (DexiNed) / 8 (TEED) by
 * replicating the last row and column, outputs cropped back) and the
 * sigmoid of the fused map as the soft edge map that zt_edges_from_soft()
 * and zt_edges_detect() (img/edges.h, method DEXINED/TEED with params.net =
 * zt_edgenet_detector(net)) turn into a drawing. */
#ifndef ZT_EDGES_NET_H
#define ZT_EDGES_NET_H

#include "../img/edges.h"

struct zt_engine_opts;
struct zt_image;
struct zt_params;
struct zt_edgenet;

/* Largest input (pixels of the rectangle) a detector accepts: DexiNed's
 * activations take about 1.2 KB per pixel at their peak. */
#define ZT_EDGENET_MAX_PIXELS (2048 * 2048)

/* A detector of method ZT_EDGE_DEXINED or ZT_EDGE_TEED with zero weights
 * (tests fill zt_edgenet_params; everyone else loads a file).
 * eo: engine options of every worker context (NULL = cpu backend, default
 * threads, no autotune). *out: caller closes with zt_edgenet_close.
 * ZT_EINVAL for another method, ZT_ENOMEM. */
int zt_edgenet_new(enum zt_edge_method method, const struct zt_engine_opts *eo,
                   struct zt_edgenet **out);
/* zt_edgenet_new + zt_edgenet_load. weights NULL or "" is ZT_EINVAL with a
 * message saying where the official weights come from. */
int zt_edgenet_open(enum zt_edge_method method, const char *weights,
                    const struct zt_engine_opts *eo, struct zt_edgenet **out);
void zt_edgenet_close(struct zt_edgenet *net); /* NULL-safe */

/* Loads every tensor from a safetensors file by the authors' state_dict
 * names: all must be present with their shapes and nothing else may be
 * there; a file whose "ztyle_model" metadata names the other detector is
 * refused. ZT_ENOTFOUND / ZT_EIO / ZT_EFORMAT (message names the key);
 * nothing is changed on failure. Not while other threads run the net. */
int zt_edgenet_load(struct zt_edgenet *net, const char *path);

enum zt_edge_method zt_edgenet_method(const struct zt_edgenet *net);
/* The net as img/edges.c takes it in zt_edge_params.net (borrowed; NULL
 * for a NULL net). */
struct zt_edge_detector *zt_edgenet_detector(struct zt_edgenet *net);
/* The model's tensors (borrowed). */
struct zt_params *zt_edgenet_params(struct zt_edgenet *net);
/* Side outputs + fused map: 7 for DexiNed, 4 for TEED. */
int zt_edgenet_nmaps(const struct zt_edgenet *net);

/* Runs the detector on the rectangle rect (x, y, w, h; NULL = the whole
 * image) of src (1, 2, 3 or 4 channels; gray is used for B, G and R; alpha
 * is composited over white) and writes nmaps * w * h floats to maps: the
 * logits of each side output and of the fused map, in the model's order.
 * Thread-safe: each concurrent caller gets its own engine and graph from a
 * pool inside net (weights are shared). ZT_EINVAL (bad image or rect),
 * ZT_ETOOBIG (more than ZT_EDGENET_MAX_PIXELS), ZT_ENOMEM. */
int zt_edgenet_maps(struct zt_edgenet *net, const struct zt_image *src, const int *rect,
                    float *maps);
/* Same, but only sigmoid(fused map): w * h edge probabilities in soft. */
int zt_edgenet_soft(struct zt_edgenet *net, const struct zt_image *src, const int *rect,
                    float *soft);

#endif
