// Study -> fANOVA inputs (Optuna's intersection search space and one-hot encoding); see
// importance.h.
#include "report/importance.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "report/fanova.h"
#include "report/study_summary.h"

namespace chop::report {

ObjectiveImportance param_importance(
    const std::vector<search::FrozenTrial>& trials,
    const std::function<double(const search::FrozenTrial&)>& target,
    const ImportanceOptions& options) {
  ObjectiveImportance out;
  std::vector<const search::FrozenTrial*> used;
  std::vector<double> y;
  for (const auto& t : trials) {
    if (t.state != search::TrialState::kComplete || is_infeasible(t)) continue;
    const double v = target(t);
    if (!std::isfinite(v)) continue;
    used.push_back(&t);
    y.push_back(v);
  }
  out.n_trials = used.size();
  if (used.size() < 2) {
    out.note = "needs at least two complete trials (has " + std::to_string(used.size()) + ")";
    return out;
  }
  // Optuna's intersection search space: parameters every trial has, with one distribution.
  std::map<std::string, search::Distribution> space(used.front()->distributions.begin(),
                                                    used.front()->distributions.end());
  for (const auto* t : used)
    for (auto it = space.begin(); it != space.end();) {
      auto d = t->distributions.find(it->first);
      it = d == t->distributions.end() || d->second != it->second ? space.erase(it) : std::next(it);
    }
  std::vector<std::string> names, constant;
  for (const auto& [name, dist] : space) (dist.single() ? constant : names).push_back(name);
  if (names.empty()) {
    out.note = "no parameter takes more than one value in every complete trial";
    for (const auto& n : constant) out.params.push_back({n, 0.0});
    return out;
  }

  // Columns: one per numeric parameter, one per choice of a categorical one.
  std::vector<std::pair<double, double>> bounds;
  std::vector<std::vector<int>> groups;
  for (const auto& name : names) {
    const auto& dist = space.at(name);
    std::vector<int> cols;
    if (dist.is_categorical()) {
      for (size_t c = 0; c < dist.choices().size(); ++c) {
        cols.push_back(static_cast<int>(bounds.size()));
        bounds.emplace_back(0.0, 1.0);
      }
    } else {
      cols.push_back(static_cast<int>(bounds.size()));
      bounds.emplace_back(dist.low(), dist.high());
    }
    groups.push_back(std::move(cols));
  }
  const size_t d = bounds.size();
  std::vector<double> x(used.size() * d, 0.0);
  for (size_t r = 0; r < used.size(); ++r)
    for (size_t p = 0; p < names.size(); ++p) {
      const double v = used[r]->params.at(names[p]);
      if (space.at(names[p]).is_categorical())
        x[r * d + static_cast<size_t>(groups[p][static_cast<size_t>(v)])] = 1.0;
      else
        x[r * d + static_cast<size_t>(groups[p][0])] = v;
    }

  ForestOptions fo;
  fo.n_trees = options.n_trees;
  fo.max_depth = options.max_depth;
  fo.seed = options.seed;
  const auto forest = fit_random_forest(x, d, y, fo);
  std::vector<double> imp = fanova_importances(forest, bounds, groups);
  double total = 0;
  for (double v : imp) total += v;
  if (imp.empty() || !(total > 0)) {
    out.note = "the objective does not vary with the parameters (all " +
               std::to_string(used.size()) + " trials explain no variance)";
    for (const auto& n : names) out.params.push_back({n, 0.0});
  } else {
    for (size_t p = 0; p < names.size(); ++p) out.params.push_back({names[p], imp[p] / total});
  }
  for (const auto& n : constant) out.params.push_back({n, 0.0});
  std::stable_sort(out.params.begin(), out.params.end(),
                   [](const ParamImportance& a, const ParamImportance& b) {
                     return a.importance > b.importance;
                   });
  return out;
}

std::vector<ObjectiveImportance> study_importances(const StudyData& study,
                                                   const ImportanceOptions& options) {
  std::vector<ObjectiveImportance> out;
  for (size_t k = 0; k < study.n_objectives(); ++k) {
    auto imp = param_importance(
        study.trials,
        [&](const search::FrozenTrial& t) { return k < t.values.size() ? t.values[k] : NAN; },
        options);
    imp.objective = study.objective_names.at(k);
    out.push_back(std::move(imp));
  }
  return out;
}

}  // namespace chop::report
