// add_common_metadata: MASE's common metadata (mase.md §6.2) — mase_type/op, and shape, dtype,
// type and precision of every arg (data_in_i, parameters) and result (data_out_0), measured by
// running one dummy batch through the runtime with an observer.
#include <ATen/ATen.h>

#include <unordered_map>

#include "core/error.h"
#include "graph/verify.h"
#include "passes/metadata.h"
#include "passes/pass_list.h"
#include "passes/transforms/quantize.h"
#include "runtime/executor.h"

namespace chop::passes {
namespace {

Json tensor_value(const at::Tensor& t) {
  at::Tensor c = t.detach().to(at::kCPU).to(at::kDouble).contiguous();
  if (c.dim() == 0) return c.item<double>();
  Json arr = Json::array();
  for (int64_t i = 0; i < c.size(0); ++i) arr.push_back(tensor_value(c[i]));
  return arr;
}

Json tensor_entry(const at::Tensor& t, bool add_value, bool from_param) {
  Json e = Json::object();
  if (from_param) {
    e["type"] = "float";
    e["precision"] = Json::array({32});
    e["shape"] = t.sizes().vec();
    e["from"] = nullptr;
  } else {
    e["shape"] = t.sizes().vec();
    e["torch_dtype"] = torch_dtype_name(t.scalar_type());
    e["type"] = "float";
    e["precision"] = Json::array({32});
  }
  if (add_value) e["value"] = tensor_value(t);
  return e;
}

// Shape-only stand-ins (meta tensors: no storage, no compute) from the verifier's inference.
void infer_without_running(
    graph::Graph& g, PassContext& ctx,
    std::unordered_map<std::string, std::pair<std::vector<at::Tensor>, at::Tensor>>& seen) {
  auto shape = g.nodes().front().attrs.value("shape", std::vector<int64_t>{-1});
  shape[0] = ctx.dummy_input.defined() ? ctx.dummy_input.size(0) : ctx.batch_size;
  std::vector<graph::Shape> shapes = graph::verify(g, shape);
  std::unordered_map<std::string, at::Tensor> out;
  const auto meta = at::TensorOptions().dtype(at::kFloat).device(at::kMeta);
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const auto& n = g.nodes()[i];
    std::vector<at::Tensor> in;
    for (const auto& src : n.inputs) in.push_back(out.at(src));
    out[n.name] = at::empty(shapes[i], meta);
    seen[n.name] = {in, out[n.name]};
  }
}

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  const bool add_value = opts["add_value"].get<bool>();
  std::unordered_map<std::string, std::pair<std::vector<at::Tensor>, at::Tensor>> seen;
  if (!opts["forward"].get<bool>()) {
    if (add_value)
      throw ConfigError(
          ctx.locate("add_value"),
          "add_value needs forward = true (values come from running the dummy batch)");
    infer_without_running(g, ctx, seen);
  } else {
    at::NoGradGuard no_grad;
    runtime::RunOptions ro;
    ro.observer = [&](const graph::Node& n, const std::vector<at::Tensor>& in,
                      const at::Tensor& out) {
      seen[n.name] = {in, out};
    };
    runtime::forward(g, ctx.dummy_batch(g), ro);
  }
  Json graph_args = Json::object(), graph_results = Json::object();
  Json nodes_in = Json::array(), nodes_out = Json::array();
  for (auto& n : g.nodes()) {
    auto it = seen.find(n.name);
    CHOP_ASSERT(it != seen.end(), "node " + n.name + " did not run");
    const auto& [in, out] = it->second;
    Json args = Json::object();
    for (size_t i = 0; i < in.size(); ++i)
      args["data_in_" + std::to_string(i)] = tensor_entry(in[i], add_value, false);
    if (n.op == graph::FxOp::kCallModule) {
      for (const auto& [pn, t] : n.params) args[pn] = tensor_entry(t, add_value, true);
    } else if (n.op == graph::FxOp::kCallFunction || n.op == graph::FxOp::kCallMethod) {
      // Non-tensor arguments keep their PyTorch names (start_dim, shape, ...).
      for (auto a = n.attrs.begin(); a != n.attrs.end(); ++a) args[a.key()] = a.value();
    }
    Json results = Json::object();
    results["data_out_0"] = tensor_entry(out, add_value, false);
    Json common = Json::object();
    common["mase_type"] = n.mase_type;
    common["mase_op"] = n.mase_op;
    common["args"] = std::move(args);
    common["results"] = std::move(results);
    n.meta["common"] = std::move(common);
    if (n.quant && n.quant->config.is_object()) {
      auto cfg = quant::parse_node_quant_config(n.quant->config, n.mase_op, "node " + n.name);
      update_quant_metadata(n, cfg);
    }
    if (n.op == graph::FxOp::kPlaceholder) {
      nodes_in.push_back(n.name);
      graph_args["data_in_" + std::to_string(graph_args.size())] =
          n.meta["common"]["results"]["data_out_0"];
    }
    if (n.op == graph::FxOp::kOutput) {
      for (const auto& src : n.inputs) nodes_out.push_back(src);
      graph_results["data_out_0"] = n.meta["common"]["results"]["data_out_0"];
    }
  }
  Json& gc = g.meta()["common"];
  gc["nodes_in"] = nodes_in;
  gc["nodes_out"] = nodes_out;
  gc["args"] = graph_args;
  gc["results"] = graph_results;
  PassResult r;
  r.info["n_nodes"] = g.nodes().size();
  r.info["input_shape"] = graph_args.empty() ? Json::array() : graph_args["data_in_0"]["shape"];
  return r;
}

}  // namespace

Pass add_common_metadata_pass() {
  return Pass{"add_common_metadata",
              "analysis",
              "MASE's common metadata: mase_type/op and shape, dtype, type and precision of every "
              "arg and result, from one dummy batch",
              {{"add_value", "bool", false, false,
                "also store tensor values (MASE's default is true; chop's false keeps metadata "
                "small)"},
               {"forward", "bool", true, false,
                "run the dummy batch (false: shapes from shape inference only, no compute)"}},
              false,
              run};
}

}  // namespace chop::passes
