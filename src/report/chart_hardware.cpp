// Hardware cost against accuracy: each numeric hardware metric a trial recorded (average bit
// width, BitOPs, model size, ...) against its accuracy, one point per trial.
#include <algorithm>
#include <cmath>
#include <functional>

#include "report/chart_util.h"

namespace chop::report {
namespace {

// The accuracy-like metric to plot against: software_metrics.accuracy, else the first software
// metric, else the first objective.
std::pair<std::string, std::function<double(const search::FrozenTrial&)>> quality_metric(
    const ReportContext& ctx) {
  for (const auto& t : ctx.study.trials) {
    if (!t.user_attrs.contains("software_metrics")) continue;
    auto leaves = numeric_leaves(t.user_attrs["software_metrics"]);
    if (leaves.empty()) continue;
    std::string name = leaves.front().first;
    for (const auto& [k, v] : leaves)
      if (k == "accuracy") name = k;
    return {name, [name](const search::FrozenTrial& tr) -> double {
              if (!tr.user_attrs.contains("software_metrics")) return NAN;
              for (const auto& [k, v] : numeric_leaves(tr.user_attrs["software_metrics"]))
                if (k == name) return v;
              return NAN;
            }};
  }
  return {ctx.study.objective_names[0], [](const search::FrozenTrial& tr) -> double {
            return tr.values.empty() ? NAN : tr.values[0];
          }};
}

}  // namespace

Section hardware_section(const ReportContext& ctx) {
  Section s{"hardware",
            "Hardware cost against accuracy",
            "Each hardware metric the trials recorded (hardware runners: bit width, BitOPs, "
            "model size, ...) against the trial's accuracy.",
            {},
            {}};
  // Metric names in first-seen order.
  std::vector<std::string> metrics;
  for (const auto& t : ctx.study.trials)
    if (t.user_attrs.contains("hardware_metrics"))
      for (const auto& [k, v] : numeric_leaves(t.user_attrs["hardware_metrics"]))
        if (std::find(metrics.begin(), metrics.end(), k) == metrics.end()) metrics.push_back(k);
  if (metrics.empty()) {
    s.notes.push_back("No trial recorded hardware metrics (add a [search.strategy.hw_runner]).");
    return s;
  }
  auto [quality_name, quality] = quality_metric(ctx);
  Json rows = Json::array();
  for (size_t i = 0; i < ctx.study.trials.size(); ++i) {
    const auto& t = ctx.study.trials[i];
    const double q = quality(t);
    if (!std::isfinite(q) || !t.user_attrs.contains("hardware_metrics")) continue;
    Json r = {{"number", t.number}, {"category", ctx.summary.category[i]}, {"quality", q}};
    for (const auto& [k, v] : numeric_leaves(t.user_attrs["hardware_metrics"])) {
      const auto m = std::find(metrics.begin(), metrics.end(), k) - metrics.begin();
      r["h" + std::to_string(m)] = v;
    }
    rows.push_back(std::move(r));
  }
  if (rows.empty()) {
    s.notes.push_back("No trial has both hardware metrics and " + quality_name + ".");
    return s;
  }
  Json panels = Json::array();
  const Json color = category_color(categories_in(rows));
  for (size_t m = 0; m < metrics.size(); ++m) {
    const std::string field = "h" + std::to_string(m);
    panels.push_back(
        {{"name", "hardware_" + std::to_string(m)},
         {"width", 260},
         {"height", 220},
         {"transform", {{{"filter", "isValid(datum." + field + ")"}}}},
         {"mark", {{"type", "point"}, {"filled", true}, {"size", 45}, {"opacity", 0.85}}},
         {"encoding",
          {{"x",
            {{"field", field},
             {"type", "quantitative"},
             {"title", metrics[m]},
             {"scale", {{"zero", false}}}}},
           {"y",
            {{"field", "quality"},
             {"type", "quantitative"},
             {"title", quality_name},
             {"scale", {{"zero", false}}}}},
           {"color", color},
           {"tooltip",
            {{{"field", "number"}, {"title", "trial"}},
             {{"field", "category"}, {"title", "state"}},
             {{"field", field}, {"title", metrics[m]}, {"format", ".4~g"}},
             {{"field", "quality"}, {"title", quality_name}, {"format", ".4~g"}}}}}}});
  }
  Figure f{"hardware", "Hardware cost against " + quality_name, "One panel per hardware metric.",
           base_spec("Hardware cost against " + quality_name)};
  f.spec["data"] = {{"values", rows}};
  if (panels.size() == 1) {
    for (auto it = panels[0].begin(); it != panels[0].end(); ++it) f.spec[it.key()] = it.value();
  } else {
    f.spec["concat"] = panels;
    f.spec["columns"] = 3;
  }
  s.figures.push_back(std::move(f));
  return s;
}

}  // namespace chop::report
