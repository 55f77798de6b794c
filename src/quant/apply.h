// One entry point for the quantize pass: quantize a tensor as an OperandQuant says.
#pragma once

#include <ATen/ATen.h>

#include <optional>

#include "quant/config.h"

namespace chop::quant {

/// Dispatches to the family's quantizer (integer.h, minifloat.h, log.h, block_*.h, binary.h,
/// ternary.h) with q's parameters; works under autograd (straight-through) and on any device.
/// Ternary's threshold comes from q.mean/median/max (ternary_threshold). `gen` is required for
/// stochastic binary only.
at::Tensor apply(const OperandQuant& q, const at::Tensor& x,
                 std::optional<at::Generator> gen = std::nullopt);

}  // namespace chop::quant
