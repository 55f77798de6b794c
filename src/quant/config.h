// Per-node quantization configs as MASE's quantize pass reads them: the operand specs
// (data_in_*, weight_*, bias_*, data_out_*) of one node, with MASE's required/optional rules per
// mase_op, plus the precision lists the pass writes into node metadata.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chop::quant {

enum class QuantFamily {
  kInteger,  // config names "integer" and "fixed"
  kMinifloatDenorm,
  kMinifloatIeee,
  kLog,
  kBlockFp,
  kBlockMinifloat,
  kBlockLog,
  kBinary,
  kTernary,
};

/// Canonical family name ("integer" for both "integer" and "fixed").
std::string family_name(QuantFamily family);
/// Family of a config name (accepts the alias "fixed"); nullopt when unknown.
std::optional<QuantFamily> family_from_name(const std::string& name);
/// Config names chop accepts, for error messages and `chop list`.
const std::vector<std::string>& quant_names();

/// How one operand (data_in, weight, bias or data_out) of a node is quantized. Only the fields
/// of its family are meaningful; the others keep their defaults.
struct OperandQuant {
  QuantFamily family = QuantFamily::kInteger;
  std::string name = "integer";  // as written in the config ("fixed" stays "fixed")
  std::string operand;           // key prefix: "data_in", "weight", "bias" or "data_out"
  int width = 0;
  std::optional<int> frac_width;            // integer: unset ("NA") -> width / 2
  int exponent_width = 0;                   // minifloat_*, block_fp, block_minifloat
  std::optional<int> exponent_bias;         // minifloat_*, log, block_fp: unset -> 2^(e-1) - 1
  int exponent_bias_width = 0;              // block_minifloat, block_log
  std::vector<int64_t> block_size;          // block_*: right-aligned, -1 = whole dim
  bool skip_first_dim = false;              // block_*: blocks never span dim 0 (batch)
  bool stochastic = false;                  // binary
  bool bipolar = false;                     // binary
  bool scaling_factor = false;              // ternary
  std::optional<double> mean, median, max;  // ternary statistics for the threshold
  bool is_signed = true;                    // integer: false for relu inputs (MASE's ReLUInteger)
};

/// The parsed config of one node.
struct NodeQuantConfig {
  std::string name;     // quant name as written; "" when the config's name is null ("NA")
  bool bypass = false;  // true: keep the float op (operands are not parsed)
  std::optional<OperandQuant> data_in, weight, bias, data_out;
  std::map<std::string, nlohmann::ordered_json> extra;  // accepted, uninterpreted keys
                                                        // (e.g. additional_layers_* of linear)
  /// True when the node is to be quantized (a name is set and bypass is false).
  bool quantized() const { return !name.empty() && !bypass; }
};

/// MASE's QUANTIZEABLE_OP: add, bmm, conv1d, conv2d, matmul, mul, linear, relu, sub.
const std::vector<std::string>& quantizable_ops();
bool is_quantizable_op(const std::string& mase_op);

/// Parses one node's `config` table (TOML converted to JSON, "NA" already null) for `mase_op`.
/// MASE's rules: a null name -> not quantized; bypass = true -> returned without operands; the
/// op's required operand groups must have every key of the family (a value may be null where
/// MASE allows: frac_width, exponent_bias, ternary statistics); an optional group (bias,
/// data_out) is parsed only when some key starts with its prefix. "fixed" = "integer". For relu,
/// an integer data_in is unsigned. Throws chop::ConfigError naming `where` and the key for a
/// missing key, a wrong type, a width <= 0, an unknown name or an unknown key.
NodeQuantConfig parse_node_quant_config(const nlohmann::ordered_json& config,
                                        const std::string& mase_op, const std::string& where);

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
