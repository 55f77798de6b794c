// Hardware metrics from the analysis passes; see hardware_metrics.h.
#include "passes/analysis/hardware_metrics.h"

#include <algorithm>

#include "core/error.h"
#include "passes/registry.h"

namespace chop::passes {

const std::vector<HardwareMetric>& hardware_metric_table() {
  // name, pass, info section, key, unit
  static const std::vector<HardwareMetric> table = {
      {"flops", "flops", "", "total", "FLOPs per batch (MASE's per-layer formulas)"},
      {"bitops", "bitops", "", "total", "bit operations per batch (op x operand widths)"},
      {"model_size", "model_size", "", "size_bytes", "parameter bytes at each one's precision"},
      {"params", "model_size", "", "params", "parameters"},
      {"average_bitwidth", "average_bitwidth", "", "average_bitwidth",
       "weight-count-weighted weight bits of quantized linear/conv layers"},
      {"memory_density", "average_bitwidth", "", "memory_density",
       "compare_to / average_bitwidth"},
      {"latency", "latency", "", "median_ms", "median milliseconds per batch"},
      {"macs", "inference_cost", "total", "total_macs", "MACs per inference"},
      {"bops", "inference_cost", "total", "total_bops", "QONNX bit operations per inference"},
      {"weight_bits", "inference_cost", "total", "total_mem_w_bits", "weight memory bits"},
      {"zero_weights", "inference_cost", "total", "zero_weights", "weights equal to zero"},
      {"luts", "resources", "total", "luts", "LUTs (QONNX L0 estimate)"},
      {"dsps", "resources", "total", "dsps", "DSP slices (QONNX L0 estimate)"},
      {"bram", "resources", "total", "bram", "36 kb BRAMs for the weights (L0 estimate)"},
      {"ebops", "ebops", "", "total", "HGQ effective bit operations per inference"},
  };
  return table;
}

const HardwareMetric& hardware_metric(const std::string& name) {
  for (const auto& m : hardware_metric_table())
    if (m.name == name) return m;
  CHOP_ASSERT(false, "unknown hardware metric " + name);
  return hardware_metric_table().front();
}

Json hardware_metrics(graph::Graph& g, const std::vector<std::string>& names, PassContext& ctx,
                      const HardwareMetricOptions& options) {
  std::vector<std::string> passes_needed;
  for (const auto& n : names) {
    const std::string& pass = hardware_metric(n).pass;
    if (std::find(passes_needed.begin(), passes_needed.end(), pass) == passes_needed.end())
      passes_needed.push_back(pass);
  }
  auto reused = [&](const std::string& pass) {
    return options.reuse != nullptr && options.reuse->contains(pass);
  };
  Json infos = Json::object();
  bool shapes_ready = options.shapes == ShapeSource::kPresent;
  for (const auto& row : hardware_metric_table()) {
    const std::string& pass = row.pass;
    if (infos.contains(pass) ||
        std::find(passes_needed.begin(), passes_needed.end(), pass) == passes_needed.end())
      continue;
    if (reused(pass)) {
      infos[pass] = (*options.reuse)[pass];
      continue;
    }
    if ((pass == "flops" || pass == "bitops") && !shapes_ready) {
      const bool run_graph = options.shapes == ShapeSource::kRun;
      run_pass("add_common_metadata", g,
               run_graph ? Json::object() : Json{{"forward", false}}, ctx);
      shapes_ready = true;
    }
    const Json given =
        options.pass_options.contains(pass) ? options.pass_options[pass] : Json::object();
    infos[pass] = run_pass(pass, g, given, ctx).info;
  }
  Json out = Json::object();
  for (const auto& n : names) {
    const HardwareMetric& m = hardware_metric(n);
    const Json& info = infos[m.pass];
    out[n] = m.section.empty() ? info[m.key] : info[m.section][m.key];
  }
  return out;
}

}  // namespace chop::passes
