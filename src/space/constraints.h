// A-priori hardware budgets for search candidates ([search.strategy.constraints]): model size,
// BitOPs, FLOPs, parameter count, LUTs, DSPs, BRAM and EBOPs are computed from the candidate
// graph with the analysis passes BEFORE any training, so an over-budget candidate is never
// trained.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/table_reader.h"
#include "graph/graph.h"
#include "passes/pass.h"

namespace chop::space {

using Json = nlohmann::ordered_json;

/// One budget: the metric it limits (the hw runner metric of the same name) and its maximum.
struct HardwareLimit {
  std::string key;     // "max_model_size", "max_bitops", "max_flops", "max_params", "max_luts", ...
  std::string metric;  // "model_size" (bytes), "bitops", "flops" (per batch), "params", "luts",
                       // "dsps", "bram" (per inference, resources pass), "ebops" (ebops pass"
  double max_value = 0;
};

struct HardwareConstraints {
  std::vector<HardwareLimit> limits;  // in key order: max_bitops, max_flops, max_model_size, ...
  /// Options the LUT/DSP/BRAM and EBOPs budgets are measured with (the resources / ebops pass
  /// options from the `resources` / `ebops` sub-tables, defaults filled in).
  Json resource_options = Json::object();
  Json ebops_options = Json::object();
  bool empty() const { return limits.empty(); }
};

/// Parses the constraints table ({max_model_size = bytes, max_bitops = n, max_flops = n,
/// max_params = n, max_luts = n, max_dsps = n, max_bram = n, max_ebops = n, resources = {...},
/// ebops = {...}}); `locate(key)` names a key for errors. ConfigError for unknown keys, values
/// that are not positive numbers and bad pass options.
HardwareConstraints parse_hardware_constraints(const Json& table, const config::Locate& locate);
/// The documented [search.strategy.constraints] table.
const config::TableDoc& constraints_doc();

struct ConstraintCheck {
  Json metrics = Json::object();   // every metric a limit needs: {"params": 3013, ...}
  Json violated = Json::object();  // {"max_params": {"value": 3013, "limit": 2000}, ...}
  /// Optuna's constraint values, one per limit in `limits` order: value / limit - 1, feasible
  /// iff all <= 0 (relative, so budgets of very different magnitudes rank alike).
  std::vector<double> values;
  bool feasible() const { return violated.empty(); }
};

/// Runs the passes the limits need (model_size; add_common_metadata + flops / bitops on
/// ctx's dummy batch, so FLOPs/BitOPs are per batch like the flops/bitops runners; resources
/// and ebops per inference, like the luts/dsps/bram/ebops runners) on `g`.
ConstraintCheck check_hardware_constraints(graph::Graph& g, const HardwareConstraints& c,
                                           passes::PassContext& ctx);

}  // namespace chop::space
