// 1-D/2-D convolution (groups = 1) of x[n][cin][h][w] on the shared GEMM: per sample,
// Y = W col + b over an im2col matrix (a 1x1 convolution with stride 1 and no padding reads the
// sample directly); backward per sample in sample order, dW += dY col^T and dcol = W^T dY
// scattered back. The one implementation behind the fused engine and the LibTorch path's
// convolution, so their weights evolve to the same bits.
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace chop::kernels {

struct ConvGeometry {
  int64_t cin = 0, h = 1, w = 0, cout = 0, oh = 1, ow = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  int64_t k() const { return cin * kh * kw; }  // GEMM depth of the forward product
  int64_t p() const { return oh * ow; }        // output positions per channel
  int64_t in_size() const { return cin * h * w; }
  int64_t out_size() const { return cout * oh * ow; }
  bool direct() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

/// Floats of scratch (columns, their gradient, bias sums) and of GEMM scratch one call needs.
int64_t conv_scratch_floats(const ConvGeometry& g);
int64_t conv_gemm_scratch_floats(const KernelTable& kt, const ConvGeometry& g);

/// y = conv(x, w) + bias (bias null: none) for `rows` samples.
void conv_forward(const KernelTable& kt, const ConvGeometry& g, int64_t rows, const float* x,
                  const float* w, const float* bias, float* y, float* scratch, float* gemm_scratch,
                  const TaskRunner* threads);

/// Gradients of conv_forward: dw (and dbias, when not null) set or, with accumulate_params,
/// added to; dx (null: not needed) set or, with accumulate_dx, added to.
void conv_backward(const KernelTable& kt, const ConvGeometry& g, int64_t rows, const float* x,
                   const float* w, const float* dy, float* dx, bool accumulate_dx, float* dw,
                   float* dbias, bool accumulate_params, float* scratch, float* gemm_scratch,
                   const TaskRunner* threads);

}  // namespace chop::kernels
