// The Pareto front: every trial with objective values as one point (colour and shape = state:
// front, dominated, infeasible, pruned), the front joined by a line; pairwise projections for
// three or more objectives. Trials without values are counted in a note.
#include <algorithm>

#include "core/strings.h"
#include "report/chart_util.h"

namespace chop::report {
namespace {

Json pair_panel(const ReportContext& ctx, const Json& rows, size_t a, size_t b,
                const std::string& name, int size_px) {
  const Json x = {{"field", obj_field(a)},
                  {"type", "quantitative"},
                  {"title", objective_title(ctx.study, a)},
                  {"scale", {{"zero", false}}}};
  const Json y = {{"field", obj_field(b)},
                  {"type", "quantitative"},
                  {"title", objective_title(ctx.study, b)},
                  {"scale", {{"zero", false}}}};
  // The front in this projection's order (a line through the non-dominated trials).
  Json front = Json::array();
  for (const auto& r : rows)
    if (r["category"] == kFront) front.push_back(r);
  std::sort(front.begin(), front.end(), [&](const Json& p, const Json& q) {
    return p[obj_field(a)].get<double>() < q[obj_field(a)].get<double>();
  });
  Json layers = Json::array();
  if (ctx.study.n_objectives() == 2 && front.size() > 1)
    layers.push_back(
        {{"name", name + "_front"},
         {"data", {{"values", front}}},
         {"mark",
          {{"type", "line"}, {"color", "#d62728"}, {"strokeDash", {4, 3}}, {"opacity", 0.7}}},
         {"encoding", {{"x", x}, {"y", y}, {"order", {{"field", obj_field(a)}}}}}});
  layers.push_back(
      {{"name", name},
       {"data", {{"values", rows}}},
       {"mark", {{"type", "point"}, {"filled", true}, {"size", 60}, {"opacity", 0.85}}},
       {"encoding",
        {{"x", x},
         {"y", y},
         {"color", category_color(categories_in(rows))},
         {"shape", category_shape(categories_in(rows))},
         {"tooltip", trial_tooltip(ctx)}}}});
  return {{"width", size_px}, {"height", size_px}, {"layer", layers}};
}

}  // namespace

Section pareto_section(const ReportContext& ctx) {
  Section s{"pareto",
            "Pareto front",
            "Every trial with objective values, one point each; the non-dominated trials "
            "(complete and within the constraints) form the Pareto front.",
            {},
            {}};
  const size_t n = ctx.study.n_objectives();
  if (n < 2) {
    s.notes.push_back("Single objective: the front is the best trial (see the history).");
    return s;
  }
  Json rows = trial_rows(ctx, true);
  const size_t without = ctx.study.trials.size() - rows.size();
  if (without > 0) {
    size_t infeasible = 0, pruned = 0, failed = 0, unfinished = 0;
    for (size_t i = 0; i < ctx.study.trials.size(); ++i) {
      const auto& t = ctx.study.trials[i];
      if (has_all_values(t, n)) continue;
      const std::string& c = ctx.summary.category[i];
      if (c == kInfeasible)
        ++infeasible;
      else if (c == kPruned)
        ++pruned;
      else if (c == kFailed)
        ++failed;
      else
        ++unfinished;
    }
    std::vector<std::string> parts;
    if (infeasible) parts.push_back(std::to_string(infeasible) + " infeasible (not evaluated)");
    if (pruned) parts.push_back(std::to_string(pruned) + " pruned");
    if (failed) parts.push_back(std::to_string(failed) + " failed");
    if (unfinished) parts.push_back(std::to_string(unfinished) + " unfinished");
    s.notes.push_back(std::to_string(without) + " of " + std::to_string(ctx.study.trials.size()) +
                      " trials have no objective values and are not plotted: " + join(parts, ", ") +
                      ".");
  }
  if (rows.empty()) {
    s.notes.push_back("No trial has values for every objective yet.");
    return s;
  }
  Figure f{"pareto", "Pareto front", "", base_spec("Pareto front")};
  if (n == 2) {
    Json p = pair_panel(ctx, rows, 0, 1, "trials", 460);
    for (auto it = p.begin(); it != p.end(); ++it) f.spec[it.key()] = it.value();
    f.caption = "One point per trial with values; hover for its configuration.";
  } else {
    Json panels = Json::array();
    for (size_t a = 0; a < n; ++a)
      for (size_t b = a + 1; b < n; ++b)
        panels.push_back(pair_panel(ctx, rows, a, b,
                                    "trials_" + std::to_string(a) + "_" + std::to_string(b), 240));
    f.spec["concat"] = panels;
    f.spec["columns"] = std::min<size_t>(3, panels.size());
    f.caption = "Pairwise projections of the " + std::to_string(n) +
                " objectives; Pareto-front trials are non-dominated in all of them together.";
  }
  s.figures.push_back(std::move(f));
  return s;
}

}  // namespace chop::report
