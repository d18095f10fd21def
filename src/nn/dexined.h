/* dexined.h: DexiNed, the Dense Extreme Inception Network for edge detection
 * (Soria, Riba, Sappa; WACV 2020 / Pattern Recognition 2023), as the
 * authors' PyTorch model (github.com/xavysp/DexiNed, model.py), written on
 * the engine's ops for inference: six dense blocks with skip connections,
 * six upsampled side outputs and their fused 1x1 combination. Parameter and
 * buffer names are the authors' state_dict keys (35.2M parameters), so their
 * released checkpoints load after tools/convert_dexined.py. */
#ifndef ZT_DEXINED_H
#define ZT_DEXINED_H

struct zt_graph;
struct zt_params;
struct zt_tensor;

#define ZT_DEXINED_NOUT 7 /* side outputs 1..6, then the fused map */
#define ZT_DEXINED_MULTIPLE 16 /* input sides must be multiples of this */

struct zt_dexined;

/* Every tensor of the authors' state_dict, zero-filled (BatchNorm weight
 * and running_var 1), including the ones the forward pass never reads
 * (side_5, block_cat.bn), so a checkpoint maps one to one. NULL +
 * zt_errmsg on failure. Caller frees with zt_dexined_free. */
struct zt_dexined *zt_dexined_new(void);
void zt_dexined_free(struct zt_dexined *m); /* NULL-safe */
/* The model's tensors by state_dict name (borrowed; fill them or load a
 * checkpoint into them with zt_ckpt_load). Read-only during forward, so
 * several threads may run forward on one model with their own graphs. */
struct zt_params *zt_dexined_params(struct zt_dexined *m);

/* x (N, 3, H, W): BGR minus the mean (see edges_net.h), H and W multiples
 * of 16 -> outs[0..6] (N, 1, H, W) logits in g's arena: the six side
 * outputs and the fused map (sigmoid gives edge probability). Inference
 * only: g must be in a pass begun with flags 0 (eval BatchNorm); the arena
 * is compacted between stages, so tensors made earlier in the pass stay
 * valid but intermediate ones of this call are gone. Returns ZT_OK, or a
 * code with zt_errmsg (bad input shape, out of memory). */
int zt_dexined_forward(struct zt_dexined *m, struct zt_graph *g, struct zt_tensor *x,
                       struct zt_tensor *outs[ZT_DEXINED_NOUT]);

#endif
