// Parameters against objectives: slice plots (each parameter's values against each objective)
// and parallel coordinates (every parameter and objective as an axis, one line per trial).
#include <algorithm>
#include <cmath>

#include "core/strings.h"
#include "report/chart_util.h"

namespace chop::report {
namespace {

// Position of a value on a parallel-coordinates axis, in [0, 1].
double axis_position(const ParamAxis& a, double internal) {
  const auto& d = a.dist;
  if (a.by_choice())
    return a.choices.size() > 1 ? internal / static_cast<double>(a.choices.size() - 1) : 0.5;
  if (d.high() <= d.low()) return 0.5;
  if (d.log() && d.low() > 0)
    return (std::log(internal) - std::log(d.low())) / (std::log(d.high()) - std::log(d.low()));
  return (internal - d.low()) / (d.high() - d.low());
}

}  // namespace

Section slice_section(const ReportContext& ctx) {
  Section s{"slice",
            "Parameters against objectives (slice plots)",
            "Each parameter's value against each objective, one point per trial (colour: trial "
            "number, darker = later), to show which values the good trials share.",
            {},
            {}};
  if (ctx.n_single_params > 0)
    s.notes.push_back(std::to_string(ctx.n_single_params) +
                      " parameters with a single possible value are not shown.");
  if (ctx.params.empty()) {
    s.notes.push_back("The trials have no parameter with more than one value.");
    return s;
  }
  if (!ctx.summary.plottable) {
    s.notes.push_back("No trial has objective values yet.");
    return s;
  }
  const size_t n_obj = ctx.study.n_objectives();
  Json rows = trial_rows(ctx, false);
  Json with_values = Json::array();
  for (const auto& r : rows) {
    bool any = false;
    for (size_t k = 0; k < n_obj; ++k) any |= !r[obj_field(k)].is_null();
    if (any) with_values.push_back(r);
  }
  Json objective_rows = Json::array();
  for (size_t k = 0; k < n_obj; ++k) {
    Json panels = Json::array();
    for (size_t j = 0; j < ctx.params.size(); ++j)
      panels.push_back(
          {{"name", "slice_o" + std::to_string(k) + "_p" + std::to_string(j)},
           {"width", 200},
           {"height", 160},
           {"transform",
            {{{"filter",
               "isValid(datum." + obj_field(k) + ") && isValid(datum." + param_field(j) + ")"}}}},
           {"mark", {{"type", "point"}, {"filled", true}, {"size", 35}, {"opacity", 0.8}}},
           {"encoding",
            {{"x", param_encoding(ctx, j)},
             {"y",
              {{"field", obj_field(k)},
               {"type", "quantitative"},
               {"title", objective_title(ctx.study, k)},
               {"scale", {{"zero", false}}}}},
             {"color",
              {{"field", "number"},
               {"type", "quantitative"},
               {"title", "trial"},
               {"scale", {{"scheme", "blues"}}}}},
             {"tooltip", trial_tooltip(ctx)}}}});
    objective_rows.push_back({{"concat", panels}, {"columns", 4}});
  }
  Figure f{"slice", "Slice plots", "Rows: objectives; panels: parameters.",
           base_spec("Parameters against objectives")};
  f.spec["data"] = {{"values", with_values}};
  if (n_obj == 1) {
    f.spec["concat"] = objective_rows[0]["concat"];
    f.spec["columns"] = 4;
  } else {
    f.spec["vconcat"] = objective_rows;
  }
  s.figures.push_back(std::move(f));
  return s;
}

Section parallel_section(const ReportContext& ctx) {
  Section s{"parallel",
            "Parallel coordinates",
            "Every parameter and objective as a vertical axis (bottom: low end of its range or "
            "first choice), one line per complete trial, coloured by the first objective.",
            {},
            {}};
  const size_t n_obj = ctx.study.n_objectives();
  std::vector<size_t> idx;
  for (size_t i = 0; i < ctx.study.trials.size(); ++i)
    if (ctx.study.trials[i].state == search::TrialState::kComplete &&
        has_all_values(ctx.study.trials[i], n_obj))
      idx.push_back(i);
  if (idx.size() < 2 || ctx.params.empty()) {
    s.notes.push_back("Needs at least two complete trials with parameters.");
    return s;
  }
  std::vector<double> lo(n_obj, INFINITY), hi(n_obj, -INFINITY);
  for (size_t i : idx)
    for (size_t k = 0; k < n_obj; ++k) {
      lo[k] = std::min(lo[k], ctx.study.trials[i].values[k]);
      hi[k] = std::max(hi[k], ctx.study.trials[i].values[k]);
    }
  Json lines = Json::array(), labels = Json::array();
  std::vector<std::string> axes;
  for (const auto& p : ctx.params) axes.push_back(p.name);
  for (size_t k = 0; k < n_obj; ++k) axes.push_back(ctx.study.objective_names[k]);
  for (size_t i : idx) {
    const auto& t = ctx.study.trials[i];
    for (size_t j = 0; j < ctx.params.size(); ++j) {
      auto it = t.params.find(ctx.params[j].name);
      if (it == t.params.end()) continue;
      lines.push_back({{"number", t.number},
                       {"axis", axes[j]},
                       {"axis_index", j},
                       {"pos", axis_position(ctx.params[j], it->second)},
                       {"value", param_value(ctx.params[j], t)},
                       {"colour", t.values[0]}});
    }
    for (size_t k = 0; k < n_obj; ++k)
      lines.push_back({{"number", t.number},
                       {"axis", axes[ctx.params.size() + k]},
                       {"axis_index", ctx.params.size() + k},
                       {"pos", hi[k] > lo[k] ? (t.values[k] - lo[k]) / (hi[k] - lo[k]) : 0.5},
                       {"value", short_number(t.values[k])},
                       {"colour", t.values[0]}});
  }
  // Axis end labels: range ends of numeric axes, every choice of categorical ones.
  for (size_t j = 0; j < ctx.params.size(); ++j) {
    const auto& a = ctx.params[j];
    if (a.by_choice()) {
      for (size_t c = 0; c < a.choices.size(); ++c)
        labels.push_back({{"axis", axes[j]},
                          {"pos", axis_position(a, static_cast<double>(c))},
                          {"label", a.choices[c]}});
    } else {
      labels.push_back({{"axis", axes[j]}, {"pos", 0.0}, {"label", short_number(a.dist.low())}});
      labels.push_back({{"axis", axes[j]}, {"pos", 1.0}, {"label", short_number(a.dist.high())}});
    }
  }
  for (size_t k = 0; k < n_obj; ++k) {
    const std::string& ax = axes[ctx.params.size() + k];
    labels.push_back({{"axis", ax}, {"pos", 0.0}, {"label", short_number(lo[k])}});
    labels.push_back({{"axis", ax}, {"pos", 1.0}, {"label", short_number(hi[k])}});
  }
  const Json x = {{"field", "axis"},
                  {"type", "nominal"},
                  {"sort", axes},
                  {"title", nullptr},
                  {"axis", {{"labelAngle", -30}, {"labelLimit", 160}}}};
  const Json y = {{"field", "pos"},
                  {"type", "quantitative"},
                  {"axis", nullptr},
                  {"scale", {{"domain", {0, 1}}}}};
  Json layers = Json::array();
  layers.push_back({{"name", "parallel_axes"},
                    {"data", {{"values", labels}}},
                    {"mark", {{"type", "rule"}, {"color", "#bbb"}}},
                    {"encoding", {{"x", x}}}});
  layers.push_back({{"name", "parallel_lines"},
                    {"data", {{"values", lines}}},
                    {"mark", {{"type", "line"}, {"strokeWidth", 1.2}, {"opacity", 0.6}}},
                    {"encoding",
                     {{"x", x},
                      {"y", y},
                      {"detail", {{"field", "number"}, {"type", "nominal"}}},
                      {"color",
                       {{"field", "colour"},
                        {"type", "quantitative"},
                        {"title", ctx.study.objective_names[0]},
                        {"scale", {{"scheme", "viridis"}}}}},
                      {"tooltip",
                       {{{"field", "number"}, {"title", "trial"}},
                        {{"field", "axis"}},
                        {{"field", "value"}}}}}}});
  layers.push_back(
      {{"name", "parallel_labels"},
       {"data", {{"values", labels}}},
       {"mark",
        {{"type", "text"}, {"align", "left"}, {"dx", 4}, {"fontSize", 10}, {"color", "#444"}}},
       {"encoding", {{"x", x}, {"y", y}, {"text", {{"field", "label"}}}}}});
  Figure f{"parallel", "Parallel coordinates", "One line per complete trial.",
           base_spec("Parallel coordinates")};
  f.spec["width"] = std::max<size_t>(480, 90 * axes.size());
  f.spec["height"] = 300;
  f.spec["layer"] = layers;
  s.figures.push_back(std::move(f));
  return s;
}

}  // namespace chop::report
