// MASE's integer (fixed-point) quantizer, config names "integer" and its alias "fixed".
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <utility>

#include "quant/family.h"

namespace chop::quant {

/// clamp(round_half_even(x * 2^f), lo, hi) / 2^f with [lo, hi] = [-2^(w-1), 2^(w-1)-1] (signed)
/// or [0, 2^w-1] (unsigned); f = width / 2 when frac_width is unset. f may be negative or larger
/// than width. `narrow` drops the most negative code (signed: [-2^(w-1)+1, 2^(w-1)-1]) or the
/// largest (unsigned: [0, 2^w-2]), as QONNX's Quant. Straight-through gradient.
at::Tensor integer_quantize(const at::Tensor& x, int width, std::optional<int> frac_width,
                            bool is_signed = true, bool narrow = false);

/// The integer code range [lo, hi] of integer_quantize.
std::pair<double, double> integer_range(int width, bool is_signed, bool narrow);

/// The fraction width actually used: frac_width, or width / 2 (floor) when unset.
int effective_frac_width(int width, std::optional<int> frac_width);

// The family's row functions (family.h).
void parse_integer(const OperandKeys& keys, OperandQuant& q);
at::Tensor integer_apply(const OperandQuant& q, const at::Tensor& x,
                         std::optional<at::Generator> gen);
nlohmann::ordered_json integer_precision(const OperandQuant& q, bool resolve_defaults);
std::optional<AffineCodes> integer_codes(const OperandQuant& q);

}  // namespace chop::quant
