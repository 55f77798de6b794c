// Progress of `chop search`: on a terminal one live line (trial n/N, best value or front size,
// trials/s, ETA) plus a line for each trial that changed the best, failed or was over budget;
// otherwise a plain line per finished trial, with the rate and ETA (logs, pipes, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "search/trial.h"
#include "strategy/search_results.h"

namespace chop::strategy {

/// "[trial 3/20] #2 COMPLETE values [0.2, 0.8], Pareto front 2, 0.1s / timeout 20000s"; an
/// infeasible trial names its violated budgets.
std::string progress_line(int64_t done, int64_t target, const search::FrozenTrial& t,
                          const SearchResults& results, double elapsed_s, double timeout_s);

/// "12.3 trials/s, ETA 4s": this run's rate (`ran` trials in `elapsed_s`) and the time the
/// `remaining` trials need at it, no longer than what the timeout leaves.
std::string rate_and_eta(int64_t ran, int64_t remaining, double elapsed_s, double timeout_s);

/// The live line on a terminal: "[trial 12/100] best 0.2363 | 45.2 trials/s, ETA 2s".
std::string progress_status(int64_t done, int64_t target, const SearchResults& results, int64_t ran,
                            double elapsed_s, double timeout_s);

/// Progress of one optimize() call. With a `status` sink (a terminal), the live line is
/// refreshed at most ten times a second and `print` gets only the trials that changed the best
/// or the front, failed, or were over budget; without one, `print` gets every trial's line with
/// the rate and ETA. Either sink may be null. `prefix` starts every line ("tpe 2/5 ").
class TrialProgress {
 public:
  using Sink = std::function<void(const std::string&)>;
  TrialProgress(Sink print, Sink status, int64_t target, int64_t already_finished, double timeout_s,
                std::string prefix = "");
  void on_trial(const search::FrozenTrial& t, const SearchResults& results);
  /// Clears the live line (before the caller prints its summary).
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  Sink print_, status_;
  int64_t target_, already_, ran_ = 0;
  double timeout_s_;
  std::string prefix_;
  Clock::time_point t0_, last_status_;
  uint64_t best_changes_ = 0;
  bool status_shown_ = false;
};

}  // namespace chop::strategy
