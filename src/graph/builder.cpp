// GraphBuilder; see builder.h.
#include "graph/builder.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "core/limits.h"
#include "graph/attrs.h"

namespace chop::graph {

GraphBuilder::GraphBuilder(std::string model_name, uint64_t seed)
    : graph_(std::move(model_name)), gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

void GraphBuilder::add_params(Node& n) {
  const std::string origin = sizes_from_.empty() ? "" : " (layer sizes from " + sizes_from_ + ")";
  try {
    // The whole model must fit, not only each layer.
    const OpSpec& spec = op_spec(n.mase_op);
    for (auto it = spec.default_attrs.begin(); it != spec.default_attrs.end(); ++it)
      if (!n.attrs.contains(it.key())) n.attrs[it.key()] = it.value();
    check_node_attrs(n);
    auto elements = param_elements(n);
    auto bytes = elements ? checked_mul(*elements, sizeof(float)) : std::nullopt;
    auto total = bytes ? checked_add(param_bytes_, *bytes) : std::nullopt;
    if (auto m = memory_refusal(total, "model " + graph_.model_name() + " up to node " + n.name +
                                           " (" + n.mase_op + " " + n.attrs.dump() + ")"))
      throw UserError(*m + origin);
    param_bytes_ += init_node_params(n, gen_);
  } catch (const UserError& e) {
    if (origin.empty() || std::string(e.what()).find(origin) != std::string::npos) throw;
    throw UserError(e.what() + origin);
  }
}

std::string GraphBuilder::input(const std::string& name, const Shape& sample_shape) {
  Node n;
  n.name = name;
  n.op = FxOp::kPlaceholder;
  n.target = name;
  n.mase_op = "placeholder";
  n.mase_type = "placeholder";
  Shape s{-1};
  s.insert(s.end(), sample_shape.begin(), sample_shape.end());
  n.attrs["shape"] = s;
  graph_.append(std::move(n));
  return name;
}

std::string GraphBuilder::module(const std::string& target, const std::string& mase_op,
                                 const std::string& input, Json attrs) {
  const OpSpec& spec = op_spec(mase_op);
  Node n;
  n.name = fx_name_from_target(target);
  n.op = FxOp::kCallModule;
  n.target = target;
  n.mase_op = mase_op;
  n.mase_type = spec.mase_type;
  n.inputs = {input};
  n.attrs = std::move(attrs);
  add_params(n);
  std::string name = n.name;
  graph_.append(std::move(n));
  return name;
}

std::string GraphBuilder::function(const std::string& name, const std::string& mase_op,
                                   std::vector<std::string> inputs, Json attrs) {
  const OpSpec& spec = op_spec(mase_op);
  Node n;
  n.name = name;
  n.op = spec.fx_op == FxOp::kCallModule ? FxOp::kCallFunction : spec.fx_op;
  n.target = spec.torch_class;
  n.mase_op = mase_op;
  n.mase_type = spec.mase_type;
  n.inputs = std::move(inputs);
  n.attrs = std::move(attrs);
  add_params(n);
  graph_.append(std::move(n));
  return name;
}

Node output_node(const std::string& result) {
  Node n;
  n.name = "output";
  n.op = FxOp::kOutput;
  n.target = "output";
  n.mase_op = "output";
  n.mase_type = "output";
  n.inputs = {result};
  return n;
}

Graph GraphBuilder::finish(const std::string& result) {
  graph_.append(output_node(result));
  graph_.set_requires_grad(true);
  return std::move(graph_);
}

}  // namespace chop::graph
