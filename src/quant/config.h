// Per-node quantization configs as MASE's quantize pass reads them: the operand specs
// (data_in_*, weight_*, bias_*, data_out_*) of one node, with MASE's required/optional rules per
// mase_op. Metadata helpers (precision lists, type strings) are in quant/meta.h.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chop::quant {

/// A quantizer family: the position of its row in family_registry() (quant/family.cpp). The
/// values named here are the built-in families other layers treat specially (the fixed-point
/// engine, EBOPs, QONNX export, operand costs); a family added after them writes kByRow in its
/// row and gets its row's position, so adding one touches no enum.
enum class QuantFamily : int {
  kByRow = -1,  // in a family row: "my position in the table"
  kInteger,     // config names "integer" and "fixed"
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
  bool is_signed = true;  // integer: false for relu inputs (MASE's ReLUInteger); <op>_signed
  bool narrow = false;    // integer: symmetric range without the most negative value (QONNX's
                          // narrow, Brevitas' narrow_range); key <op>_narrow
  /// Keys of a family added after the built-ins that none of the fields above holds, by suffix
  /// ("group_size" for <op>_group_size), as its parse function reads them.
  std::map<std::string, nlohmann::ordered_json> family_keys;
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
/// an integer data_in is unsigned. chop's extensions (docs/quantization.md): `<op>_bypass = true`
/// keeps one operand in float (a required group may be replaced by it), and integer operands
/// take optional `<op>_signed` and `<op>_narrow` (QONNX's Quant attributes). Throws
/// chop::ConfigError naming `where` and the key for a
/// missing key, a wrong type, a width <= 0, an unknown name or an unknown key.
NodeQuantConfig parse_node_quant_config(const nlohmann::ordered_json& config,
                                        const std::string& mase_op, const std::string& where);

}  // namespace chop::quant
