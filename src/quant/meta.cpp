// MASE's update_quant_meta_param tables: MASE_OP_TO_INPUT_ENTRIES_AND_ARGS here; the precision
// lists (QUANT_ARITH_TO_SUFFIXES) come from each family's row (family.h).
#include "quant/meta.h"

#include "quant/family.h"

namespace chop::quant {

using json = nlohmann::ordered_json;

json precision_list(const OperandQuant& q, bool resolve_defaults) {
  return family_entry(q.family).precision(q, resolve_defaults);
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
  const FamilyEntry* f = find_family(cfg.name);
  if (f && !f->result_type.empty()) return std::make_pair(f->result_type, f->result_precision);
  return std::nullopt;
}

}  // namespace chop::quant
