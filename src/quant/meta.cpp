// MASE's update_quant_meta_param tables (QUANT_ARITH_TO_SUFFIXES,
// MASE_OP_TO_INPUT_ENTRIES_AND_ARGS).
#include "quant/meta.h"

namespace chop::quant {

using json = nlohmann::ordered_json;

json precision_list(const OperandQuant& q, bool resolve_defaults) {
  auto opt_int = [](std::optional<int> v) { return v ? json(*v) : json(nullptr); };
  auto opt_num = [](std::optional<double> v) { return v ? json(*v) : json(nullptr); };
  std::optional<int> frac = q.frac_width;
  std::optional<int> bias = q.exponent_bias;
  if (resolve_defaults) {
    if (!frac) frac = q.width / 2;
    const int e_bits = q.family == QuantFamily::kLog ? q.width - 1 : q.exponent_width;
    // MASE's default 2^(e-1) - 1, for families with an exponent; none (integer: 0 bits) stays
    // null rather than shifting by -1.
    if (!bias && e_bits >= 1 && e_bits <= 31) bias = static_cast<int>((int64_t{1} << (e_bits - 1)) - 1);
  }
  json blocks = json::array();
  for (int64_t b : q.block_size) blocks.push_back(b);
  switch (q.family) {
    case QuantFamily::kInteger:
      return json::array({q.width, opt_int(frac)});
    case QuantFamily::kMinifloatDenorm:
    case QuantFamily::kMinifloatIeee:
      return json::array({q.width, q.exponent_width, opt_int(bias)});
    case QuantFamily::kLog:
      return json::array({q.width, opt_int(bias)});
    case QuantFamily::kBlockFp:
      return json::array({q.width, q.exponent_width, opt_int(bias), blocks});
    case QuantFamily::kBlockMinifloat:
      return json::array({q.width, q.exponent_width, q.exponent_bias_width, blocks});
    case QuantFamily::kBlockLog:
      return json::array({q.width, q.exponent_bias_width, blocks});
    case QuantFamily::kBinary:
      return json::array({q.width, q.stochastic, q.bipolar});
    case QuantFamily::kTernary:
      return json::array(
          {q.width, q.scaling_factor, opt_num(q.mean), opt_num(q.median), opt_num(q.max)});
  }
  return json::array();
}

std::string quant_type_string(const OperandQuant& q) {
  return q.name;
}

std::vector<std::pair<std::string, std::string>> operand_args(const std::string& mase_op) {
  if (mase_op == "linear" || mase_op == "conv1d" || mase_op == "conv2d")
    return {{"data_in", "data_in_0"}, {"weight", "weight"}, {"bias", "bias"}};
  if (mase_op == "add" || mase_op == "sub" || mase_op == "mul")
    return {{"data_in", "data_in_0"}, {"data_in", "data_in_1"}};
  if (mase_op == "matmul" || mase_op == "bmm")
    return {{"data_in", "data_in_0"}, {"weight", "data_in_1"}};
  if (mase_op == "relu") return {{"data_in", "data_in_0"}};
  return {};
}

std::optional<std::pair<std::string, json>> result_meta(const NodeQuantConfig& cfg) {
  if (!cfg.quantized()) return std::nullopt;
  if (family_from_name(cfg.name) == QuantFamily::kBinary)
    return std::make_pair(std::string("binary"), json::array({32, 0, 1}));
  return std::nullopt;
}

}  // namespace chop::quant
