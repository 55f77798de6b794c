// 2-D max / average / adaptive-average pooling of float32 CPU tensors on chop's kernels
// (kernels/pool.h) with its own autograd node: the LibTorch path's pooling, computing the same
// bits as the fused engine (ATen's adaptive pooling to 1x1 is a mean with another summation
// order).
#pragma once

#include <ATen/ATen.h>

#include "kernels/pool.h"

namespace chop::runtime {

/// `g` gives the kind and window (c, h, w, oh, ow are taken from x). False when x is not a
/// float32 CPU [N, C, H, W] tensor or the window does not fit.
bool pool_cpu_supported(const at::Tensor& x, const kernels::PoolGeometry& g);

/// The pooled tensor [N, C, oh, ow], differentiable in x.
at::Tensor pool_cpu(const at::Tensor& x, const kernels::PoolGeometry& g);

}  // namespace chop::runtime
