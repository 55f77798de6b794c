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

HardwareConstraints parse_hardware_constraints(
    const Json& table, const std::function<std::string(const std::string&)>& locate) {
  HardwareConstraints c;
  if (table.is_null()) return c;
  if (!table.is_object())
    throw ConfigError(locate(""), "constraints must be a table, e.g. max_model_size = 4096");
  std::vector<std::string> keys;
  for (const auto& k : kKnown) keys.push_back(k.key);
  keys.push_back("resources");
  keys.push_back("ebops");
  for (auto it = table.begin(); it != table.end(); ++it)
    if (std::find(keys.begin(), keys.end(), it.key()) == keys.end())
      throw ConfigError(locate(it.key()), "unknown constraint '" + it.key() + "'" +
                                              did_you_mean(it.key(), keys) + "; expected " +
                                              list_of(keys));
  for (const auto& k : kKnown) {
    if (!table.contains(k.key) || table[k.key].is_null()) continue;
    const Json& v = table[k.key];
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
  if (need("luts") || need("dsps") || need("bram")) {
    const Json total = passes::run_pass("resources", g, c.resource_options, ctx).info["total"];
    for (const char* m : {"luts", "dsps", "bram"})
      if (need(m)) out.metrics[m] = total[m];
  }
  if (need("ebops"))
    out.metrics["ebops"] = passes::run_pass("ebops", g, c.ebops_options, ctx).info["total"];
  for (const auto& l : c.limits) {
    const double v = out.metrics[l.metric].get<double>();
    out.values.push_back(v / l.max_value - 1.0);
    if (v > l.max_value) out.violated[l.key] = Json{{"value", v}, {"limit", l.max_value}};
  }
  return out;
}

}  // namespace chop::space
