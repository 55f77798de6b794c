// Straight-through estimator shared by every quantizer: the forward value is the quantized
// tensor, the backward pass hands the incoming gradient to the input unchanged (as MASE does).
#pragma once

#include <ATen/ATen.h>

#include <functional>

namespace chop::quant {

using TensorFn = std::function<at::Tensor(const at::Tensor&)>;

/// Returns fn(x) exactly; under autograd, d(out)/d(x) is the identity (MASE's STE: the gradient
/// passes unchanged through every round, clamp and threshold inside fn).
at::Tensor straight_through(const at::Tensor& x, const TensorFn& fn);

}  // namespace chop::quant
