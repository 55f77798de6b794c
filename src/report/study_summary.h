// What the report says about a study before any chart: trial counts by state, each trial's
// category (Pareto front, dominated, pruned, infeasible, failed, ...), best-so-far and
// hypervolume histories, and the plain-language notes for the cases with little to show
// (no trials, one trial, nothing completed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "report/study_data.h"
#include "search/pareto.h"

namespace chop::report {

/// Category names used by every chart and the trial table (fixed colours in charts).
inline constexpr const char* kFront = "Pareto front";  // multi-objective non-dominated
inline constexpr const char* kBest = "best";           // single objective: the best trial(s)
inline constexpr const char* kDominated = "complete";  // complete, feasible, not best
inline constexpr const char* kInfeasible = "infeasible";
inline constexpr const char* kPruned = "pruned";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kRunning = "running";
inline constexpr const char* kWaiting = "waiting";

/// Over a hardware budget: chop's user_attrs.infeasible, or Optuna's constraints convention
/// (system_attrs "constraints" / "nsga2:constraints": feasible when every value is <= 0).
bool is_infeasible(const search::FrozenTrial& t);

/// Every objective value present and finite.
bool has_all_values(const search::FrozenTrial& t, size_t n_objectives);

struct StudySummary {
  size_t n_trials = 0, n_complete = 0, n_pruned = 0, n_infeasible = 0, n_failed = 0, n_running = 0,
         n_waiting = 0;
  /// Indices (into StudyData::trials) of the best trial(s): single objective, every complete
  /// feasible trial with the best value; several objectives, the Pareto front of those.
  std::vector<size_t> best;
  std::vector<std::string> category;  // per trial, one of the names above
  /// Multi-objective: the hypervolume reference point in loss space (every objective
  /// minimised; see hypervolume_reference) and the front's hypervolume.
  std::optional<search::Point> hv_reference;
  double hypervolume = 0.0;
  /// Sentences for the page's header, e.g. "All 5 trials failed: ...".
  std::vector<std::string> notes;
  /// True when at least one trial has values to plot.
  bool plottable = false;
};

StudySummary summarize(const StudyData& study);

/// Loss-space reference point for hypervolumes: per objective, the worst loss among `losses`
/// moved a tenth of the observed range further (1 when the range is 0). Empty input: nullopt.
std::optional<search::Point> hypervolume_reference(const std::vector<search::Point>& losses);

/// Per trial (index), the best value of objective `k` among complete feasible trials numbered
/// up to it; NaN before the first.
std::vector<double> best_so_far(const StudyData& study, size_t k);

/// Per trial (index), the hypervolume of the complete feasible trials numbered up to it.
std::vector<double> hypervolume_history(const StudyData& study, const search::Point& reference);

/// Numbers inside a metrics attribute, flattened ("a.b" for nested objects), in stored order.
std::vector<std::pair<std::string, double>> numeric_leaves(const Json& attrs);

}  // namespace chop::report
