// `chop analyze MODEL`: builds the graph, verifies it, and prints the network overview
// (nodes per fx op and per mase_op, parameters, float32 size); optionally the graph text, DOT,
// and a timed forward/backward pass on a random batch.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <iostream>
#include <map>

#include "cli/action.h"
#include "cli/hardware_cost.h"
#include "cli/model_setup.h"
#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "graph/dot.h"
#include "graph/text.h"
#include "graph/verify.h"
#include "passes/pipeline.h"
#include "passes/analysis/hardware_metrics.h"
#include "passes/registry.h"
#include "runtime/executor.h"

namespace chop::cli {
namespace {

graph::Shape batch_shape(const graph::Graph& g, int64_t batch) {
  graph::Shape s = g.nodes().front().attrs.at("shape").get<graph::Shape>();
  s[0] = batch;
  return s;
}

void print_overview(const graph::Graph& g, const std::vector<graph::Shape>& shapes) {
  std::map<std::string, int> by_fx;
  std::vector<std::pair<std::string, int>> by_op;
  for (const auto& n : g.nodes()) {
    by_fx[graph::fx_op_name(n.op)]++;
    auto it =
        std::find_if(by_op.begin(), by_op.end(), [&](auto& p) { return p.first == n.mase_op; });
    if (it == by_op.end())
      by_op.emplace_back(n.mase_op, 1);
    else
      it->second++;
  }
  std::cout << "Network overview: " << g.model_name() << "\n";
  for (const char* k :
       {"placeholder", "get_attr", "call_function", "call_method", "call_module", "output"})
    std::cout << "  " << k << ": " << by_fx[k] << "\n";
  Table t{
      {"Node name", "Fx Node op", "Mase type", "Mase op", "Output shape", "Parameters"}, {}, {}};
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    const auto& n = g.nodes()[i];
    int64_t np = 0;
    for (const auto& [pn, p] : n.params) np += p.numel();
    t.rows.push_back({n.name, graph::fx_op_name(n.op), n.mase_type, n.mase_op,
                      graph::shape_str(shapes[i]), with_thousands(np)});
  }
  std::cout << t.render(TableStyle::kPretty);
  std::cout << "Layer types:";
  for (const auto& [op, count] : by_op) std::cout << " " << op << "×" << count;
  std::cout << "\n";
  int64_t n_params = g.num_parameters();
  std::cout << "Parameters: " << with_thousands(n_params) << "\n";
}

// The config's [passes.*] (e.g. a quantize) in file order, then MASE's FLOPs, BitOPs and the
// model size at each parameter's precision, as tables and one-line totals, then the hardware
// cost (QONNX inference cost, L0 LUT/DSP/BRAM, EBOPs, accumulator widths).
void print_pass_metrics(graph::Graph& g, const ActionContext& ctx, int64_t batch) {
  passes::PassContext pctx;
  pctx.batch_size = batch;
  pctx.seed = static_cast<uint64_t>(ctx.cfg.integer("seed"));
  pctx.debug = ctx.cfg.flag("to_debug");
  pctx.out = &std::cout;
  pctx.where = [&](const std::string& key) { return ctx.cfg.where(key); };
  if (const config::Json* table = ctx.cfg.table("passes")) {
    auto steps = passes::pipeline_from_table(*table, &*ctx.cfg.toml);
    auto reports = passes::run_transform(g, steps, pctx);
    if (pctx.debug) std::cout << passes::timing_table(reports);
  }
  // FLOPs and BitOPs print their per-layer tables; the model size only its total.
  const config::Json ops = passes::hardware_metrics(g, {"flops", "bitops"}, pctx);
  const int64_t flops = ops["flops"], bitops = ops["bitops"];
  pctx.out = nullptr;
  const double bytes = passes::hardware_metrics(g, {"model_size"}, pctx)["model_size"];
  std::cout << "FLOPs: " << with_thousands(flops) << " (MASE's computations at batch size "
            << batch << "; multiply-accumulates for linear/conv)\n";
  std::cout << "BitOPs: " << with_thousands(bitops) << "\n";
  std::cout << "Model size: "
            << (bytes == static_cast<double>(static_cast<int64_t>(bytes))
                    ? with_thousands(static_cast<int64_t>(bytes))
                    : format_double(bytes))
            << " bytes (each parameter at its precision)\n";
  print_hardware_cost(g, pctx, std::cout);
}

void forward_backward(graph::Graph& g, const graph::Shape& in_shape, int64_t n_classes) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  at::Tensor x = at::randn(in_shape, gen);
  at::Tensor y = at::randint(n_classes, {in_shape[0]}, gen);
  auto t0 = std::chrono::steady_clock::now();
  runtime::RunOptions training_mode;
  training_mode.training = true;
  at::Tensor logits = runtime::forward(g, x, training_mode);
  at::Tensor loss = at::cross_entropy_loss(logits, y);
  auto t1 = std::chrono::steady_clock::now();
  loss.backward();
  auto t2 = std::chrono::steady_clock::now();
  int with_grad = 0, total = 0;
  for (const auto& [name, p] : g.named_parameters()) {
    ++total;
    if (p.grad().defined() && p.grad().abs().sum().item<double>() > 0) ++with_grad;
  }
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  std::cout << "Forward/backward on a random batch " << graph::shape_str(in_shape) << ": loss "
            << format_double(loss.item<double>()) << ", forward " << format_double(ms(t0, t1))
            << " ms, backward " << format_double(ms(t1, t2)) << " ms, " << with_grad << "/" << total
            << " parameter tensors received a non-zero gradient\n";
}

}  // namespace

int run_analyze(ActionContext& ctx) {
  std::string model = model_name(ctx);
  if (model.empty()) throw UserError("chop analyze needs a MODEL (see `chop list models`)");
  std::string dataset = dataset_name(ctx);
  models::ModelOptions opts = model_options_for(ctx, model, dataset);
  at::manual_seed(static_cast<uint64_t>(ctx.cfg.integer("seed")));
  graph::Graph g = interop::build_model(model_source(model), opts, nullptr);
  graph::Shape in_shape = batch_shape(g, ctx.cfg.integer("batch_size"));
  std::vector<graph::Shape> shapes = graph::verify(g, in_shape);
  check_batch_memory(shapes, ctx.extra.value("forward_backward", false));
  if (ctx.extra.value("graph", false)) std::cout << graph::print_graph(g) << "\n";
  if (ctx.extra.contains("dot")) {
    std::string path = ctx.extra["dot"].get<std::string>();
    write_file_atomic(path, graph::to_dot(g));
    std::cout << "Wrote " << path << "\n";
  }
  print_overview(g, shapes);
  print_pass_metrics(g, ctx, in_shape[0]);
  if (ctx.extra.value("forward_backward", false)) forward_backward(g, in_shape, opts.n_classes);
  return 0;
}

}  // namespace chop::cli
