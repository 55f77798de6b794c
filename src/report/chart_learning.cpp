// Intermediate values (learning curves): what each training trial reported per step, the
// pruned trials marked where they were stopped.
#include <cmath>

#include "report/chart_util.h"

namespace chop::report {

Section learning_section(const ReportContext& ctx) {
  Section s{"learning",
            "Learning curves (intermediate values)",
            "The value each trial reported at every step (training runners report one per "
            "epoch); this is what pruners compare. Pruned trials end with a cross where they "
            "were stopped.",
            {},
            {}};
  Json lines = Json::array(), ends = Json::array();
  for (size_t i = 0; i < ctx.study.trials.size(); ++i) {
    const auto& t = ctx.study.trials[i];
    for (const auto& [step, value] : t.intermediate_values)
      if (std::isfinite(value))
        lines.push_back({{"number", t.number},
                         {"step", step},
                         {"value", value},
                         {"category", ctx.summary.category[i]}});
    if (t.state == search::TrialState::kPruned && !t.intermediate_values.empty()) {
      const auto& [step, value] = *t.intermediate_values.rbegin();
      if (std::isfinite(value))
        ends.push_back({{"number", t.number},
                        {"step", step},
                        {"value", value},
                        {"category", ctx.summary.category[i]}});
    }
  }
  if (lines.empty()) {
    s.notes.push_back(
        "No trial reported intermediate values (only training runners report "
        "them, once per epoch).");
    return s;
  }
  const Json color = category_color(categories_in(lines));
  const Json x = {{"field", "step"},
                  {"type", "quantitative"},
                  {"title", "step (epoch)"},
                  {"axis", {{"tickMinStep", 1}}}};
  const Json y = {{"field", "value"},
                  {"type", "quantitative"},
                  {"title", "intermediate value"},
                  {"scale", {{"zero", false}}}};
  const Json tooltip = {{{"field", "number"}, {"title", "trial"}},
                        {{"field", "category"}, {"title", "state"}},
                        {{"field", "step"}},
                        {{"field", "value"}, {"format", ".4~g"}}};
  Json layers = Json::array();
  layers.push_back({{"name", "curves"},
                    {"data", {{"values", lines}}},
                    {"mark", {{"type", "line"}, {"point", true}, {"opacity", 0.7}}},
                    {"encoding",
                     {{"x", x},
                      {"y", y},
                      {"detail", {{"field", "number"}, {"type", "nominal"}}},
                      {"color", color},
                      {"tooltip", tooltip}}}});
  if (!ends.empty())
    layers.push_back({{"name", "pruned_at"},
                      {"data", {{"values", ends}}},
                      {"mark",
                       {{"type", "point"},
                        {"shape", "cross"},
                        {"size", 120},
                        {"filled", true},
                        {"color", "#ff7f0e"}}},
                      {"encoding", {{"x", x}, {"y", y}, {"tooltip", tooltip}}}});
  Figure f{"learning", "Learning curves", "One line per trial that reported intermediate values.",
           base_spec("Intermediate values")};
  f.spec["width"] = 560;
  f.spec["height"] = 300;
  f.spec["layer"] = layers;
  s.figures.push_back(std::move(f));
  return s;
}

}  // namespace chop::report
