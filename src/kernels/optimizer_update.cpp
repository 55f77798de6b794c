// Optimizer updates; see optimizer_update.h. The float constants below are what ATen's scalar
// arguments become for a float tensor (the double value rounded once).
#include "kernels/optimizer_update.h"

#include <cmath>

namespace chop::kernels {

void adam_update(const KernelTable& kt, float* p, float* g, float* m, float* v, int64_t n,
                 const AdamUpdate& u) {
  const double step = static_cast<double>(u.step);
  const double bc1 = 1.0 - std::pow(u.beta1, step), bc2 = 1.0 - std::pow(u.beta2, step);
  AdamConstants k{};
  k.decay_mul = u.decoupled ? static_cast<float>(1.0 - u.lr * u.weight_decay) : 1.0f;
  k.l2 = u.decoupled ? 0.0f : static_cast<float>(u.weight_decay);
  k.beta1 = static_cast<float>(u.beta1);
  k.one_minus_beta1 = static_cast<float>(1.0 - u.beta1);
  k.beta2 = static_cast<float>(u.beta2);
  k.one_minus_beta2 = static_cast<float>(1.0 - u.beta2);
  k.sqrt_bias_correction2 = static_cast<float>(std::sqrt(bc2));
  k.eps = static_cast<float>(u.eps);
  k.neg_step_size = static_cast<float>(-(u.lr / bc1));
  kt.adam(p, g, m, v, n, k);
}

void sgd_update(const KernelTable& kt, float* p, float* g, float* momentum_buffer, int64_t n,
                const SgdUpdate& u) {
  SgdConstants k{static_cast<float>(u.weight_decay), static_cast<float>(u.momentum), u.step == 1,
                 u.nesterov, static_cast<float>(-u.lr)};
  kt.sgd(p, g, momentum_buffer, n, k);
}

}  // namespace chop::kernels
