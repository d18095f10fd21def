/* init.h: weight initialisation from the engine's seeded RNG, as PyTorch's
 * torch.nn.init (same fan rules and bounds; the random streams differ) and
 * the pix2pix init_weights("normal", 0.02) policy over a parameter list. */
#ifndef ZT_INIT_H
#define ZT_INIT_H

struct zt_rng;
struct zt_tensor;
struct zt_params;

void zt_init_constant(struct zt_tensor *t, float v);
void zt_init_uniform(struct zt_rng *r, struct zt_tensor *t, float lo, float hi);
void zt_init_normal(struct zt_rng *r, struct zt_tensor *t, float mean, float std);

/* torch.nn.init._calculate_fan_in_and_fan_out: fan_in = shape[1] * receptive,
 * fan_out = shape[0] * receptive (receptive = prod(shape[2:])). ZT_EINVAL
 * for fewer than 2 dims. Note ConvTranspose weights are (Cin, Cout/g, k, k),
 * so, as in PyTorch, "fan_in" there is Cout/g * k*k. */
int zt_init_fans(const struct zt_tensor *t, double *fan_in, double *fan_out);

/* Xavier/Glorot: std = gain * sqrt(2 / (fan_in + fan_out)); uniform bound sqrt(3) * std. */
int zt_init_xavier_uniform(struct zt_rng *r, struct zt_tensor *t, double gain);
int zt_init_xavier_normal(struct zt_rng *r, struct zt_tensor *t, double gain);

enum { ZT_FAN_IN = 0, ZT_FAN_OUT = 1 };
/* Kaiming/He for leaky_relu with negative slope a (0 = relu):
 * gain = sqrt(2 / (1 + a^2)), std = gain / sqrt(fan); uniform bound sqrt(3) * std. */
int zt_init_kaiming_uniform(struct zt_rng *r, struct zt_tensor *t, double a, int mode);
int zt_init_kaiming_normal(struct zt_rng *r, struct zt_tensor *t, double a, int mode);

/* pix2pix networks.init_weights(net, "normal", gain): every trainable
 * parameter named "*.weight" with >= 2 dims (Conv/ConvTranspose/Linear)
 * ~ N(0, gain); 1-D "*.weight" (BatchNorm affine) ~ N(1, gain); "*.bias" = 0.
 * Buffers are left alone (BN running_var should be set to 1 by the model). */
void zt_init_pix2pix(struct zt_rng *r, struct zt_params *ps, float gain);

#endif
