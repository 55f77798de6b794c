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

/// conv2d (float64, zero padding) of a [C, H, W] map whose value is `v[c]` at every position of
/// channel c, without touching every position: per output channel the kernel taps' sums are
/// added over the taps that fall inside the input. Equals at::conv2d on the expanded map.
at::Tensor channel_uniform_conv2d(const at::Tensor& v, const at::Tensor& w, int64_t h, int64_t wd,
                                  const std::vector<int64_t>& stride,
                                  const std::vector<int64_t>& padding,
                                  const std::vector<int64_t>& dilation, int64_t groups);

/// Which kernel taps fall inside the input, per output row (or column): [out, k] of 0/1.
at::Tensor tap_mask(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding,
                    int64_t dilation);

/// torch.matmul for int64 operands of rank >= 1 (batch dimensions broadcast).
at::Tensor int_matmul(const at::Tensor& a, const at::Tensor& b);

}  // namespace chop::runtime
