// Parameter importance (fANOVA over a random forest, as Optuna): one bar per parameter and
// objective.
#include "core/strings.h"
#include "report/chart_util.h"

namespace chop::report {

Section importance_section(const ReportContext& ctx) {
  Section s{"importance",
            "Parameter importance",
            "Share of the objective's variance each parameter explains on its own: fANOVA over a "
            "random forest of 64 trees fitted to the complete trials, as Optuna's "
            "FanovaImportanceEvaluator computes it (docs/report.md). Interactions are not "
            "shown, so the shares of weakly separable objectives sum to less than the truth.",
            {},
            {}};
  Json panels = Json::array();
  for (size_t k = 0; k < ctx.importances.size(); ++k) {
    const auto& imp = ctx.importances[k];
    if (imp.params.empty() || !imp.note.empty()) {
      s.notes.push_back(ctx.study.objective_names[k] + ": importance " +
                        (imp.note.empty() ? "not available" : imp.note) + ".");
      if (imp.params.empty()) continue;
    }
    // Parameters with one possible value explain nothing: left out of the bars.
    Json rows = Json::array();
    std::vector<std::string> order;
    for (const auto& p : imp.params) {
      bool single = true;
      for (const auto& a : ctx.params) single &= a.name != p.param;
      if (single) continue;
      rows.push_back({{"param", p.param}, {"importance", p.importance}});
      order.push_back(p.param);
    }
    if (rows.empty()) continue;
    panels.push_back(
        {{"name", "importance_o" + std::to_string(k)},
         {"title", objective_title(ctx.study, k) + ", " + std::to_string(imp.n_trials) + " trials"},
         {"width", 420},
         {"height", {{"step", 18}}},
         {"data", {{"values", rows}}},
         {"mark", {{"type", "bar"}, {"color", "#4c78a8"}}},
         {"encoding",
          {{"y", {{"field", "param"}, {"type", "nominal"}, {"sort", order}, {"title", nullptr}}},
           {"x",
            {{"field", "importance"},
             {"type", "quantitative"},
             {"title", "importance (share of variance)"},
             {"scale", {{"domain", {0, 1}}}}}},
           {"tooltip", {{{"field", "param"}}, {{"field", "importance"}, {"format", ".3f"}}}}}}});
  }
  if (panels.empty()) return s;
  Figure f{"importance", "Parameter importance", "fANOVA importance, normalised per objective.",
           base_spec("Parameter importance (fANOVA)")};
  if (panels.size() == 1) {
    for (auto it = panels[0].begin(); it != panels[0].end(); ++it) f.spec[it.key()] = it.value();
    f.spec["title"] = {
        {"text", "Parameter importance (fANOVA): " + panels[0]["title"].get<std::string>()},
        {"anchor", "start"}};
  } else {
    f.spec["vconcat"] = panels;
  }
  s.figures.push_back(std::move(f));
  return s;
}

}  // namespace chop::report
