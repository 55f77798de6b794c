// MASE's base-2 logarithmic quantizer ("log"): sign bit plus w-1 exponent bits; cannot
// represent 0 (zero maps to the smallest positive value 2^-bias).
#pragma once

#include <ATen/ATen.h>

#include <optional>

#include "quant/family.h"

namespace chop::quant {

/// E = w - 1, bias = exponent_bias or 2^(E-1) - 1, p = 0.1 * 2^-bias;
/// out = sign(x + p) * 2^clamp(round(log2(|x| + p)), -bias, 2^E - 1 - bias).
/// Straight-through gradient.
at::Tensor log_quantize(const at::Tensor& x, int width, std::optional<int> exponent_bias);

namespace detail {
/// log_quantize without the straight-through wrapper, with a per-element bias tensor
/// (broadcastable to x); block_log uses it with one bias per block.
at::Tensor log_raw(const at::Tensor& x, int width, const at::Tensor& exponent_bias);
}  // namespace detail

// The family's row functions (family.h).
void parse_log(const OperandKeys& keys, OperandQuant& q);
at::Tensor log_apply(const OperandQuant& q, const at::Tensor& x, std::optional<at::Generator> gen);
nlohmann::ordered_json log_precision(const OperandQuant& q, bool resolve_defaults);

}  // namespace chop::quant
