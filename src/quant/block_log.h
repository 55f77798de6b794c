// MASE's block log ("block_log"): log quantization with an exponent bias shared per block and
// stored in exponent_bias_width bits.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "quant/family.h"

namespace chop::quant {

/// bias_b = clamp(2^(w-1) - 1 - ceil(log2(max|x| in block)), 0, 2^bw - 1); then log quantize
/// with bias_b. Blocks: see block.h. Straight-through gradient.
at::Tensor block_log_quantize(const at::Tensor& x, int width, int exponent_bias_width,
                              const std::vector<int64_t>& block_size, bool skip_first_dim);

// The family's row functions (family.h).
void parse_block_log(const OperandKeys& keys, OperandQuant& q);
at::Tensor block_log_apply(const OperandQuant& q, const at::Tensor& x,
                           std::optional<at::Generator> gen);
nlohmann::ordered_json block_log_precision(const OperandQuant& q, bool resolve_defaults);

}  // namespace chop::quant
