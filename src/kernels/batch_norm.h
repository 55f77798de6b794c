// Batch normalisation over x[n][c][p] (p = 1 for [N, C]) on the kernel table: the one
// implementation behind both the fused engine and the LibTorch path's batch-norm autograd
// function, so their statistics and gradients are the same bits. Sums run in double in a fixed
// order; the per-element arithmetic follows ATen's (y = x * alpha + beta; dx = ((dy - mean(dy))
// - (x - mean) * k) * invstd * weight).
#pragma once

#include <cstdint>

#include "kernels/kernels.h"

namespace chop::kernels {

struct BatchNormDims {
  int64_t n = 0, c = 0, p = 1;
  int64_t count() const { return n * p; }  // values per channel
};

/// Per-channel state of one forward pass, kept for the backward pass (caller storage, c each).
struct BatchNormSaved {
  float* mean = nullptr;
  float* invstd = nullptr;
  /// Set: the output goes through a ReLU inside these functions (y = relu(bn(x)), and the
  /// backward pass takes relu's output gradient); alpha/beta (c each) keep the forward's affine
  /// so the backward recomputes the ReLU's mask from x instead of reading y.
  float* relu_alpha = nullptr;
  float* relu_beta = nullptr;
  bool relu() const { return relu_alpha != nullptr; }
};

/// Scratch floats the functions below need (alpha, beta, k, grad_mean, double sums).
int64_t batch_norm_scratch_floats(int64_t c);

/// Training forward with batch statistics (count() > 1 is the caller's check). When
/// running_mean / running_var are set they become factor * batch + (1 - factor) * running
/// (the variance unbiased), computed in double. weight/bias null: not affine.
void batch_norm_train(const KernelTable& kt, const BatchNormDims& d, const float* x, float* y,
                      const float* weight, const float* bias, double eps, float* running_mean,
                      float* running_var, double factor, const BatchNormSaved& saved,
                      float* scratch);

/// Inference forward on running statistics, folded as runtime's eval kernel folds them:
/// invstd = 1 / sqrt(var + (float)eps), alpha = invstd * w, beta = b - mean * alpha, in float.
/// `relu`: store relu(y).
void batch_norm_eval(const KernelTable& kt, const BatchNormDims& d, const float* x, float* y,
                     const float* weight, const float* bias, const float* running_mean,
                     const float* running_var, double eps, float* scratch, bool relu = false);

/// Backward of batch_norm_train. dweight/dbias (null: not affine) are set, or added to when
/// accumulate_params; dx (null: not needed) is set, or added to when accumulate_dx.
void batch_norm_backward(const KernelTable& kt, const BatchNormDims& d, const float* x,
                         const float* dy, const float* weight, const BatchNormSaved& saved,
                         float* dx, bool accumulate_dx, float* dweight, float* dbias,
                         bool accumulate_params, float* scratch);

}  // namespace chop::kernels
