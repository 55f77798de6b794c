// `chop search ... --export-best FORMAT`: keeps the graphs of the trials on the current best
// front while the search runs and writes them (interop's export formats) when it ends — the
// single best trial, or every trial of a Pareto front.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "search/trial.h"

namespace chop::strategy {

class BestExporter {
 public:
  /// UserError for an unknown format (before the search starts).
  explicit BestExporter(std::string format);

  /// Keeps trial `number`'s candidate (called by the objective; thread-safe).
  void keep(int64_t number, graph::Graph g);
  /// Trial `finished` has been ranked: drops the kept graphs of ranked trials that are not on
  /// the front `best` (trials still being ranked keep theirs).
  void retain_only(const std::vector<search::FrozenTrial>& best, int64_t finished);
  /// Writes <dir>/trial_<n><ext> for each of `best`; a trial whose graph was not kept (from an
  /// earlier run of a resumed study) is rebuilt with `rebuild`. Returns the paths written.
  std::vector<std::string> write(
      const std::vector<search::FrozenTrial>& best, const std::string& dir,
      const std::function<graph::Graph(const search::FrozenTrial&)>& rebuild);

 private:
  std::string format_;
  std::mutex mu_;
  std::map<int64_t, graph::Graph> kept_;
  std::set<int64_t> ranked_;
};

}  // namespace chop::strategy
