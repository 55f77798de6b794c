// A float32 CPU linear layer (y = x W^T + b) with its own AVX2/FMA matrix kernels and autograd
// node, for the small layers that dominate MASE's models: Debian's LibTorch runs at::linear on
// the reference BLAS, and oneDNN's fixed cost per call exceeds the arithmetic of a 16x64 layer.
#pragma once

#include <ATen/ATen.h>

namespace chop::runtime {

/// True when linear_cpu can run (x86-64 CPU with AVX2 and FMA).
bool linear_cpu_available();

/// y = x W^T + b for 2-D float32 CPU x [N, in], W [out, in], b [out] or undefined; differentiable
/// with respect to all three. Results equal at::linear up to float rounding (another summation
/// order), and are bit-identical run to run.
at::Tensor linear_cpu(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b);

}  // namespace chop::runtime
