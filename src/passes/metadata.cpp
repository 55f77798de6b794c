// Metadata helpers; see metadata.h.
#include "passes/metadata.h"

#include "core/strings.h"
#include "passes/registry.h"

namespace chop::passes {

std::string torch_dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return "torch.float32";
    case at::kDouble:
      return "torch.float64";
    case at::kHalf:
      return "torch.float16";
    case at::kBFloat16:
      return "torch.bfloat16";
    case at::kLong:
      return "torch.int64";
    case at::kInt:
      return "torch.int32";
    case at::kShort:
      return "torch.int16";
    case at::kChar:
      return "torch.int8";
    case at::kByte:
      return "torch.uint8";
    case at::kBool:
      return "torch.bool";
    default:
      return std::string("torch.") + to_lower(c10::toString(t));
  }
}

bool has_common_metadata(const graph::Graph& g) {
  return g.meta().contains("common") && g.meta()["common"].contains("nodes_in");
}

void ensure_common_metadata(graph::Graph& g, PassContext& ctx) {
  if (has_common_metadata(g)) return;
  std::string saved = ctx.option_path;
  ctx.option_path = "passes.add_common_metadata";
  run_pass("add_common_metadata", g, Json::object(), ctx);
  ctx.option_path = saved;
}

const Json* common_arg(const graph::Node& n, const std::string& name) {
  const Json& c = n.meta["common"];
  if (!c.contains("args") || !c["args"].contains(name)) return nullptr;
  return &c["args"][name];
}

static std::vector<int64_t> shape_of(const Json* e) {
  if (!e || !e->is_object() || !e->contains("shape") || !(*e)["shape"].is_array()) return {};
  return (*e)["shape"].get<std::vector<int64_t>>();
}

std::vector<int64_t> arg_shape(const graph::Node& n, const std::string& name) {
  return shape_of(common_arg(n, name));
}

std::vector<int64_t> result_shape(const graph::Node& n) {
  const Json& c = n.meta["common"];
  if (!c.contains("results") || !c["results"].contains("data_out_0")) return {};
  return shape_of(&c["results"]["data_out_0"]);
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

int operand_width(const graph::Node& n, const std::string& arg) {
  const Json* e = common_arg(n, arg);
  if (!e || !e->contains("precision")) return 32;
  const Json& p = (*e)["precision"];
  if (!p.is_array() || p.empty() || !p[0].is_number()) return 32;
  return p[0].get<int>();
}

bool operand_quantized(const graph::Node& n, const std::string& arg) {
  const Json* e = common_arg(n, arg);
  return e && e->contains("type") && (*e)["type"] != "float";
}

std::vector<std::string> data_in_names(const graph::Node& n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n.inputs.size(); ++i) out.push_back("data_in_" + std::to_string(i));
  for (const auto& [pn, t] : n.params) out.push_back(pn);
  for (const auto& [bn, t] : n.buffers) out.push_back(bn);
  return out;
}

std::string cell_text(const Json& v) {
  if (v.is_null()) return "None";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_float()) return format_double(v.get<double>());
  return v.dump();
}

}  // namespace chop::passes
