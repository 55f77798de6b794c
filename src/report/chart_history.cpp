// Optimisation history: every trial's objective value by trial number with the best-so-far
// line (one panel per objective), and for several objectives the front's hypervolume.
#include <cmath>

#include "core/strings.h"
#include "report/chart_util.h"

namespace chop::report {
namespace {

Json history_panel(const ReportContext& ctx, size_t k, const std::string& title) {
  const auto best = best_so_far(ctx.study, k);
  Json rows = trial_rows(ctx, false);
  Json points = Json::array(), line = Json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!rows[i][obj_field(k)].is_null()) points.push_back(rows[i]);
    if (std::isfinite(best[i]))
      line.push_back(
          {{"number", rows[i]["number"]}, {obj_field(k), best[i]}, {"category", "best so far"}});
  }
  std::vector<std::string> present = categories_in(points);
  if (!line.empty()) present.push_back("best so far");
  const Json color = category_color(present);
  const Json x = {{"field", "number"},
                  {"type", "quantitative"},
                  {"title", "trial"},
                  {"axis", {{"tickMinStep", 1}}}};
  const Json y = {{"field", obj_field(k)},
                  {"type", "quantitative"},
                  {"title", objective_title(ctx.study, k)},
                  {"scale", {{"zero", false}}}};
  Json layers = Json::array();
  layers.push_back(
      {{"name", "trials_o" + std::to_string(k)},
       {"data", {{"values", points}}},
       {"mark", {{"type", "point"}, {"filled", true}, {"size", 45}, {"opacity", 0.8}}},
       {"encoding", {{"x", x}, {"y", y}, {"color", color}, {"tooltip", trial_tooltip(ctx)}}}});
  if (!line.empty())
    layers.push_back(
        {{"name", "best_o" + std::to_string(k)},
         {"data", {{"values", line}}},
         {"mark", {{"type", "line"}, {"interpolate", "step-after"}, {"strokeWidth", 2}}},
         {"encoding", {{"x", x}, {"y", y}, {"color", color}}}});
  Json panel = {{"width", 560}, {"height", 260}, {"layer", layers}};
  if (!title.empty()) panel["title"] = title;
  return panel;
}

}  // namespace

Section history_section(const ReportContext& ctx) {
  Section s{"history",
            "Optimisation history",
            "Each trial's objective value in the order the trials ran, and the best value found "
            "so far (complete trials within the constraints).",
            {},
            {}};
  if (!ctx.summary.plottable) {
    s.notes.push_back("No trial has objective values yet.");
    return s;
  }
  const size_t n = ctx.study.n_objectives();
  Figure f{"history", "Optimisation history", "", base_spec("Optimisation history")};
  if (n == 1) {
    Json p = history_panel(ctx, 0, "");
    for (auto it = p.begin(); it != p.end(); ++it) f.spec[it.key()] = it.value();
  } else {
    Json panels = Json::array();
    for (size_t k = 0; k < n; ++k)
      panels.push_back(history_panel(ctx, k, ctx.study.objective_names[k]));
    f.spec["vconcat"] = panels;
    f.spec["resolve"] = {{"scale", {{"color", "independent"}}}};
  }
  f.caption = "Points: trials (colour = state). Line: best so far.";
  s.figures.push_back(std::move(f));

  if (n > 1 && ctx.summary.hv_reference) {
    const auto hv = hypervolume_history(ctx.study, *ctx.summary.hv_reference);
    Json rows = Json::array();
    for (size_t i = 0; i < hv.size(); ++i)
      rows.push_back({{"number", ctx.study.trials[i].number}, {"hypervolume", hv[i]}});
    std::vector<std::string> ref;
    for (size_t k = 0; k < n; ++k)
      ref.push_back(ctx.study.objective_names[k] + " " +
                    short_number(search::loss_sign(ctx.study.directions[k]) *
                                 (*ctx.summary.hv_reference)[k]));
    Figure h{"hypervolume", "Hypervolume history",
             "Hypervolume of the Pareto front found so far, against the reference point (" +
                 join(ref, ", ") +
                 "): the worst value of each objective moved 10% of its range "
                 "further.",
             base_spec("Hypervolume of the front so far")};
    h.spec["width"] = 560;
    h.spec["height"] = 220;
    h.spec["data"] = {{"values", rows}};
    h.spec["mark"] = {
        {"type", "line"}, {"interpolate", "step-after"}, {"color", "#9467bd"}, {"point", true}};
    h.spec["encoding"] = {
        {"x", {{"field", "number"}, {"type", "quantitative"}, {"title", "trial"}}},
        {"y", {{"field", "hypervolume"}, {"type", "quantitative"}, {"title", "hypervolume"}}},
        {"tooltip",
         {{{"field", "number"}, {"title", "trial"}},
          {{"field", "hypervolume"}, {"format", ".5~g"}}}}};
    s.figures.push_back(std::move(h));
  }
  return s;
}

}  // namespace chop::report
