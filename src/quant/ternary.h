// MASE's ternary quantizer ("ternary"): {-1, 0, +1}, or {-alpha, 0, +alpha} with scaling.
#pragma once

#include <ATen/ATen.h>

#include <optional>

#include "quant/family.h"

namespace chop::quant {

/// MASE's threshold choice from statistics: 0.75 * mean if mean is set and non-zero, else
/// 0.05 * max, else 0.75 * median (same truthiness rules); nullopt when none is usable.
std::optional<double> ternary_threshold(std::optional<double> mean, std::optional<double> median,
                                        std::optional<double> max);

/// Slices are per index of dim 0 over the other dims (a tensor of rank <= 1 is one slice).
/// scaling_factor: delta = 0.75 * mean|x| per slice, alpha = mean of |x| over |x| > delta (0 when
/// none), out = alpha * ((x > delta) - (x < -delta)); `threshold` is ignored, as in MASE.
/// Otherwise out = (x > t) - (x < -t) with t = threshold, or the per-slice delta when unset.
/// Straight-through gradient.
at::Tensor ternary_quantize(const at::Tensor& x, bool scaling_factor,
                            std::optional<double> threshold);

// The family's row functions (family.h).
void parse_ternary(const OperandKeys& keys, OperandQuant& q);
at::Tensor ternary_apply(const OperandQuant& q, const at::Tensor& x,
                         std::optional<at::Generator> gen);
nlohmann::ordered_json ternary_precision(const OperandQuant& q, bool resolve_defaults);

}  // namespace chop::quant
