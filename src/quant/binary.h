// MASE's binary quantizer ("binary"): bipolar {-1, +1} or zero/scaled {0, mean|x|}, optionally
// stochastic.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>

#include "quant/family.h"

namespace chop::quant {

/// A CPU generator seeded explicitly (stochastic binarisation draws from it).
at::Generator make_generator(uint64_t seed);

/// Deterministic: bipolar -> x >= 0 ? 1 : -1; otherwise (x > 0) * alpha with alpha = mean |x| per
/// slice (per index of dim 0 over the other dims; a tensor of rank <= 1 is one slice).
/// Stochastic: s = clamp((x + 1) / 2, 0, 1) and r ~ U[0, 1) from `gen` (drawn on gen's device,
/// then moved); bipolar -> s >= r ? 1 : -1; otherwise (s > 0) * mean(s) per slice (MASE's zero
/// scaled op ignores r). Gradient: straight through (times 1/2 in stochastic mode, from (x+1)/2).
/// `gen` is required when stochastic.
at::Tensor binary_quantize(const at::Tensor& x, bool stochastic, bool bipolar,
                           std::optional<at::Generator> gen = std::nullopt);

namespace detail {
/// mean |x| per slice, shaped to broadcast against x (see binary_quantize).
at::Tensor per_slice_abs_mean(const at::Tensor& x);
}  // namespace detail

// The family's row functions (family.h).
void parse_binary(const OperandKeys& keys, OperandQuant& q);
at::Tensor binary_apply(const OperandQuant& q, const at::Tensor& x,
                        std::optional<at::Generator> gen);
nlohmann::ordered_json binary_precision(const OperandQuant& q, bool resolve_defaults);
bool binary_needs_generator(const OperandQuant& q);  // stochastic

}  // namespace chop::quant
