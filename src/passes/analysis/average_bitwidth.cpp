// average_bitwidth: MASE's average_bitwidth runner (mase.md §4.3) as a pass — weight-count-
// weighted weight_width over quantized linear (and, as in MASE's later PR #70, conv1d/conv2d)
// layers, 32 when none is quantized; memory_density = compare_to / average_bitwidth.
#include <ostream>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "passes/metadata.h"
#include "passes/pass_list.h"

namespace chop::passes {
namespace {

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  const double compare_to = opts["compare_to"].get<double>();
  int64_t weights = 0;
  double weight_bits = 0;
  int n_layers = 0;
  for (const auto& n : g.nodes()) {
    if (n.mase_op != "linear" && n.mase_op != "conv2d" && n.mase_op != "conv1d") continue;
    if (!n.quant) continue;
    const at::Tensor* w = n.param("weight");
    if (!w) continue;
    // MASE reads config["weight_width"]; a bypassed layer still counts with it.
    const Json& cfg = n.quant->config;
    double width;
    if (cfg.is_object() && cfg.contains("weight_width") && cfg["weight_width"].is_number())
      width = cfg["weight_width"].get<double>();
    else if (operand_quantized(n, "weight"))
      width = operand_width(n, "weight");
    else
      continue;
    weights += w->numel();
    weight_bits += static_cast<double>(w->numel()) * width;
    ++n_layers;
  }
  double avg = 32.0;
  if (weight_bits == 0) {
    log_warning("average_bitwidth: no quantized linear/conv layer; average_bitwidth is 32");
  } else {
    avg = weight_bits / static_cast<double>(weights);
  }
  PassResult r;
  r.info["average_bitwidth"] = avg;
  r.info["memory_density"] = compare_to / avg;
  r.info["n_quantized_layers"] = n_layers;
  g.meta()["software"]["average_bitwidth"] = avg;
  if (ctx.out)
    *ctx.out << "average_bitwidth: " << format_double(avg)
             << ", memory_density: " << format_double(compare_to / avg) << " (" << n_layers
             << " quantized linear/conv layers)\n";
  return r;
}

void check(const Json& opts, const PassContext& ctx) {
  if (opts["compare_to"].get<double>() <= 0)
    throw ConfigError(ctx.locate("compare_to"), "compare_to must be positive");
}

}  // namespace

Pass average_bitwidth_pass() {
  return Pass{"average_bitwidth",
              "analysis",
              "MASE's average weight bit width over quantized linear/conv layers and memory "
              "density",
              {{"compare_to", "number", 32, false, "memory_density = compare_to / average"}},
              false,
              run,
              check};
}

}  // namespace chop::passes
