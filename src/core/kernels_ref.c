/* kernels_ref.c: the reference backend's kernel table, filled from ops.def
 * (every op has a reference fwd and bwd; the linker enforces it). */
#include "backend.h"

const struct zt_backend zt_backend_ref = {
    .name = "ref",
    .fwd = {
#define X(id, lower) [ZT_OP_##id] = zt_ref_##lower##_fwd,
#include "ops.def"
#undef X
    },
    .bwd = {
#define X(id, lower) [ZT_OP_##id] = zt_ref_##lower##_bwd,
#include "ops.def"
#undef X
    },
};
