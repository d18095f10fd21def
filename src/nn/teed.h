/* teed.h: TEED, the Tiny and Efficient Edge Detector (Soria, Li, Poma,
 * Sappa; ICCV 2023 workshops), as the authors' PyTorch model
 * (github.com/xavysp/TEED, ted.py, class TED), for inference on the
 * engine: two conv blocks and one dense block with Smish activations,
 * three upsampled side outputs and the "double fusion" of depthwise convs.
 * 58,910 parameters; names are the authors' state_dict keys. */
#ifndef ZT_TEED_H
#define ZT_TEED_H

struct zt_graph;
struct zt_params;
struct zt_tensor;

#define ZT_TEED_NOUT 4     /* side outputs 1..3, then the fused map */
#define ZT_TEED_MULTIPLE 8 /* input sides must be multiples of this */

struct zt_teed;

/* Every tensor of the authors' state_dict, zero-filled. NULL + zt_errmsg
 * on failure. Caller frees with zt_teed_free. */
struct zt_teed *zt_teed_new(void);
void zt_teed_free(struct zt_teed *m); /* NULL-safe */
/* Borrowed; read-only during forward (threads may share one model). */
struct zt_params *zt_teed_params(struct zt_teed *m);

/* x (N, 3, H, W): BGR minus the mean, H and W multiples of 8 ->
 * outs[0..3] (N, 1, H, W) in g's arena: three side-output logits and the
 * fused map (already passed through Smish by the model, as upstream; its
 * sigmoid is the edge probability). Inference only (a pass begun with
 * flags 0). ZT_OK or a code with zt_errmsg. */
int zt_teed_forward(struct zt_teed *m, struct zt_graph *g, struct zt_tensor *x,
                    struct zt_tensor *outs[ZT_TEED_NOUT]);

#endif
