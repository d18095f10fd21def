/* optim.h: optimizers over a model's parameter list (core/param.h): Adam
 * and SGD with momentum, with torch.optim semantics, and the pix2pix
 * learning-rate rule. One fused pass per parameter: update, then zero grad. */
#ifndef ZT_OPTIM_H
#define ZT_OPTIM_H

#include <stdint.h>

struct zt_params;

/* Hyper-parameters are doubles as in Python; the update rounds them to
 * float where torch's float kernels do. */
struct zt_adam_opts {
    double lr, beta1, beta2, eps;
    double weight_decay; /* L2 added to the gradient, as torch.optim.Adam (not AdamW) */
};

struct zt_sgd_opts {
    double lr, momentum, dampening, weight_decay;
    int nesterov;
};

struct zt_optim;

/* Binds to the trainable (non-buffer) parameters present in ps now that
 * require a gradient now (one frozen before, requires_grad = 0, is never
 * updated, weight decay included); ps is borrowed and must outlive the optimizer. State (moments, momentum
 * buffers) is owned by the optimizer, zero-initialised. nthreads: OpenMP
 * threads for the update (<= 0: 1). NULL + zt_errmsg on failure (bad
 * hyper-parameters: ZT_EINVAL message; out of memory). */
struct zt_optim *zt_optim_adam_new(struct zt_params *ps, const struct zt_adam_opts *o,
                                   int nthreads);
struct zt_optim *zt_optim_sgd_new(struct zt_params *ps, const struct zt_sgd_opts *o,
                                  int nthreads);
void zt_optim_free(struct zt_optim *opt); /* NULL-safe */
struct zt_engine;
/* Adam only: moves the state into e's device memory (values kept) and
 * steps there with e's fused kernel (the parameters must be there too,
 * zt_params_to_device); zt_optim_to_host moves it back (before reading
 * zt_optim_state, e.g. for a checkpoint). ZT_OK, ZT_EINVAL (SGD, or an
 * engine without device memory) or a device error; all or nothing. */
int zt_optim_to_device(struct zt_optim *opt, struct zt_engine *e); /* e outlives opt */
int zt_optim_to_host(struct zt_optim *opt);

/* One step over every bound parameter from its .grad, then zeroes the grad
 * (same pass). Elementwise, so the result does not depend on nthreads. */
void zt_optim_step(struct zt_optim *opt);
void zt_optim_set_lr(struct zt_optim *opt, double lr);
int64_t zt_optim_steps(const struct zt_optim *opt);

/* Optimizer state for checkpoints: slot 0 = exp_avg (Adam) / momentum_buffer
 * (SGD), slot 1 = exp_avg_sq (Adam); i indexes the bound parameters in list
 * order. Borrowed (numel of the parameter floats), NULL when absent. */
int zt_optim_nparams(const struct zt_optim *opt);
float *zt_optim_state(struct zt_optim *opt, int i, int slot);
/* Restores the step counter (e.g. after loading state); SGD: marks the
 * momentum buffers as initialised when steps > 0. */
void zt_optim_set_steps(struct zt_optim *opt, int64_t steps);

/* pix2pix "linear" policy (LambdaLR factor for 0-based scheduler epoch):
 * 1 - max(0, epoch + epoch_count - n_epochs) / (n_epochs_decay + 1). */
double zt_lr_lambda_linear(int epoch, int epoch_count, int n_epochs, int n_epochs_decay);

#endif
