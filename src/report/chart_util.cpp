// Shared Vega-Lite pieces; see chart_util.h.
#include "report/chart_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "core/strings.h"

namespace chop::report {
namespace {

struct CategoryStyle {
  const char* name;
  const char* color;
  const char* shape;
};

// Legend order and colours (Tableau 10, which colour-blind readers tell apart best).
const std::vector<CategoryStyle>& styles() {
  static const std::vector<CategoryStyle> table = {
      {kFront, "#d62728", "diamond"},       {kBest, "#d62728", "diamond"},
      {kDominated, "#1f77b4", "circle"},    {kPruned, "#ff7f0e", "triangle-up"},
      {kInfeasible, "#7f7f7f", "cross"},    {kFailed, "#000000", "square"},
      {kRunning, "#2ca02c", "circle"},      {kWaiting, "#bcbd22", "circle"},
      {"best so far", "#e377c2", "stroke"}, {"hypervolume", "#9467bd", "stroke"},
  };
  return table;
}

Json number_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

}  // namespace

Json base_spec(const std::string& title) {
  Json s = Json::object();
  s["$schema"] = "https://vega.github.io/schema/vega-lite/v5.json";
  s["title"] = {{"text", title}, {"anchor", "start"}, {"fontSize", 14}};
  s["background"] = "white";
  s["config"] = {{"font", "sans-serif"},
                 {"view", {{"stroke", "#ddd"}}},
                 {"axis", {{"labelFontSize", 11}, {"titleFontSize", 12}}},
                 {"legend", {{"labelFontSize", 11}, {"titleFontSize", 12}}}};
  return s;
}

namespace {

// The trial-category scale of one channel: each present category and its `style_field`.
Json category_scale(const std::vector<std::string>& present,
                    const char* CategoryStyle::*style_field) {
  Json domain = Json::array(), range = Json::array();
  for (const auto& st : styles())
    if (std::find(present.begin(), present.end(), st.name) != present.end()) {
      domain.push_back(st.name);
      range.push_back(st.*style_field);
    }
  return {{"field", "category"},
          {"type", "nominal"},
          {"title", "trial"},
          {"scale", {{"domain", domain}, {"range", range}}}};
}

}  // namespace

Json category_color(const std::vector<std::string>& present) {
  return category_scale(present, &CategoryStyle::color);
}

Json category_shape(const std::vector<std::string>& present) {
  return category_scale(present, &CategoryStyle::shape);
}

std::vector<std::string> categories_in(const Json& rows) {
  std::set<std::string> seen;
  for (const auto& r : rows)
    if (r.contains("category")) seen.insert(r["category"].get<std::string>());
  std::vector<std::string> out;
  for (const auto& st : styles())
    if (seen.count(st.name)) out.push_back(st.name);
  return out;
}

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string obj_field(size_t k) {
  return "o" + std::to_string(k);
}
std::string param_field(size_t j) {
  return "p" + std::to_string(j);
}

std::string objective_title(const StudyData& study, size_t k) {
  return study.objective_names.at(k) + " (" + search::to_string(study.directions.at(k)) + ")";
}

std::string choice_text(const Json& choice) {
  return choice.is_string() ? choice.get<std::string>() : choice.dump();
}

Json param_value(const ParamAxis& axis, const search::FrozenTrial& t) {
  auto it = t.params.find(axis.name);
  if (it == t.params.end()) return nullptr;
  if (axis.by_choice()) {
    const auto idx = static_cast<size_t>(it->second);
    return idx < axis.choices.size() ? Json(axis.choices[idx]) : Json(nullptr);
  }
  return number_or_null(it->second);
}

Json trial_rows(const ReportContext& ctx, bool only_plottable) {
  Json rows = Json::array();
  const auto& trials = ctx.study.trials;
  for (size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    if (only_plottable && !has_all_values(t, ctx.study.n_objectives())) continue;
    Json r = Json::object();
    r["number"] = t.number;
    r["state"] = search::to_string(t.state);
    r["category"] = ctx.summary.category[i];
    for (size_t k = 0; k < ctx.study.n_objectives(); ++k)
      r[obj_field(k)] = k < t.values.size() ? number_or_null(t.values[k]) : Json(nullptr);
    for (size_t j = 0; j < ctx.params.size(); ++j)
      r[param_field(j)] = param_value(ctx.params[j], t);
    for (const char* group : {"software_metrics", "hardware_metrics"})
      if (t.user_attrs.contains(group))
        for (const auto& [name, v] : numeric_leaves(t.user_attrs[group])) {
          const auto m =
              std::find(ctx.metrics.begin(), ctx.metrics.end(), std::string(group) + "." + name);
          if (m != ctx.metrics.end())
            r["m" + std::to_string(m - ctx.metrics.begin())] = number_or_null(v);
        }
    rows.push_back(std::move(r));
  }
  return rows;
}

Json trial_tooltip(const ReportContext& ctx) {
  Json tt = Json::array();
  tt.push_back({{"field", "number"}, {"type", "quantitative"}, {"title", "trial"}});
  tt.push_back({{"field", "category"}, {"type", "nominal"}, {"title", "state"}});
  for (size_t k = 0; k < ctx.study.n_objectives(); ++k)
    tt.push_back({{"field", obj_field(k)},
                  {"type", "quantitative"},
                  {"title", ctx.study.objective_names[k]},
                  {"format", ".4~g"}});
  for (size_t j = 0; j < ctx.params.size(); ++j)
    tt.push_back({{"field", param_field(j)},
                  {"type", ctx.params[j].by_choice() ? "nominal" : "quantitative"},
                  {"title", ctx.params[j].name}});
  for (size_t i = 0; i < ctx.metrics.size(); ++i)
    tt.push_back({{"field", "m" + std::to_string(i)},
                  {"type", "quantitative"},
                  {"title", ctx.metrics[i]},
                  {"format", ".4~g"}});
  return tt;
}

Json param_encoding(const ReportContext& ctx, size_t j) {
  const ParamAxis& a = ctx.params[j];
  Json e = {{"field", param_field(j)}, {"title", a.name}};
  if (a.by_choice()) {
    e["type"] = "ordinal";
    e["sort"] = a.choices;
    e["scale"] = {{"domain", a.choices}};
  } else {
    e["type"] = "quantitative";
    Json scale = {{"domain", {a.dist.low(), a.dist.high()}}};
    if (a.dist.log())
      scale["type"] = "log";
    else
      scale["zero"] = false;
    e["scale"] = scale;
  }
  return e;
}

ReportContext::ReportContext(const StudyData& s, const StudySummary& sum,
                             const std::vector<ObjectiveImportance>& imp)
    : study(s), summary(sum), importances(imp) {
  std::map<std::string, search::Distribution> seen;
  for (const auto& t : s.trials)
    for (const auto& [name, dist] : t.distributions) seen.emplace(name, dist);
  const Json* recorded =
      s.user_attrs.contains("chop:param_choices") && s.user_attrs["chop:param_choices"].is_object()
          ? &s.user_attrs["chop:param_choices"]
          : nullptr;
  for (const auto& [name, dist] : seen) {
    if (dist.single()) {
      ++n_single_params;
      continue;
    }
    ParamAxis a{name, dist, {}};
    if (dist.is_categorical()) {
      for (const auto& c : dist.choices()) a.choices.push_back(choice_text(c));
    } else if (recorded && recorded->contains(name) && (*recorded)[name].is_array() &&
               dist.is_int() && dist.low() == 0 && dist.step() == 1 &&
               dist.high() + 1 == static_cast<double>((*recorded)[name].size())) {
      for (const auto& c : (*recorded)[name]) a.choices.push_back(choice_text(c));
    }
    params.push_back(std::move(a));
  }
  for (const auto& t : s.trials)
    for (const char* group : {"software_metrics", "hardware_metrics"})
      if (t.user_attrs.contains(group))
        for (const auto& [name, v] : numeric_leaves(t.user_attrs[group])) {
          const std::string full = std::string(group) + "." + name;
          if (metrics.size() < 12 &&
              std::find(metrics.begin(), metrics.end(), full) == metrics.end())
            metrics.push_back(full);
        }
}

}  // namespace chop::report
