// Per-node quantization plumbing for the quantize pass: NodeQuant functions from chop_quant,
// MASE's metadata updates, quantizer re-attachment, and MASE's quantized class/function names.
#include "passes/transforms/quantize.h"

#include <mutex>

#include "core/error.h"
#include "graph/ops.h"
#include "quant/apply.h"
#include "quant/binary.h"
#include "quant/family.h"
#include "quant/meta.h"

namespace chop::passes {
namespace {

using TensorFn = std::function<at::Tensor(const at::Tensor&)>;

TensorFn make_fn(const std::optional<quant::OperandQuant>& q, uint64_t seed) {
  if (!q) return nullptr;
  quant::OperandQuant op = *q;
  if (quant::needs_generator(op)) {
    at::Generator gen = quant::make_generator(seed);
    return [op, gen](const at::Tensor& x) { return quant::apply(op, x, gen); };
  }
  return [op](const at::Tensor& x) { return quant::apply(op, x); };
}

// A deterministic quantizer of a parameter that has not changed gives the same tensor again:
// remember the last one (keyed by the tensor itself and its in-place version counter), so a
// post-training-quantized candidate quantizes its weights once, not on every batch. Tensors
// that need a gradient (quantization-aware training) always go through the quantizer.
TensorFn memoized(TensorFn fn) {
  struct Memo {
    std::mutex mu;
    at::Tensor source;
    uint32_t version = 0;
    at::Tensor value;
  };
  auto memo = std::make_shared<Memo>();
  return [fn = std::move(fn), memo](const at::Tensor& x) {
    if (at::GradMode::is_enabled() && x.requires_grad()) return fn(x);
    std::lock_guard<std::mutex> lock(memo->mu);
    if (memo->source.defined() && memo->source.is_same(x) && memo->version == x._version())
      return memo->value;
    at::Tensor value = fn(x);
    memo->source = x;
    memo->version = x._version();
    memo->value = value;
    return value;
  };
}

TensorFn make_param_fn(const std::optional<quant::OperandQuant>& q, uint64_t seed) {
  TensorFn fn = make_fn(q, seed);
  if (!fn || quant::needs_generator(*q)) return fn;
  return memoized(std::move(fn));
}

const std::optional<quant::OperandQuant>& operand(const quant::NodeQuantConfig& cfg,
                                                  const std::string& entry) {
  if (entry == "data_in") return cfg.data_in;
  if (entry == "weight") return cfg.weight;
  if (entry == "bias") return cfg.bias;
  return cfg.data_out;
}

}  // namespace

std::shared_ptr<graph::NodeQuant> make_node_quant(const quant::NodeQuantConfig& cfg,
                                                  const Json& config_json, uint64_t seed,
                                                  const std::string& mase_op) {
  // matmul / bmm quantize their second activation with the "weight" quantizer: not a parameter.
  const bool params = mase_op != "matmul" && mase_op != "bmm";
  auto nq = std::make_shared<graph::NodeQuant>();
  nq->config = config_json;
  if (cfg.bypass || !cfg.quantized()) return nq;
  nq->data_in = make_fn(cfg.data_in, seed * 4 + 0);
  nq->weight = params ? make_param_fn(cfg.weight, seed * 4 + 1) : make_fn(cfg.weight, seed * 4 + 1);
  nq->bias = params ? make_param_fn(cfg.bias, seed * 4 + 2) : make_fn(cfg.bias, seed * 4 + 2);
  nq->data_out = make_fn(cfg.data_out, seed * 4 + 3);
  return nq;
}

void update_quant_metadata(graph::Node& n, const quant::NodeQuantConfig& cfg) {
  if (!cfg.quantized()) return;
  Json& common = n.meta["common"];
  if (!common.contains("args")) return;
  for (const auto& [entry, arg] : quant::operand_args(n.mase_op)) {
    const auto& q = operand(cfg, entry);
    if (!q || !common["args"].contains(arg)) continue;
    common["args"][arg]["type"] = quant::quant_type_string(*q);
    common["args"][arg]["precision"] = quant::precision_list(*q);
  }
  if (auto res = quant::result_meta(cfg); res && common.contains("results")) {
    common["results"]["data_out_0"]["type"] = res->first;
    common["results"]["data_out_0"]["precision"] = res->second;
  }
}

void attach_quantizers(graph::Graph& g, uint64_t seed) {
  uint64_t index = 0;
  for (auto& n : g.nodes()) {
    ++index;
    if (!n.quant) continue;
    if (!n.quant->config.is_object() || n.quant->config.empty()) {
      n.quant.reset();
      continue;
    }
    auto cfg = quant::parse_node_quant_config(n.quant->config, n.mase_op,
                                              "node " + n.name + " (" + n.mase_op + ")");
    n.quant = make_node_quant(cfg, n.quant->config, seed + index, n.mase_op);
    update_quant_metadata(n, cfg);
  }
}

std::string quantized_type_name(const graph::Node& n) {
  if (n.op == graph::FxOp::kPlaceholder || n.op == graph::FxOp::kOutput) return n.target;
  std::optional<quant::QuantFamily> family;
  if (n.quant && n.quant->config.is_object() && n.quant->config.contains("name") &&
      n.quant->config["name"].is_string())
    family = quant::family_from_name(n.quant->config["name"].get<std::string>());
  if (n.op == graph::FxOp::kCallModule) {
    const graph::OpSpec* spec = graph::find_op(n.mase_op);
    std::string cls = spec ? spec->torch_class : n.mase_op;
    return family ? cls + quant::family_entry(*family).mase_class_suffix : cls;
  }
  return family ? n.mase_op + "_" + quant::family_name(*family) : n.target;
}

}  // namespace chop::passes
