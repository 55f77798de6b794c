// MaseGraph: an ordered (topological) list of nodes plus graph-level metadata. Passes read and
// rewrite it; the runtime executes it; parameters map 1:1 to PyTorch state-dict names.
#pragma once

#include <string>
#include <vector>

#include "graph/node.h"

namespace chop::graph {

class Graph {
 public:
  explicit Graph(std::string model_name = "") : model_name_(std::move(model_name)) {}

  const std::string& model_name() const { return model_name_; }
  void set_model_name(std::string n) { model_name_ = std::move(n); }

  std::vector<Node>& nodes() { return nodes_; }
  const std::vector<Node>& nodes() const { return nodes_; }

  /// Lookup by fx name; `find` returns null, `node` throws UserError naming the node.
  Node* find(const std::string& name);
  const Node* find(const std::string& name) const;
  Node& node(const std::string& name);
  const Node& node(const std::string& name) const;

  /// Appends a node; throws InternalError if the name is taken.
  Node& append(Node n);
  /// Names of nodes that consume `name`'s output, in graph order.
  std::vector<std::string> users(const std::string& name) const;

  /// PyTorch-style state: "seq_blocks.2.weight" -> tensor (parameters then buffers per node).
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  NamedTensors state_dict() const;  // parameters and buffers, in node order
  int64_t num_parameters() const;

  /// Deep copy: tensors are cloned (and keep requires_grad), quantizers shared (immutable).
  Graph clone() const;
  /// Moves every parameter and buffer to `device` (keeps them as leaf tensors).
  void to(const at::Device& device);
  /// Sets requires_grad on every floating parameter.
  void set_requires_grad(bool on);

  Json& meta() { return meta_; }
  const Json& meta() const { return meta_; }

 private:
  std::string model_name_;
  std::vector<Node> nodes_;
  Json meta_ =
      Json{{"common", Json::object()}, {"software", Json::object()}, {"hardware", Json::object()}};
};

}  // namespace chop::graph
