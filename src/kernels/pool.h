// 2-D pooling over x[n][c][h][w] (ceil_mode false): max (first maximum wins, NaN propagates,
// the gradient goes to the recorded position), average (count_include_pad, PyTorch's default)
// and adaptive average (PyTorch's floor/ceil windows). The one implementation behind the fused
// engine and the LibTorch path's pooling.
#pragma once

#include <cstdint>

namespace chop::kernels {

enum class PoolKind { kMax, kAvg, kAdaptiveAvg };

struct PoolGeometry {
  PoolKind kind = PoolKind::kMax;
  int64_t c = 0, h = 0, w = 0, oh = 0, ow = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;  // not used by adaptive pooling
  int64_t in_size() const { return c * h * w; }
  int64_t out_size() const { return c * oh * ow; }
};

/// y [rows][c][oh][ow]; argmax (max pooling only: rows * out_size() positions) for backward.
void pool_forward(const PoolGeometry& g, int64_t rows, const float* x, float* y, int32_t* argmax);
/// dx (=, or += when accumulate) the gradient of pool_forward for dy.
void pool_backward(const PoolGeometry& g, int64_t rows, const float* dy, float* dx, bool accumulate,
                   const int32_t* argmax);

}  // namespace chop::kernels
