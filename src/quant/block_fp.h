// MASE's block floating point ("block_fp", formerly "msfp"): one exponent shared per block,
// w-1 mantissa bits plus a sign per element, no implicit leading one.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "quant/family.h"

namespace chop::quant {

/// e_b = clamp(ceil(log2(max|x| in block)), -bias, 2^E - 1 - bias) with bias = exponent_bias or
/// 2^(E-1) - 1; out = sign(x + 1e-9) * 2^e_b * clamp(round((|x| + 1e-9) / 2^e_b * 2^(w-1)), 0,
/// 2^(w-1) - 1) / 2^(w-1), and x itself where x is close to 0. Blocks: see block.h.
/// Straight-through gradient.
at::Tensor block_fp_quantize(const at::Tensor& x, int width, int exponent_width,
                             std::optional<int> exponent_bias,
                             const std::vector<int64_t>& block_size, bool skip_first_dim);

// The family's row functions (family.h).
void parse_block_fp(const OperandKeys& keys, OperandQuant& q);
at::Tensor block_fp_apply(const OperandQuant& q, const at::Tensor& x,
                          std::optional<at::Generator> gen);
nlohmann::ordered_json block_fp_precision(const OperandQuant& q, bool resolve_defaults);

}  // namespace chop::quant
