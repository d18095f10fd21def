/* param.h: persistent named tensors of a model: trainable parameters (with
 * a gradient buffer) and buffers (BatchNorm running_mean / running_var /
 * num_batches_tracked). Names follow PyTorch state_dict keys. */
#ifndef ZT_PARAM_H
#define ZT_PARAM_H

#include "tensor.h"

struct zt_param {
    char *name;      /* owned: state_dict key, e.g. "model.model.1.weight" */
    struct zt_tensor t; /* t.data (and t.grad for parameters) owned by the list */
    int is_buffer;   /* 1: no gradient, not optimised (running stats, counters) */
};

struct zt_engine;

struct zt_params {
    int n, cap;
    struct zt_param **p; /* each entry allocated separately: &p[i]->t stays valid */
    struct zt_engine *dev; /* borrowed: data and grads live in its device memory, or NULL */
};

/* A zero-initialised struct zt_params is a valid empty list. */
void zt_params_init(struct zt_params *ps);
void zt_params_deinit(struct zt_params *ps); /* frees everything; NULL-safe */
/* Adds a zero-filled tensor named name (copied). Parameters get a zeroed
 * grad and requires_grad = 1; buffers neither. Returns the list-owned tensor
 * (valid until deinit), or NULL + zt_errmsg (duplicate name: ZT_EINVAL
 * message; out of memory). */
struct zt_tensor *zt_params_add(struct zt_params *ps, const char *name, int ndim,
                                const int64_t *shape, int is_buffer);
/* Borrowed tensor by name, or NULL. */
struct zt_tensor *zt_params_get(const struct zt_params *ps, const char *name);
/* Total elements of trainable parameters (buffers excluded). */
int64_t zt_params_numel(const struct zt_params *ps);
void zt_params_zero_grad(struct zt_params *ps);
/* Moves every tensor's data and grad (values kept) into e's device memory
 * (engines with zt_engine_on_device), so device passes can use them; e must
 * outlive the list or its move back. While there, host code must not touch
 * t.data/t.grad (checkpoints: move back first, zt_params_to_host). ZT_OK,
 * or a code with zt_errmsg, when some tensors may have moved (the list
 * stays usable and freeable). No-op when already there / already back. */
int zt_params_to_device(struct zt_params *ps, struct zt_engine *e);
int zt_params_to_host(struct zt_params *ps);

#endif
