// conv1d / conv2d (groups = 1) of float32 CPU tensors on chop's kernels (kernels/conv.h) with
// its own autograd node: the LibTorch path's convolution, computing the same bits as the fused
// engine (at::conv2d sums in another order, which Adam amplifies for a conv bias feeding a
// batch norm).
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace chop::runtime {

/// PyTorch's convolution arguments; 1-D when the lists have one entry.
struct ConvCpuArgs {
  std::vector<int64_t> stride, padding, dilation;
};

/// True when conv_cpu runs these operands (float32 CPU, groups 1, consistent shapes).
bool conv_cpu_supported(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                        const ConvCpuArgs& args);

/// The convolution, differentiable in x, w and b (b undefined: none).
at::Tensor conv_cpu(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b,
                    const ConvCpuArgs& args);

}  // namespace chop::runtime
