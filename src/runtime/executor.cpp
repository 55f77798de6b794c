// Graph interpreter; see executor.h. Values live in a vector indexed by node position, so a
// forward pass does no map lookups beyond resolving input names once per call.
#include "runtime/executor.h"

#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/strings.h"
#include "quant/config.h"
#include "quant/family.h"
#include "runtime/kernels.h"
#include "runtime/linear_cpu.h"

namespace chop::runtime {

at::Tensor forward(graph::Graph& g, const at::Tensor& x, const RunOptions& opts) {
  auto& nodes = g.nodes();
  std::vector<at::Tensor> values(nodes.size());
  std::unordered_map<std::string, size_t> index;
  index.reserve(nodes.size());
  std::vector<at::Tensor> in;
  for (size_t i = 0; i < nodes.size(); ++i) {
    graph::Node& n = nodes[i];
    index[n.name] = i;
    if (n.op == graph::FxOp::kPlaceholder) {
      values[i] = x;
      if (opts.observer) opts.observer(n, {}, x);
      continue;
    }
    in.clear();
    for (const auto& name : n.inputs) {
      auto it = index.find(name);
      CHOP_ASSERT(it != index.end(), "node " + n.name + " reads undefined input " + name);
      in.push_back(values[it->second]);
    }
    Kernel k = find_kernel(n.mase_op);
    if (!k)
      throw UserError("node " + n.name + ": chop has no kernel for mase_op '" + n.mase_op + "'");
    try {
      values[i] = k(n, in, opts.training);
      if (n.inputs.empty() && values[i].device() != x.device())  // constants
        values[i] = values[i].to(x.device());
    } catch (const c10::Error& e) {
      std::string msg = e.what_without_backtrace();
      throw UserError("node " + n.name + " (" + n.mase_op + ") failed: " + split(msg, '\n')[0]);
    }
    if (opts.observer) opts.observer(n, in, values[i]);
    if (n.op == graph::FxOp::kOutput) return values[i];
  }
  throw UserError("graph '" + g.model_name() + "' has no output node");
}

bool rows_independent_in_inference(const graph::Graph& g) {
  static const std::set<std::string> row_wise_ops = {
      "batch_norm1d", "relu", "relu6", "hardtanh", "sigmoid", "dropout", "linear",
      "leaky_relu",   "tanh", "identity"};
  for (const auto& n : g.nodes()) {
    if (n.op == graph::FxOp::kPlaceholder || n.op == graph::FxOp::kOutput) continue;
    if (!row_wise_ops.count(n.mase_op)) return false;
    // at::linear (a BLAS) may block its sums differently for another number of rows.
    if (n.mase_op == "linear" && !linear_cpu_available()) return false;
    if (!n.quant || !(n.quant->data_in || n.quant->data_out)) continue;
    // Parameter quantizers do not see the batch; activation quantizers must be elementwise.
    const graph::Json& name = n.quant->config.contains("name") ? n.quant->config["name"]
                                                               : graph::Json();
    const quant::FamilyEntry* family =
        name.is_string() ? quant::find_family(name.get<std::string>()) : nullptr;
    if (!family || !family->row_wise_batching) return false;
  }
  return true;
}

bool cuda_available() {
  return at::hasCUDA() && at::getNumGPUs() > 0;
}

at::Device parse_device(const std::string& name) {
  std::string n = to_lower(name);
  if (n == "cpu") return at::Device(at::kCPU);
  if (n == "auto") return cuda_available() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  if (n == "gpu" || starts_with(n, "cuda")) {
    if (!cuda_available())
      throw UserError("accelerator '" + name +
                      "' requested, but this LibTorch build or machine has no CUDA device; use "
                      "--accelerator cpu (or auto)");
    if (n == "gpu") return at::Device(at::kCUDA, 0);
    return at::Device(n);
  }
  throw UserError("unknown accelerator '" + name + "'; expected one of auto, cpu, gpu, cuda[:N]");
}

}  // namespace chop::runtime
