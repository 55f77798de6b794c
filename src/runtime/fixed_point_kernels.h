// Integer kernels of the bit-exact engine on int64 mantissas: linear, conv1d/conv2d (direct,
// zero-padded, grouped) and matmul. Callers guarantee (by interval analysis) that every sum of
// |terms| stays below 2^62, so no partial sum overflows whatever the order.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace chop::runtime {

/// x [..., F] int64, w [O, F] int64 -> [..., O] = x w^T.
at::Tensor int_linear(const at::Tensor& x, const at::Tensor& w);

/// x [N, C, H, W], w [O, C/groups, KH, KW] -> [N, O, OH, OW] (PyTorch's conv2d arithmetic).
at::Tensor int_conv2d(const at::Tensor& x, const at::Tensor& w, const std::vector<int64_t>& stride,
                      const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation,
                      int64_t groups);

/// torch.matmul for int64 operands of rank >= 1 (batch dimensions broadcast).
at::Tensor int_matmul(const at::Tensor& a, const at::Tensor& b);

}  // namespace chop::runtime
