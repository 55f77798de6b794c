// Graph verifier; see verify.h.
#include "graph/verify.h"

#include <set>

#include "core/error.h"
#include "graph/attrs.h"
#include "graph/ops.h"

namespace chop::graph {
namespace {

[[noreturn]] void fail(const Graph& g, const Node& n, const std::string& msg) {
  throw UserError("graph '" + g.model_name() + "', node " + n.name + ": " + msg);
}

Shape int_list(const Node& n, const std::string& key, size_t dims) {
  if (!n.attrs.contains(key))
    throw UserError("node " + n.name + ": missing attribute '" + key + "'");
  const Json& v = n.attrs.at(key);
  if (v.is_number_integer()) return Shape(dims, v.get<int64_t>());
  Shape s = v.get<Shape>();
  if (s.size() != dims) throw UserError("node " + n.name + ": attribute " + key + " must have " +
                                        std::to_string(dims) + " values");
  return s;
}

/// The tensors the op table creates for `n` (name -> shape); what a loaded node must carry.
std::vector<std::pair<std::string, Shape>> expected_tensors(const Node& n, bool* buffers) {
  std::vector<std::pair<std::string, Shape>> out;
  *buffers = false;
  const std::string& op = n.mase_op;
  if (op == "linear") {
    out.push_back({"weight", {n.attr_int("out_features"), n.attr_int("in_features")}});
    if (n.attrs.value("bias", true)) out.push_back({"bias", {n.attr_int("out_features")}});
  } else if (op == "conv1d" || op == "conv2d") {
    Shape w{n.attr_int("out_channels"),
            n.attr_int("in_channels") / n.attrs.value("groups", int64_t{1})};
    for (int64_t k : int_list(n, "kernel_size", op == "conv1d" ? 1 : 2)) w.push_back(k);
    out.push_back({"weight", w});
    if (n.attrs.value("bias", true)) out.push_back({"bias", {n.attr_int("out_channels")}});
  } else if (op == "batch_norm1d" || op == "batch_norm2d") {
    const int64_t c = n.attr_int("num_features");
    if (n.attrs.value("affine", true)) {
      out.push_back({"weight", {c}});
      out.push_back({"bias", {c}});
    }
    if (n.attrs.value("track_running_stats", true)) {
      *buffers = true;
      out.push_back({"running_mean", {c}});
      out.push_back({"running_var", {c}});
      out.push_back({"num_batches_tracked", {}});
    }
  } else if (op == "layer_norm" && n.attrs.value("elementwise_affine", true)) {
    Shape s = n.attrs.at("normalized_shape").get<Shape>();
    out.push_back({"weight", s});
    out.push_back({"bias", s});
  }
  return out;
}

void check_param_shapes(const Graph& g, const Node& n) {
  bool has_buffers = false;
  for (const auto& [name, want] : expected_tensors(n, &has_buffers)) {
    const at::Tensor* t = n.param(name);
    if (!t) t = const_cast<Node&>(n).buffer(name);
    if (!t) fail(g, n, "missing parameter '" + name + "'");
    Shape got(t->sizes().begin(), t->sizes().end());
    if (got != want)
      fail(g, n,
           "parameter '" + name + "' has shape " + shape_str(got) + ", attributes say " +
               shape_str(want));
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
    check_node_attrs(n);
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
