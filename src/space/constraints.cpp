// Hardware budgets checked before training; see constraints.h.
#include "space/constraints.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "passes/analysis/hardware_metrics.h"
#include "passes/registry.h"

namespace chop::space {
namespace {

struct KnownLimit {
  const char* key;
  const char* metric;
};
const KnownLimit kKnown[] = {
    {"max_bitops", "bitops"}, {"max_flops", "flops"}, {"max_model_size", "model_size"},
    {"max_params", "params"}, {"max_luts", "luts"},   {"max_dsps", "dsps"},
    {"max_bram", "bram"},     {"max_ebops", "ebops"}};

// The options a budget is measured with: `sub` ("resources" / "ebops") of the table, checked
// against the pass's schema with errors at the sub-table's keys.
Json pass_options(const Json& table, const std::string& sub,
                  const std::function<std::string(const std::string&)>& locate) {
  const Json given = table.contains(sub) ? table[sub] : Json::object();
  auto sub_locate = [&](const std::string& k) { return locate(k.empty() ? sub : sub + "." + k); };
  passes::PassContext ctx = passes::context_for_table(sub_locate);
  return passes::resolve_options(passes::pass_named(sub, locate(sub)), given, ctx);
}

}  // namespace

const config::TableDoc& constraints_doc() {
  static const config::TableDoc doc{
      "search.strategy.constraints",
      "hardware budgets checked on each candidate before it is trained (over budget: PRUNED)",
      {{"max_bitops", "number", nullptr, false, "bit operations per batch (positive)"},
       {"max_flops", "number", nullptr, false, "FLOPs per batch (positive)"},
       {"max_model_size", "number", nullptr, false,
        "parameter bytes at each parameter's precision (positive)"},
       {"max_params", "number", nullptr, false, "parameter count (positive)"},
       {"max_luts", "number", nullptr, false, "LUTs, QONNX L0 estimate (positive)"},
       {"max_dsps", "number", nullptr, false, "DSP slices, QONNX L0 estimate (positive)"},
       {"max_bram", "number", nullptr, false, "36 kb BRAMs for the weights (positive)"},
       {"max_ebops", "number", nullptr, false, "HGQ effective bit operations (positive)"},
       {"resources", "table", nullptr, false,
        "options of the resources pass the LUT/DSP/BRAM budgets are measured with"},
       {"ebops", "table", nullptr, false,
        "options of the ebops pass the EBOPs budget is measured with"}}};
  return doc;
}

HardwareConstraints parse_hardware_constraints(const Json& table, const config::Locate& locate) {
  HardwareConstraints c;
  if (table.is_null()) return c;
  if (!table.is_object())
    throw ConfigError(locate(""), "constraints must be a table, e.g. max_model_size = 4096");
  const config::TableReader reader(table, constraints_doc(), locate);
  for (const auto& k : kKnown) {
    if (!reader.has(k.key)) continue;
    const Json v = reader.get_json(k.key);
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= 0)
      throw ConfigError(locate(k.key),
                        std::string(k.key) + " must be a positive number, got " + v.dump());
    c.limits.push_back({k.key, k.metric, v.get<double>()});
  }
  c.resource_options = pass_options(table, "resources", locate);
  c.ebops_options = pass_options(table, "ebops", locate);
  return c;
}

ConstraintCheck check_hardware_constraints(graph::Graph& g, const HardwareConstraints& c,
                                           passes::PassContext& ctx) {
  ConstraintCheck out;
  // The order constraint_metrics has always been recorded in (log.json stays byte-identical).
  std::vector<std::string> metrics;
  for (const char* m : {"model_size", "params", "flops", "bitops", "luts", "dsps", "bram", "ebops"})
    for (const auto& l : c.limits)
      if (l.metric == m) {
        metrics.push_back(m);
        break;
      }
  passes::HardwareMetricOptions options;
  options.shapes = passes::ShapeSource::kRun;
  options.pass_options["resources"] = c.resource_options;
  options.pass_options["ebops"] = c.ebops_options;
  out.metrics = passes::hardware_metrics(g, metrics, ctx, options);
  for (const auto& l : c.limits) {
    const double v = out.metrics[l.metric].get<double>();
    out.values.push_back(v / l.max_value - 1.0);
    if (v > l.max_value) out.violated[l.key] = Json{{"value", v}, {"limit", l.max_value}};
  }
  return out;
}

}  // namespace chop::space
