// Builds graphs the way torch.fx traces nn.Sequential models: node names from module paths,
// parameters created with PyTorch's default initialisation from one seeded generator.
#pragma once

#include <string>

#include "graph/graph.h"
#include "graph/ops.h"

namespace chop::graph {

/// The graph's closing "output" node returning `result`, as torch.fx names it. Every producer of
/// graphs (builder, ONNX import, sub-graphs cut for caching) uses this one definition.
Node output_node(const std::string& result);

class GraphBuilder {
 public:
  GraphBuilder(std::string model_name, uint64_t seed);

  /// The input placeholder (fx name "x"); `shape` is one sample's shape with batch -1.
  std::string input(const std::string& name, const Shape& sample_shape);
  /// A call_module node for `target` ("seq_blocks.2"); fx name derived from it.
  std::string module(const std::string& target, const std::string& mase_op,
                     const std::string& input, Json attrs = Json::object());
  /// A call_function/call_method node (flatten, view, add, ...) named `name`.
  std::string function(const std::string& name, const std::string& mase_op,
                       std::vector<std::string> inputs, Json attrs = Json::object());
  /// Closes the graph with the "output" node and returns it.
  Graph finish(const std::string& result);

  /// Names what set the layer sizes (e.g. "--hidden-features"), for the message when the model's
  /// parameters would not fit in memory.
  void set_sizes_from(std::string origin) { sizes_from_ = std::move(origin); }

 private:
  void add_params(Node& n);

  Graph graph_;
  at::Generator gen_;
  uint64_t param_bytes_ = 0;  // allocated so far: the budget holds for the whole model
  std::string sizes_from_;
};

}  // namespace chop::graph
