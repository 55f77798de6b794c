// Batch normalisation of float32 CPU tensors on chop's kernels (kernels/batch_norm.h) with its
// own autograd node: the LibTorch path's batch norm in training, so that it computes the same
// bits as the fused engine (ATen's batch norm sums in another order, and Adam turns that
// rounding noise into full-size steps for parameters whose true gradient is zero, such as a
// Linear bias feeding a batch norm).
#pragma once

#include <ATen/ATen.h>

namespace chop::runtime {

struct BatchNormCpuArgs {
  bool training = true;                // batch statistics (and running-statistic updates)
  at::Tensor* running_mean = nullptr;  // null: none (updated in place when training)
  at::Tensor* running_var = nullptr;
  double eps = 1e-5;
  double factor = 0.1;  // momentum, or 1 / num_batches_tracked (cumulative average)
};

/// True when batch_norm_cpu can run these operands (float32 CPU; statistics contiguous float
/// vectors of C values; weight and bias both set or both undefined).
bool batch_norm_cpu_supported(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                              const BatchNormCpuArgs& args);

/// x [N, C, ...] normalised per channel; differentiable in x, weight and bias. The caller checks
/// that training has more than one value per channel.
at::Tensor batch_norm_cpu(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                          const BatchNormCpuArgs& args);

}  // namespace chop::runtime
