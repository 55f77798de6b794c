// A float32 CPU linear layer (y = x W^T + b) on chop's own matrix kernels (kernels/gemm.h, run-time
// ISA dispatch) with its own autograd node, for the small layers that dominate MASE's models:
// Debian's LibTorch runs at::linear on the reference BLAS, and oneDNN's fixed cost per call
// exceeds the arithmetic of a 16x64 layer. The fused engine runs the same kernels.
#pragma once

#include <ATen/ATen.h>

namespace chop::runtime {

/// True: linear_cpu runs on every CPU (kept for callers that ask).
bool linear_cpu_available();

/// y = x W^T + b for 2-D float32 CPU x [N, in], W [out, in], b [out] or undefined; differentiable
/// with respect to all three. Results equal at::linear up to float rounding (another summation
/// order), and are bit-identical run to run.
at::Tensor linear_cpu(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b);

}  // namespace chop::runtime
