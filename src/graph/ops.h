// The op table: one row per mase_op chop understands (kind, PyTorch class, attributes, how to
// create its parameters and infer its output shape). Every layer looks ops up here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/node.h"

namespace chop::graph {

using Shape = std::vector<int64_t>;

struct OpSpec {
  std::string mase_op;      // "linear"
  std::string mase_type;    // "module_related_func"
  FxOp fx_op;               // how the zoo creates it (call_module for layers)
  std::string torch_class;  // "Linear" (for reports), or the function name
  std::vector<std::string> required_attrs;
  Json default_attrs;  // filled in when absent
  int n_inputs;        // -1: variadic
  std::string summary;
  /// Creates params/buffers from attrs with PyTorch's default initialisation (null: none).
  void (*init_params)(Node& node, at::Generator& gen);
  /// Output shape from input shapes; throws UserError naming the node on mismatch.
  Shape (*infer_shape)(const Node& node, const std::vector<Shape>& inputs);
};

const std::vector<OpSpec>& op_table();
/// Null when unknown.
const OpSpec* find_op(const std::string& mase_op);
/// Throws UserError listing the known ops.
const OpSpec& op_spec(const std::string& mase_op);

/// Fills default attrs, checks them (attrs.h), then (re)creates the node's parameters from its
/// attrs. Returns the bytes allocated; UserError naming the node when the attributes are wrong
/// or the parameters would exceed the memory budget (core/limits.h).
uint64_t init_node_params(Node& node, at::Generator& gen);

std::string shape_str(const Shape& s);

}  // namespace chop::graph
