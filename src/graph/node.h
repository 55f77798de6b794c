// The node of chop's graph IR (MaseGraph): torch.fx-style naming, MASE's mase_op/mase_type,
// attributes, parameters/buffers as LibTorch tensors, and metadata in MASE's three groups.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace chop::graph {

using Json = nlohmann::ordered_json;

/// torch.fx node kinds, kept so reports read like MASE's.
enum class FxOp { kPlaceholder, kGetAttr, kCallFunction, kCallMethod, kCallModule, kOutput };

const char* fx_op_name(FxOp op);
FxOp parse_fx_op(const std::string& name);  // throws ConfigError on unknown

/// Quantizers attached to a node by the quantize pass; an empty function means "float".
/// The graph layer only stores them; chop_quant builds them from `config`.
struct NodeQuant {
  Json config;  // the node's resolved quantization config (MASE keys); printed in the text form
  std::function<at::Tensor(const at::Tensor&)> data_in;  // x (and both operands of add/sub/mul)
  std::function<at::Tensor(const at::Tensor&)> weight;   // weight, or y of matmul/bmm
  std::function<at::Tensor(const at::Tensor&)> bias;
  std::function<at::Tensor(const at::Tensor&)> data_out;
  bool built() const { return data_in || weight || bias || data_out; }
};

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct Node {
  std::string name;  // fx name: "seq_blocks_2"; input "x"; last node "output"
  FxOp op = FxOp::kCallModule;
  std::string target;     // module path "seq_blocks.2" (call_module) or function/method name
  std::string mase_op;    // "linear", "relu", "batch_norm1d", ...
  std::string mase_type;  // "module_related_func", "module", "builtin_func", ...
  std::vector<std::string> inputs;  // names of producer nodes, in argument order
  Json attrs = Json::object();      // in_features, kernel_size, stride, ... (PyTorch names)
  NamedTensors params;              // "weight", "bias" (in PyTorch's registration order)
  NamedTensors buffers;             // "running_mean", "running_var", "num_batches_tracked"
  Json meta =
      Json{{"common", Json::object()}, {"software", Json::object()}, {"hardware", Json::object()}};
  std::shared_ptr<NodeQuant> quant;  // null: not quantized

  at::Tensor* param(const std::string& pname);
  const at::Tensor* param(const std::string& pname) const;
  at::Tensor* buffer(const std::string& bname);
  int64_t attr_int(const std::string& key) const;  // UserError naming node and key if absent
  bool is_quantized() const { return quant != nullptr; }
};

/// fx naming: "seq_blocks.2" -> "seq_blocks_2".
std::string fx_name_from_target(const std::string& target);

}  // namespace chop::graph
