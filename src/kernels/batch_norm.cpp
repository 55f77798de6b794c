// Batch normalisation drivers; see batch_norm.h.
#include "kernels/batch_norm.h"

#include <cmath>

namespace chop::kernels {
namespace {

// Scratch layout: floats alpha, beta, k, grad_mean, ones (c each), then doubles sum, sq (c each).
struct Scratch {
  float *alpha, *beta, *k, *grad_mean, *ones;
  double *sum, *sq;
  Scratch(float* s, int64_t c)
      : alpha(s),
        beta(s + c),
        k(s + 2 * c),
        grad_mean(s + 3 * c),
        ones(s + 4 * c),
        sum(reinterpret_cast<double*>(s + 6 * c)),
        sq(sum + c) {}
};

}  // namespace

int64_t batch_norm_scratch_floats(int64_t c) {
  return 6 * c + 4 * c + 2;  // 5c floats (+1c to keep the doubles 8-byte aligned), 2c doubles
}

void batch_norm_train(const KernelTable& kt, const BatchNormDims& d, const float* x, float* y,
                      const float* weight, const float* bias, double eps, float* running_mean,
                      float* running_var, double factor, const BatchNormSaved& saved,
                      float* scratch) {
  Scratch s(scratch, d.c);
  const double m = static_cast<double>(d.count());
  kt.channel_sum(x, d.n, d.c, d.p, s.sum);
  for (int64_t i = 0; i < d.c; ++i) s.sum[i] /= m;  // the mean
  kt.channel_centered_square_sum(x, d.n, d.c, d.p, s.sum, s.sq);
  for (int64_t i = 0; i < d.c; ++i) {
    saved.mean[i] = static_cast<float>(s.sum[i]);
    saved.invstd[i] = static_cast<float>(1.0 / std::sqrt(s.sq[i] / m + eps));
    if (running_mean)
      running_mean[i] = static_cast<float>(factor * s.sum[i] +
                                           (1.0 - factor) * static_cast<double>(running_mean[i]));
    if (running_var)
      running_var[i] = static_cast<float>(factor * (s.sq[i] / (m - 1.0)) +
                                          (1.0 - factor) * static_cast<double>(running_var[i]));
    const float w = weight ? weight[i] : 1.0f, b = bias ? bias[i] : 0.0f;
    s.alpha[i] = saved.invstd[i] * w;
    s.beta[i] = b - saved.mean[i] * s.alpha[i];
  }
  kt.channel_affine(x, y, d.n, d.c, d.p, s.alpha, s.beta, saved.relu());
  if (saved.relu())
    for (int64_t i = 0; i < d.c; ++i)
      saved.relu_alpha[i] = s.alpha[i], saved.relu_beta[i] = s.beta[i];
}

void batch_norm_eval(const KernelTable& kt, const BatchNormDims& d, const float* x, float* y,
                     const float* weight, const float* bias, const float* running_mean,
                     const float* running_var, double eps, float* scratch, bool relu) {
  Scratch s(scratch, d.c);
  for (int64_t i = 0; i < d.c; ++i) {
    const float invstd = 1.0f / std::sqrt(running_var[i] + static_cast<float>(eps));
    s.alpha[i] = invstd * (weight ? weight[i] : 1.0f);
    s.beta[i] = (bias ? bias[i] : 0.0f) - running_mean[i] * s.alpha[i];
  }
  kt.channel_affine(x, y, d.n, d.c, d.p, s.alpha, s.beta, relu);
}

void batch_norm_backward(const KernelTable& kt, const BatchNormDims& d, const float* x,
                         const float* dy, const float* weight, const BatchNormSaved& saved,
                         float* dx, bool accumulate_dx, float* dweight, float* dbias,
                         bool accumulate_params, float* scratch) {
  Scratch s(scratch, d.c);
  const double m = static_cast<double>(d.count());
  for (int64_t i = 0; i < d.c; ++i) s.sum[i] = static_cast<double>(saved.mean[i]);
  // s.sum: the mean in; then sum(dy) -> k-scratch via sq (dot) and grad sums below.
  double* sum_dy = s.sq;  // reuse: sq is free in the backward pass
  // dot needs its own c doubles: alpha/beta floats are free here (2c floats = c doubles).
  double* dot = reinterpret_cast<double*>(s.alpha);
  const float* relu_affine[2] = {saved.relu_alpha, saved.relu_beta};
  const float* const* relu = saved.relu() ? relu_affine : nullptr;
  kt.channel_grad_sums(x, dy, d.n, d.c, d.p, s.sum, sum_dy, dot, relu);
  if (dweight) {
    for (int64_t i = 0; i < d.c; ++i) {
      const float gw = static_cast<float>(dot[i] * static_cast<double>(saved.invstd[i]));
      const float gb = static_cast<float>(sum_dy[i]);
      dweight[i] = accumulate_params ? dweight[i] + gw : gw;
      dbias[i] = accumulate_params ? dbias[i] + gb : gb;
    }
  }
  if (!dx) return;
  for (int64_t i = 0; i < d.c; ++i) {
    const double is = static_cast<double>(saved.invstd[i]);
    s.k[i] = static_cast<float>(dot[i] * is * is / m);
    s.grad_mean[i] = static_cast<float>(sum_dy[i] / m);
    s.ones[i] = 1.0f;
  }
  kt.bn_input_grad(x, dy, dx, d.n, d.c, d.p, saved.mean, s.k, s.grad_mean, saved.invstd,
                   weight ? weight : s.ones, accumulate_dx, relu);
}

}  // namespace chop::kernels
