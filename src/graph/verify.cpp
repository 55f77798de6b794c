// Graph verifier; see verify.h.
#include "graph/verify.h"

#include <set>

#include "core/error.h"

namespace chop::graph {
namespace {

[[noreturn]] void fail(const Graph& g, const Node& n, const std::string& msg) {
  throw UserError("graph '" + g.model_name() + "', node " + n.name + ": " + msg);
}

void check_param_shapes(const Graph& g, const Node& n) {
  auto expect = [&](const std::string& pname, const Shape& want) {
    const at::Tensor* t = n.param(pname);
    if (!t) fail(g, n, "missing parameter '" + pname + "'");
    Shape got(t->sizes().begin(), t->sizes().end());
    if (got != want)
      fail(g, n,
           "parameter '" + pname + "' has shape " + shape_str(got) + ", attributes say " +
               shape_str(want));
  };
  if (n.mase_op == "linear") {
    expect("weight", {n.attr_int("out_features"), n.attr_int("in_features")});
    if (n.attrs.value("bias", true)) expect("bias", {n.attr_int("out_features")});
  } else if (n.mase_op == "batch_norm1d" || n.mase_op == "batch_norm2d") {
    if (n.attrs.value("affine", true)) expect("weight", {n.attr_int("num_features")});
  } else if (n.mase_op == "conv2d" || n.mase_op == "conv1d") {
    const at::Tensor* w = n.param("weight");
    if (!w) fail(g, n, "missing parameter 'weight'");
    if (w->size(0) != n.attr_int("out_channels") ||
        w->size(1) * n.attrs.value("groups", int64_t{1}) != n.attr_int("in_channels"))
      fail(g, n, "weight channels do not match in_channels/out_channels");
  }
}

}  // namespace

std::vector<Shape> verify(const Graph& g, const Shape& input_shape) {
  if (g.nodes().empty()) throw UserError("graph '" + g.model_name() + "' is empty");
  std::set<std::string> seen;
  std::vector<Shape> shapes;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const Node& n = g.nodes()[i];
    if (n.name.empty()) fail(g, n, "node has no name");
    if (seen.count(n.name)) fail(g, n, "duplicate node name");
    const OpSpec* spec = find_op(n.mase_op);
    if (!spec) fail(g, n, "unknown mase_op '" + n.mase_op + "'");
    for (const auto& key : spec->required_attrs)
      if (!n.attrs.contains(key)) fail(g, n, "missing attribute '" + key + "'");
    if (spec->n_inputs >= 0 && static_cast<int>(n.inputs.size()) != spec->n_inputs)
      fail(g, n,
           "expects " + std::to_string(spec->n_inputs) + " inputs, has " +
               std::to_string(n.inputs.size()));
    std::vector<Shape> in_shapes;
    for (const auto& in : n.inputs) {
      if (!seen.count(in))
        fail(g, n, "input '" + in + "' is not defined before this node (edges must point back)");
      in_shapes.push_back(shapes[index[in]]);
    }
    if (n.op == FxOp::kOutput && i + 1 != g.nodes().size())
      fail(g, n, "the output node must be last");
    check_param_shapes(g, n);
    Shape out;
    if (n.op == FxOp::kPlaceholder && !input_shape.empty()) {
      out = input_shape;
    } else {
      out = spec->infer_shape(n, in_shapes);
    }
    seen.insert(n.name);
    index[n.name] = shapes.size();
    shapes.push_back(out);
  }
  if (g.nodes().back().op != FxOp::kOutput)
    throw UserError("graph '" + g.model_name() + "' does not end with an output node");
  return shapes;
}

}  // namespace chop::graph
