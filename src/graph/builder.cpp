// GraphBuilder; see builder.h.
#include "graph/builder.h"

#include <ATen/CPUGeneratorImpl.h>

namespace chop::graph {

GraphBuilder::GraphBuilder(std::string model_name, uint64_t seed)
    : graph_(std::move(model_name)), gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

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
  init_node_params(n, gen_);
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
  init_node_params(n, gen_);
  graph_.append(std::move(n));
  return name;
}

Graph GraphBuilder::finish(const std::string& result) {
  Node n;
  n.name = "output";
  n.op = FxOp::kOutput;
  n.target = "output";
  n.mase_op = "output";
  n.mase_type = "output";
  n.inputs = {result};
  graph_.append(std::move(n));
  graph_.set_requires_grad(true);
  return std::move(graph_);
}

}  // namespace chop::graph
