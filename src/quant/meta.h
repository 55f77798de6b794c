// Node-metadata helpers for the quantize pass: MASE's precision lists and type strings per
// quantized operand, which metadata args each op updates, and the result override for binary.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "quant/config.h"

namespace chop::quant {

/// MASE's metadata precision list for an operand, in the family's suffix order: integer
/// [width, frac_width]; minifloat_* [width, exponent_width, exponent_bias]; log [width,
/// exponent_bias]; block_fp [width, exponent_width, exponent_bias, block_size]; block_minifloat
/// [width, exponent_width, exponent_bias_width, block_size]; block_log [width,
/// exponent_bias_width, block_size]; binary [width, stochastic, bipolar]; ternary [width,
/// scaling_factor, mean, median, max]. Unset values are null as in MASE, unless
/// resolve_defaults, which fills frac_width / exponent_bias with the values the quantizer uses.
nlohmann::ordered_json precision_list(const OperandQuant& q, bool resolve_defaults = false);

/// The metadata type string for a quantized operand: the config name as written.
std::string quant_type_string(const OperandQuant& q);

/// MASE's (config entry, metadata arg) pairs whose metadata the pass updates for `mase_op`,
/// e.g. linear -> {data_in, data_in_0}, {weight, weight}, {bias, bias}; add -> {data_in,
/// data_in_0}, {data_in, data_in_1}; matmul -> {data_in, data_in_0}, {weight, data_in_1}.
std::vector<std::pair<std::string, std::string>> operand_args(const std::string& mase_op);

/// Result metadata MASE sets for a quantized node: binary sets type "binary" and precision
/// [32, 0, 1]; every other family leaves results unchanged (nullopt).
std::optional<std::pair<std::string, nlohmann::ordered_json>> result_meta(
    const NodeQuantConfig& cfg);

}  // namespace chop::quant
