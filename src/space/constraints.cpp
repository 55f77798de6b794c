// Hardware budgets checked before training; see constraints.h.
#include "space/constraints.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "passes/registry.h"

namespace chop::space {
namespace {

struct KnownLimit {
  const char* key;
  const char* metric;
};
const KnownLimit kKnown[] = {{"max_bitops", "bitops"},
                             {"max_flops", "flops"},
                             {"max_model_size", "model_size"},
                             {"max_params", "params"}};

}  // namespace

const config::TableDoc& constraints_doc() {
  static const config::TableDoc doc{
      "search.strategy.constraints",
      "hardware budgets checked on each candidate before it is trained (over budget: PRUNED)",
      {{"max_bitops", "number", nullptr, false, "bit operations per batch (positive)"},
       {"max_flops", "number", nullptr, false, "FLOPs per batch (positive)"},
       {"max_model_size", "number", nullptr, false,
        "parameter bytes at each parameter's precision (positive)"},
       {"max_params", "number", nullptr, false, "parameter count (positive)"}}};
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
  return c;
}

ConstraintCheck check_hardware_constraints(graph::Graph& g, const HardwareConstraints& c,
                                           passes::PassContext& ctx) {
  ConstraintCheck out;
  auto need = [&](const char* metric) {
    for (const auto& l : c.limits)
      if (l.metric == metric) return true;
    return false;
  };
  if (need("model_size") || need("params")) {
    auto r = passes::run_pass("model_size", g, Json::object(), ctx);
    if (need("model_size")) out.metrics["model_size"] = r.info["size_bytes"];
    if (need("params")) out.metrics["params"] = r.info["params"];
  }
  if (need("flops") || need("bitops")) {
    passes::run_pass("add_common_metadata", g, Json::object(), ctx);
    for (const char* m : {"flops", "bitops"})
      if (need(m)) out.metrics[m] = passes::run_pass(m, g, Json::object(), ctx).info["total"];
  }
  for (const auto& l : c.limits) {
    const double v = out.metrics[l.metric].get<double>();
    out.values.push_back(v / l.max_value - 1.0);
    if (v > l.max_value) out.violated[l.key] = Json{{"value", v}, {"limit", l.max_value}};
  }
  return out;
}

}  // namespace chop::space
