// The hardware metrics of a graph — the one function behind `chop analyze`'s and `chop
// transform`'s figures, the hw runners and the search's hardware budgets. Each metric is one row
// of a table (name, the analysis pass it comes from, where in the pass's info, unit).
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "passes/pass.h"

namespace chop::passes {

struct HardwareMetric {
  std::string name;     // "flops", "luts", ...
  std::string pass;     // the analysis pass that computes it
  std::string section;  // key of the pass's info holding it ("" = the info itself)
  std::string key;      // key within that section
  std::string unit;     // what one unit is, for docs and `chop list`
};

/// Every metric, in the order their passes run: flops, bitops (per batch of ctx's batch size),
/// model_size, params, average_bitwidth, memory_density, latency, macs, bops, weight_bits,
/// zero_weights (QONNX inference cost, per inference), luts, dsps, bram (L0 estimate), ebops.
const std::vector<HardwareMetric>& hardware_metric_table();
/// The row of `name`; asserts it exists (names come from registry rows and budget tables).
const HardwareMetric& hardware_metric(const std::string& name);

/// How FLOPs and BitOPs get the tensor shapes they need.
enum class ShapeSource {
  kInfer,    // add_common_metadata without running the graph (fast)
  kRun,      // add_common_metadata running ctx's dummy batch
  kPresent,  // the graph's metadata as it is (a pipeline already ran add_common_metadata)
};

struct HardwareMetricOptions {
  /// Options per pass ({"resources": {...}, "latency": {"n_batches": 5}}); absent: defaults.
  Json pass_options = Json::object();
  ShapeSource shapes = ShapeSource::kInfer;
  /// Infos of passes already run ({pass: info}, e.g. a pipeline's ctx.results): those passes
  /// are not run again and their infos are used as they are. Null: run every pass needed.
  const Json* reuse = nullptr;
};

/// {name: value} for `names`, in that order. Each pass needed runs once, in table order, with
/// ctx (per-layer tables go to ctx.out when set; infos are recorded in ctx.results as run_pass
/// does).
Json hardware_metrics(graph::Graph& g, const std::vector<std::string>& names, PassContext& ctx,
                      const HardwareMetricOptions& options = {});

}  // namespace chop::passes
