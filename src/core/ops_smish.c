/* ops_smish.c: the constructor of smish, the activation TEED (an edge detector) needs.
 * Shape checks and node arguments only; kernels in kernels_ref_smish.c. */
#include "backend.h"
#include "ops.h"
#include "../util/zt.h"

struct zt_tensor *zt_smish(struct zt_graph *g, struct zt_tensor *x)
{
    struct zt_tensor *srcs[1] = {x};
    if (zt_op_check(g, "smish", 1, srcs, 1)) return NULL;
    struct zt_node *n = zt_op_node(g, ZT_OP_SMISH, x->ndim, x->shape, 1, srcs);
    if (!n) return NULL;
    return zt_op_run(g, n);
}
