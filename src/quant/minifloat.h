// MASE's minifloat quantizers: "minifloat_denorm" (no implicit leading one) and
// "minifloat_ieee" (implicit one, subnormals at the lowest exponent). No inf/NaN; saturating.
#pragma once

#include <ATen/ATen.h>

#include <optional>

#include "quant/family.h"

namespace chop::quant {

/// Default exponent bias 2^(e-1) - 1 when exponent_bias is unset.
int default_exponent_bias(int exponent_width);

/// m = w - e - 1; exp = clamp(ceil(log2(|x| + 1e-9)), -bias, 2^e - 1 - bias);
/// out = sign(x + 1e-9) * 2^exp * clamp(round(|x| / 2^exp * 2^m), 0, 2^m - 1) / 2^m, and x itself
/// where |x| is close to 0 (torch.isclose). Straight-through gradient.
at::Tensor minifloat_denorm_quantize(const at::Tensor& x, int width, int exponent_width,
                                     std::optional<int> exponent_bias);

/// As denorm but exp = floor(log2(...)); normal numbers get 1 + clamp(round(mant*2^m - 2^m))/2^m,
/// subnormals (clamped exp == -bias) get clamp(round(mant*2^m/2))/2^m*2. Straight-through.
at::Tensor minifloat_ieee_quantize(const at::Tensor& x, int width, int exponent_width,
                                   std::optional<int> exponent_bias);

namespace detail {
/// minifloat_ieee without the straight-through wrapper, with a per-element bias tensor
/// (broadcastable to x); block_minifloat uses it with one bias per block.
at::Tensor minifloat_ieee_raw(const at::Tensor& x, int width, int exponent_width,
                              const at::Tensor& exponent_bias);
}  // namespace detail

// The family's row functions (family.h).
void parse_minifloat(const OperandKeys& keys, OperandQuant& q);  // denorm and ieee
at::Tensor minifloat_denorm_apply(const OperandQuant& q, const at::Tensor& x,
                                  std::optional<at::Generator> gen);
at::Tensor minifloat_ieee_apply(const OperandQuant& q, const at::Tensor& x,
                                std::optional<at::Generator> gen);
nlohmann::ordered_json minifloat_precision(const OperandQuant& q, bool resolve_defaults);

}  // namespace chop::quant
