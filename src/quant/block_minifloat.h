// MASE's block minifloat ("block_minifloat"): minifloat_ieee with an exponent bias shared per
// block and stored in exponent_bias_width bits.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "quant/family.h"

namespace chop::quant {

/// bias_b = clamp(floor(log2(max|x| in block)), 0, 2^bw - 1); then minifloat_ieee with bias_b.
/// Blocks: see block.h. Straight-through gradient.
at::Tensor block_minifloat_quantize(const at::Tensor& x, int width, int exponent_width,
                                    int exponent_bias_width, const std::vector<int64_t>& block_size,
                                    bool skip_first_dim);

// The family's row functions (family.h).
void parse_block_minifloat(const OperandKeys& keys, OperandQuant& q);
at::Tensor block_minifloat_apply(const OperandQuant& q, const at::Tensor& x,
                                 std::optional<at::Generator> gen);
nlohmann::ordered_json block_minifloat_precision(const OperandQuant& q, bool resolve_defaults);

}  // namespace chop::quant
