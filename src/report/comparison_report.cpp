// The sampler comparison's page: median curves with interquartile bands against trials and
// against wall time, the trials each repeat needed to reach the optimum, and the summary table.
#include <cmath>

#include "core/strings.h"
#include "report/assets.h"
#include "report/chart_util.h"
#include "report/comparison.h"

namespace chop::report {
namespace {

Json number_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

Json sampler_color(const std::vector<std::string>& samplers) {
  static const char* palette[] = {"#4c78a8", "#f58518", "#54a24b", "#e45756",
                                  "#72b7b2", "#b279a2", "#eeca3b", "#9d755d"};
  Json range = Json::array();
  for (size_t i = 0; i < samplers.size(); ++i) range.push_back(palette[i % 8]);
  return {{"field", "sampler"},
          {"type", "nominal"},
          {"title", "sampler"},
          {"scale", {{"domain", samplers}, {"range", range}}}};
}

Figure curve_figure(const std::string& id, const std::string& title, const std::string& x_title,
                    const std::vector<Curve>& curves, const ComparisonData& d,
                    const ComparisonResult& r) {
  Json rows = Json::array();
  for (const auto& c : curves)
    for (size_t i = 0; i < c.x.size(); ++i)
      rows.push_back({{"sampler", c.sampler},
                      {"x", c.x[i]},
                      {"median", number_or_null(c.median[i])},
                      {"q25", number_or_null(c.q25[i])},
                      {"q75", number_or_null(c.q75[i])}});
  const Json x = {{"field", "x"}, {"type", "quantitative"}, {"title", x_title}};
  const Json y_title = r.measure;
  const Json color = sampler_color(d.samplers);
  // The legend shows the median lines; the bands share their colours without a legend.
  Json band_color = color;
  band_color["legend"] = nullptr;
  Json layers = Json::array();
  layers.push_back({{"name", id + "_band"},
                    {"mark", {{"type", "area"}, {"opacity", 0.18}, {"interpolate", "step-after"}}},
                    {"encoding",
                     {{"x", x},
                      {"y",
                       {{"field", "q25"},
                        {"type", "quantitative"},
                        {"title", y_title},
                        {"scale", {{"zero", false}}}}},
                      {"y2", {{"field", "q75"}}},
                      {"color", band_color}}}});
  layers.push_back({{"name", id + "_median"},
                    {"mark", {{"type", "line"}, {"interpolate", "step-after"}, {"strokeWidth", 2}}},
                    {"encoding",
                     {{"x", x},
                      {"y", {{"field", "median"}, {"type", "quantitative"}, {"title", y_title}}},
                      {"color", color},
                      {"tooltip",
                       {{{"field", "sampler"}},
                        {{"field", "x"}, {"title", x_title}, {"format", ".4~g"}},
                        {{"field", "median"}, {"format", ".5~g"}},
                        {{"field", "q25"}, {"title", "25th percentile"}, {"format", ".5~g"}},
                        {{"field", "q75"}, {"title", "75th percentile"}, {"format", ".5~g"}}}}}}});
  if (std::isfinite(r.optimum))
    layers.push_back({{"name", id + "_optimum"},
                      {"data", {{"values", {{{"optimum", r.optimum}}}}}},
                      {"mark", {{"type", "rule"}, {"strokeDash", {5, 4}}, {"color", "#333"}}},
                      {"encoding",
                       {{"y", {{"field", "optimum"}, {"type", "quantitative"}}},
                        {"tooltip", {{{"field", "optimum"}, {"format", ".6~g"}}}}}}});
  Figure f{id, title,
           "Lines: median over the repeats; bands: 25th to 75th percentile; dashed: the "
           "optimum (" +
               r.optimum_source + ").",
           base_spec(title)};
  f.spec["width"] = 620;
  f.spec["height"] = 320;
  f.spec["data"] = {{"values", rows}};
  f.spec["layer"] = layers;
  return f;
}

}  // namespace

StudyReport build_comparison_report(const ComparisonData& d) {
  const ComparisonResult r = compare_samplers(d);
  StudyReport out;
  Json sections = Json::array();
  auto add_section = [&](const std::string& id, const std::string& title, const std::string& text,
                         std::vector<Figure> figures, const std::vector<std::string>& notes) {
    Json figs = Json::array();
    for (auto& f : figures) {
      figs.push_back({{"id", f.id}, {"title", f.title}, {"caption", f.caption}, {"spec", f.spec}});
      out.figures.push_back(std::move(f));
    }
    sections.push_back({{"id", id},
                        {"title", title},
                        {"text", text},
                        {"notes", notes},
                        {"figures", std::move(figs)}});
  };
  std::vector<std::string> notes;
  if (!std::isfinite(r.optimum))
    notes.push_back("No run has a complete trial yet: there is nothing to compare.");

  const std::string what = r.multi_objective
                               ? "the hypervolume of the Pareto front found so far (one "
                                 "reference point for every run)"
                               : "the best value found so far";
  if (std::isfinite(r.optimum)) {
    add_section("by_trials", "Sample efficiency: against trials",
                "For each sampler, " + what + " after each trial, over its repeats.",
                {curve_figure("comparison_trials", "Against trials", "trials", r.by_trials, d, r)},
                {});
    add_section(
        "by_time", "Against wall time",
        "The same measure against seconds since each run's first trial started.",
        {curve_figure("comparison_time", "Against wall time", "seconds", r.by_seconds, d, r)}, {});
    // Trials to the optimum: one point per repeat that reached it.
    Json rows = Json::array();
    std::vector<std::string> missing;
    for (const auto& o : r.outcomes) {
      for (size_t i = 0; i < o.trials_to_optimum.size(); ++i)
        if (o.trials_to_optimum[i])
          rows.push_back(
              {{"sampler", o.sampler}, {"repeat", i}, {"trials", *o.trials_to_optimum[i]}});
      if (o.n_reached < o.n_repeats)
        missing.push_back(o.sampler + ": " + std::to_string(o.n_repeats - o.n_reached) + " of " +
                          std::to_string(o.n_repeats) + " repeats never reached it");
    }
    std::vector<Figure> figs;
    if (!rows.empty()) {
      Figure f{"trials_to_optimum", "Trials to reach the optimum",
               "One point per repeat; the tick is the median.", base_spec("Trials to the optimum")};
      f.spec["width"] = 620;
      f.spec["height"] = {{"step", 28}};
      f.spec["data"] = {{"values", rows}};
      const Json y = {
          {"field", "sampler"}, {"type", "nominal"}, {"sort", d.samplers}, {"title", nullptr}};
      const Json xq = {
          {"field", "trials"}, {"type", "quantitative"}, {"title", "trials until the optimum"}};
      f.spec["layer"] = {
          {{"name", "repeats"},
           {"mark", {{"type", "point"}, {"filled", true}, {"size", 70}, {"opacity", 0.8}}},
           {"encoding",
            {{"x", xq},
             {"y", y},
             {"color", sampler_color(d.samplers)},
             {"tooltip", {{{"field", "sampler"}}, {{"field", "repeat"}}, {{"field", "trials"}}}}}}},
          {{"name", "medians"},
           {"mark", {{"type", "tick"}, {"color", "#222"}, {"thickness", 2}}},
           {"encoding",
            {{"x", {{"aggregate", "median"}, {"field", "trials"}, {"type", "quantitative"}}},
             {"y", y}}}}};
      figs.push_back(std::move(f));
    }
    add_section("to_optimum", "Trials to the optimum",
                "How many trials each repeat needed before its " +
                    std::string(r.multi_objective ? "hypervolume" : "best value") +
                    " reached the optimum: " + r.optimum_source + ".",
                std::move(figs), missing);
  }

  // The summary table (sortable on the page).
  Json columns = Json::array();
  for (const auto& [title, type] : std::vector<std::pair<std::string, const char*>>{
           {"sampler", "text"},
           {"repeats", "number"},
           {"trials to optimum (median)", "number"},
           {"per repeat", "text"},
           {"reached", "text"},
           {"final " + r.measure + " (median)", "number"},
           {"trials (median)", "number"},
           {"seconds (median)", "number"}})
    columns.push_back({{"title", title}, {"type", type}});
  Json table_rows = Json::array();
  for (const auto& o : r.outcomes) {
    std::vector<std::string> per;
    for (const auto& t : o.trials_to_optimum) per.push_back(t ? std::to_string(*t) : "-");
    table_rows.push_back({o.sampler, o.n_repeats, number_or_null(o.median_trials_to_optimum),
                          join(per, ", "),
                          std::to_string(o.n_reached) + "/" + std::to_string(o.n_repeats),
                          number_or_null(o.median_final), number_or_null(o.median_trials),
                          number_or_null(o.median_seconds)});
  }

  size_t repeats = 0;
  for (const auto& o : r.outcomes) repeats = std::max(repeats, o.n_repeats);
  std::vector<std::string> objectives;
  for (size_t k = 0; k < d.directions.size(); ++k)
    objectives.push_back(d.objective_names[k] + " (" + search::to_string(d.directions[k]) + ")");
  Json facts = Json::array();
  facts.push_back({"Comparison", d.group});
  facts.push_back({"Storage", d.storage});
  facts.push_back({d.directions.size() > 1 ? "Objectives" : "Objective", join(objectives, ", ")});
  facts.push_back({"Samplers", join(d.samplers, ", ") + " (" + std::to_string(repeats) +
                                   " repeats each, " + std::to_string(d.runs.size()) +
                                   " studies)"});
  if (std::isfinite(r.optimum))
    facts.push_back(
        {"Optimum", short_number(r.optimum) + " " + r.measure + ": " + r.optimum_source});
  if (r.hv_reference) {
    std::vector<std::string> ref;
    for (size_t k = 0; k < d.directions.size(); ++k)
      ref.push_back(d.objective_names[k] + " " +
                    short_number(search::loss_sign(d.directions[k]) * (*r.hv_reference)[k]));
    facts.push_back({"Reference point", join(ref, ", ")});
  }
  size_t n_trials = 0;
  for (const auto& run : d.runs) n_trials += run.study.trials.size();
  out.model = {{"kind", "comparison"},
               {"title", "Sampler comparison " + d.group},
               {"subtitle", d.storage},
               {"facts", facts},
               {"notes", notes},
               {"sections", std::move(sections)},
               {"table", {{"title", "Samplers"}, {"columns", columns}, {"rows", table_rows}}},
               {"generator", "chop report; charts: " + charting_libraries()},
               {"state", {{"n_trials", n_trials}, {"signature", std::to_string(n_trials)}}}};
  return out;
}

}  // namespace chop::report
