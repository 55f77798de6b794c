// Splitting a study's history into TPE's "below" (good) and "above" (rest) sets, for one or
// several objectives, with Optuna 3.x's priorities (COMPLETE by value, then PRUNED by progress,
// RUNNING always above; feasibility first when constraints are on; fronts + greedy hypervolume
// subset selection for several objectives) and MOTPE's hypervolume-contribution weights.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <vector>

namespace chop::search::samplers {

/// A trial's losses: up to four objectives stored inline (no allocation per trial and
/// suggestion), more on the heap.
class LossVec {
 public:
  LossVec() = default;
  LossVec(std::initializer_list<double> v) { assign(v.begin(), v.end()); }
  LossVec(const std::vector<double>& v) { assign(v.begin(), v.end()); }  // NOLINT: implicit
  LossVec& operator=(const std::vector<double>& v) {
    assign(v.begin(), v.end());
    return *this;
  }
  LossVec& operator=(std::initializer_list<double> v) {
    assign(v.begin(), v.end());
    return *this;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const double* begin() const { return data(); }
  const double* end() const { return data() + size_; }
  double operator[](size_t i) const { return data()[i]; }
  void push_back(double v) {
    if (size_ < kInline) {
      inline_[size_++] = v;
      return;
    }
    if (heap_.empty()) heap_.assign(inline_, inline_ + kInline);
    heap_.push_back(v);
    ++size_;
  }
  std::vector<double> to_vector() const { return {begin(), end()}; }

 private:
  static constexpr size_t kInline = 4;
  template <typename It>
  void assign(It first, It last) {
    size_ = 0;
    heap_.clear();
    for (; first != last; ++first) push_back(*first);
  }
  const double* data() const { return size_ > kInline ? heap_.data() : inline_; }
  double inline_[kInline] = {0, 0, 0, 0};
  size_t size_ = 0;
  std::vector<double> heap_;
};

/// How one trial ranks. Optuna's structured sort key: (step_key, losses) ascending, where
/// step_key is −inf for COMPLETE, −last_step for PRUNED (+1 if it never reported) and +inf for
/// RUNNING (constant liar); losses are minimised (maximised objectives sign-flipped).
struct TpeTrialKey {
  double step_key = -std::numeric_limits<double>::infinity();
  LossVec losses;
  /// Σ max(c, 0) over the trial's constraints (0 = feasible, +inf = no constraint values).
  double violation = 0.0;
};

struct TpeSplit {
  std::vector<int> below;  // indices into the key list (order: see split_trials)
  std::vector<int> above;  // ascending
};

/// Optuna 3.1's _split_observation_pairs. Single objective: both lists ascending (chronological).
/// Several objectives: `below` lists whole non-domination fronts first, then the HSSP picks in
/// selection order (as Optuna); `above` ascending. `use_violations` = constraints are enabled.
TpeSplit split_trials(const std::vector<TpeTrialKey>& keys, int n_below, bool use_violations);

/// MOTPE weights of the below set (3.1 _calculate_weights_below_for_multi_objective):
/// hypervolume contribution of each feasible member (+1e-12, divided by the largest, clipped to
/// [0, 1]); 1e-12 for infeasible members; 1 when a single feasible member.
std::vector<double> mo_below_weights(const std::vector<TpeTrialKey>& keys,
                                     const std::vector<int>& below, bool use_violations);

/// Greedy hypervolume subset selection: picks `k` of `points` (minimised) maximising the
/// dominated volume w.r.t. `ref`, returning positions into `points` in selection order.
std::vector<int> greedy_hssp(const std::vector<std::vector<double>>& points, int k,
                             const std::vector<double>& ref);

}  // namespace chop::search::samplers
