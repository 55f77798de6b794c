// The running results of `chop search`: best trial or Pareto front kept up to date one finished
// trial at a time, and log.json / best.json written from rows rendered once per trial, so saving
// every N trials costs the new rows, not a re-render of the whole study.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "search/pareto.h"
#include "search/trial.h"

namespace chop::strategy {

class SearchResults {
 public:
  SearchResults(std::vector<search::Direction> directions, std::string save_dir);

  /// A trial seen for the first time or in a new state (trials already in a resumed study, each
  /// finished one). Trials that only reused an earlier configuration's result are logged but
  /// kept out of the best set: each configuration is listed once.
  void add(const search::FrozenTrial& t);

  /// Writes log.json (every trial added so far, by number) and best.json.
  void write() const;
  /// Replaces the logged trials by `all` (the study's full list, e.g. at the end of a search
  /// shared with other processes) and writes; unchanged trials keep their rendered rows.
  void write_all(const std::vector<search::FrozenTrial>& all);

  /// The best trial (one objective) or the Pareto front (several), ascending by number.
  std::vector<search::FrozenTrial> best() const;
  size_t best_count() const { return best_.size(); }
  /// Grows each time the best trial or the front changes (progress prints those trials).
  uint64_t best_changes() const { return best_changes_; }
  bool multi_objective() const { return directions_.size() > 1; }
  /// The best value of a single-objective study; only when best_count() > 0.
  double best_value() const;

 private:
  struct Row {
    search::TrialState state;
    int64_t datetime_complete_ms;
    std::string json;  // the trial's log.json row, indented for its place in the file
  };
  void add_to_best(const search::FrozenTrial& t);

  std::vector<search::Direction> directions_;
  std::string save_dir_;
  std::map<int64_t, Row> rows_;             // by trial number
  std::vector<search::FrozenTrial> best_;   // single objective: at most one
  std::vector<search::Point> best_losses_;  // best_[i] as losses (every objective minimised)
  uint64_t best_changes_ = 0;
};

}  // namespace chop::strategy
