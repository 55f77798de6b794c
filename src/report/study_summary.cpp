// Trial categories, histories and notes; see study_summary.h.
#include "report/study_summary.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"

namespace chop::report {
namespace {

using search::TrialState;

bool positive_constraint(const Json& c) {
  if (!c.is_array()) return false;
  for (const auto& v : c)
    if (v.is_number() && v.get<double>() > 0) return true;
  return false;
}

bool usable(const search::FrozenTrial& t, size_t n) {
  return t.state == TrialState::kComplete && !is_infeasible(t) && has_all_values(t, n);
}

void leaves(const Json& j, const std::string& prefix,
            std::vector<std::pair<std::string, double>>& out) {
  if (j.is_number()) {
    out.emplace_back(prefix, j.get<double>());
  } else if (j.is_boolean()) {
    out.emplace_back(prefix, j.get<bool>() ? 1.0 : 0.0);
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      leaves(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  }
}

std::string plural(size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

bool is_infeasible(const search::FrozenTrial& t) {
  if (t.user_attrs.contains("infeasible") && t.user_attrs["infeasible"] == true) return true;
  for (const char* key : {"constraints", "nsga2:constraints"})
    if (t.system_attrs.contains(key) && positive_constraint(t.system_attrs[key])) return true;
  return false;
}

bool has_all_values(const search::FrozenTrial& t, size_t n) {
  if (t.values.size() != n) return false;
  for (double v : t.values)
    if (!std::isfinite(v)) return false;
  return true;
}

std::optional<search::Point> hypervolume_reference(const std::vector<search::Point>& losses) {
  if (losses.empty()) return std::nullopt;
  const size_t d = losses.front().size();
  search::Point lo(d, INFINITY), hi(d, -INFINITY);
  for (const auto& p : losses)
    for (size_t k = 0; k < d; ++k) {
      lo[k] = std::min(lo[k], p[k]);
      hi[k] = std::max(hi[k], p[k]);
    }
  search::Point ref(d);
  for (size_t k = 0; k < d; ++k) {
    const double range = hi[k] - lo[k];
    ref[k] = hi[k] + (range > 0 ? 0.1 * range : 1.0);
  }
  return ref;
}

StudySummary summarize(const StudyData& study) {
  StudySummary s;
  const size_t n_obj = study.n_objectives();
  s.n_trials = study.trials.size();
  s.category.resize(s.n_trials);
  std::vector<size_t> usable_idx;
  for (size_t i = 0; i < s.n_trials; ++i) {
    const auto& t = study.trials[i];
    const bool infeasible = is_infeasible(t);
    switch (t.state) {
      case TrialState::kComplete:
        ++s.n_complete;
        s.category[i] = infeasible ? kInfeasible : kDominated;
        break;
      case TrialState::kPruned:
        ++s.n_pruned;
        s.category[i] = infeasible ? kInfeasible : kPruned;
        break;
      case TrialState::kFail:
        ++s.n_failed;
        s.category[i] = kFailed;
        break;
      case TrialState::kRunning:
        ++s.n_running;
        s.category[i] = kRunning;
        break;
      case TrialState::kWaiting:
        ++s.n_waiting;
        s.category[i] = kWaiting;
        break;
    }
    if (infeasible) ++s.n_infeasible;
    if (has_all_values(t, n_obj)) s.plottable = true;
    if (usable(t, n_obj)) usable_idx.push_back(i);
  }

  if (!usable_idx.empty()) {
    std::vector<search::Point> losses;
    for (size_t i : usable_idx)
      losses.push_back(search::to_loss(study.trials[i], study.directions));
    if (n_obj == 1) {
      double best = INFINITY;
      for (const auto& p : losses) best = std::min(best, p[0]);
      for (size_t j = 0; j < usable_idx.size(); ++j)
        if (losses[j][0] == best) s.best.push_back(usable_idx[j]);
      for (size_t i : s.best) s.category[i] = kBest;
    } else {
      for (size_t j : search::pareto_front_indices(losses)) s.best.push_back(usable_idx[j]);
      for (size_t i : s.best) s.category[i] = kFront;
      s.hv_reference = hypervolume_reference(losses);
      std::vector<search::Point> front;
      for (size_t i : s.best) front.push_back(search::to_loss(study.trials[i], study.directions));
      s.hypervolume = search::hypervolume(front, *s.hv_reference);
    }
  }

  // Plain-language notes for the cases with little or nothing to plot.
  const size_t finished = s.n_complete + s.n_pruned + s.n_failed;
  if (s.n_trials == 0) {
    s.notes.push_back("The study has no trials yet: there is nothing to plot.");
  } else if (finished == 0) {
    s.notes.push_back("No trial has finished yet (" + plural(s.n_running, "running trial") + ", " +
                      std::to_string(s.n_waiting) + " waiting).");
  } else if (s.n_failed == s.n_trials) {
    s.notes.push_back("All " + plural(s.n_trials, "trial") +
                      " failed: there are no objective values to plot. Each trial's "
                      "fail_reason is in the trial table.");
  } else if (usable_idx.empty()) {
    std::vector<std::string> parts;
    if (s.n_infeasible) parts.push_back(plural(s.n_infeasible, "infeasible trial"));
    if (s.n_pruned > s.n_infeasible)
      parts.push_back(plural(s.n_pruned - std::min(s.n_pruned, s.n_infeasible), "pruned trial"));
    if (s.n_failed) parts.push_back(plural(s.n_failed, "failed trial"));
    if (s.n_complete) parts.push_back(plural(s.n_complete, "complete trial") + " without values");
    s.notes.push_back("No trial completed within the constraints (" + join(parts, ", ") +
                      "): there is no best trial yet.");
  }
  if (s.n_trials == 1 && finished == 1)
    s.notes.push_back("The study has a single trial: histories and importances need more.");
  if (s.n_failed > 0 && s.n_failed < s.n_trials)
    s.notes.push_back(plural(s.n_failed, "trial") + " failed; see fail_reason in the table.");
  return s;
}

std::vector<double> best_so_far(const StudyData& study, size_t k) {
  std::vector<double> out(study.trials.size(), NAN);
  const double sign = search::loss_sign(study.directions.at(k));
  double best_loss = INFINITY;
  for (size_t i = 0; i < study.trials.size(); ++i) {
    const auto& t = study.trials[i];
    if (usable(t, study.n_objectives())) best_loss = std::min(best_loss, sign * t.values[k]);
    if (std::isfinite(best_loss)) out[i] = sign * best_loss;
  }
  return out;
}

std::vector<double> hypervolume_history(const StudyData& study, const search::Point& ref) {
  std::vector<double> out(study.trials.size(), 0.0);
  std::vector<search::Point> front;
  double hv = 0.0;
  for (size_t i = 0; i < study.trials.size(); ++i) {
    const auto& t = study.trials[i];
    if (usable(t, study.n_objectives())) {
      search::Point p = search::to_loss(t, study.directions);
      bool dominated = false;
      for (const auto& q : front) dominated |= search::dominates(q, p) || q == p;
      if (!dominated) {
        front.erase(std::remove_if(front.begin(), front.end(),
                                   [&](const search::Point& q) { return search::dominates(p, q); }),
                    front.end());
        front.push_back(std::move(p));
        hv = search::hypervolume(front, ref);
      }
    }
    out[i] = hv;
  }
  return out;
}

std::vector<std::pair<std::string, double>> numeric_leaves(const Json& attrs) {
  std::vector<std::pair<std::string, double>> out;
  if (attrs.is_object()) leaves(attrs, "", out);
  return out;
}

}  // namespace chop::report
