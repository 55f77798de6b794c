// Incremental TPE history; see tpe_history_cache.h.
#include "search/samplers/tpe_history_cache.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace chop::search::samplers {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kMaxStates = 8;

bool finished_ok(TrialState s) {
  return s == TrialState::kComplete || s == TrialState::kPruned;
}

}  // namespace

void TpeHistoryCache::reset(const std::string& study_name) {
  study_name_ = study_name;
  recorded_.clear();
  space_id_.clear();
  key_cache_.clear();
  key_cached_.clear();
  spaces_.clear();
  params_.clear();
  states_.clear();
}

int TpeHistoryCache::intern_space(const ParamSpace& space) {
  for (size_t i = spaces_.size(); i-- > 0;)
    if (spaces_[i] == space) return static_cast<int>(i);
  spaces_.push_back(space);
  return static_cast<int>(spaces_.size()) - 1;
}

void TpeHistoryCache::record(const FrozenTrial& t) {
  const size_t n = static_cast<size_t>(t.number);
  if (recorded_.size() <= n) {
    recorded_.resize(n + 1, 0);
    space_id_.resize(n + 1, -1);
  }
  if (recorded_[n]) return;
  recorded_[n] = 1;
  space_id_[n] = intern_space(t.distributions);
  for (const auto& [name, value] : t.params) {
    ParamCache& pc = params_[name];
    if (pc.by_trial.size() <= n) pc.by_trial.resize(n + 1, kNaN);
    pc.by_trial[n] = value;
    const auto dist = t.distributions.find(name);
    if (dist == t.distributions.end() || dist->second.is_categorical()) continue;
    // Sorted by (value, trial number); inserting keeps it sorted in O(N) moves.
    const auto pos = std::upper_bound(pc.sorted.begin(), pc.sorted.end(), t.number,
                                      [&](int64_t num, int64_t other) {
                                        const double a = pc.by_trial[num], b = pc.by_trial[other];
                                        return a < b || (a == b && num < other);
                                      });
    pc.sorted.insert(pos, t.number);
  }
}

TpeTrialKey TpeHistoryCache::key_of(const FrozenTrial& t, const StudyView& view, bool& usable,
                                    bool& finished) const {
  TpeTrialKey key;
  usable = false;
  finished = false;
  const bool multi = view.multi_objective();
  const size_t n_obj = view.n_objectives();
  switch (t.state) {
    case TrialState::kComplete:
      if (t.values.size() != n_obj) return key;
      key.step_key = -kInf;
      for (size_t m = 0; m < n_obj; ++m)
        key.losses.push_back(t.values[m] * loss_sign(view.directions[m]));
      usable = finished = true;
      break;
    case TrialState::kPruned: {
      if (multi) return key;  // MOTPE cannot rank pruned trials (Optuna 3.1)
      if (t.intermediate_values.empty()) {
        key.step_key = 1.0;
        key.losses = {0.0};
      } else {
        const auto& [step, value] = *t.intermediate_values.rbegin();
        key.step_key = -static_cast<double>(step);
        key.losses = {std::isnan(value) ? kInf : value * loss_sign(view.directions[0])};
      }
      usable = finished = true;
      break;
    }
    case TrialState::kRunning:
      if (!constant_liar_ || multi) return key;
      key.step_key = kInf;
      key.losses = {kInf};
      key.violation = kInf;
      usable = true;
      return key;
    default:
      return key;
  }
  if (constraints_) {
    const auto it = t.system_attrs.find("constraints");
    if (it == t.system_attrs.end() || !it->is_array()) {
      key.violation = kInf;  // no constraint values: ranked after every trial that has them
    } else {
      double v = 0.0;
      for (const auto& c : *it)
        if (c.is_number() && c.get<double>() > 0) v += c.get<double>();
      key.violation = v;
    }
  }
  return key;
}

const TpeViewState& TpeHistoryCache::state_for(const StudyView& view) {
  if (view.study_name != study_name_) reset(view.study_name);
  for (auto& e : states_)
    if (e.number == view.number && e.n_trials == view.trials.size()) return *e.state;

  for (const FrozenTrial* t : view.trials)
    if (is_finished(t->state)) record(*t);

  auto st = std::make_unique<TpeViewState>();
  st->key_of_trial.assign(static_cast<size_t>(std::max<int64_t>(view.number, 0)), -1);
  st->history.keys.reserve(view.trials.size());
  st->key_trial.reserve(view.trials.size());
  std::vector<char> seen_space(spaces_.size(), 0);
  for (const FrozenTrial* t : view.trials) {
    const bool done = finished_ok(t->state);
    const size_t n = static_cast<size_t>(t->number);
    bool usable = false, finished = false;
    if (done && n < key_cached_.size() && key_cached_[n]) {
      // A finished trial's key never changes: computed once per study.
      usable = finished = key_cached_[n] == 1;
      if (usable) st->history.keys.push_back(key_cache_[n]);
    } else {
      TpeTrialKey key = key_of(*t, view, usable, finished);
      if (done) {
        if (key_cache_.size() <= n) key_cache_.resize(n + 1), key_cached_.resize(n + 1, 0);
        key_cached_[n] = usable ? 1 : 2;
        if (usable) key_cache_[n] = key;
      }
      if (usable) st->history.keys.push_back(std::move(key));
    }
    if (done && n < space_id_.size()) {
      const int id = space_id_[n];
      if (id >= 0 && !seen_space[id]) seen_space[id] = 1, st->finished_space_ids.push_back(id);
    }
    if (!usable) continue;
    if (n < st->key_of_trial.size()) st->key_of_trial[n] = static_cast<int>(st->key_trial.size());
    st->key_trial.push_back(t);
    st->key_number.push_back(t->number);
    st->key_finished.push_back(done ? 1 : 0);
    st->history.n_finished += finished ? 1 : 0;
  }
  st->history.use_violations = constraints_;
  st->prepared = engine_.prepare(st->history);

  if (states_.size() >= kMaxStates) states_.erase(states_.begin());
  states_.push_back({view.number, view.trials.size(), std::move(st)});
  return *states_.back().state;
}

void TpeHistoryCache::column(const TpeViewState& st, const std::string& name, bool want_sorted,
                             std::vector<double>& values, std::vector<int>& sorted_keys) {
  const size_t n_keys = st.key_trial.size();
  values.assign(n_keys, kNaN);
  sorted_keys.clear();
  const auto pit = params_.find(name);
  const ParamCache* pc = pit == params_.end() ? nullptr : &pit->second;
  const size_t n_cached = pc ? pc->by_trial.size() : 0;
  for (size_t i = 0; i < n_keys; ++i) {
    const size_t num = static_cast<size_t>(st.key_number[i]);
    if (st.key_finished[i]) {
      if (num < n_cached) values[i] = pc->by_trial[num];
    } else {
      const FrozenTrial* t = st.key_trial[i];
      const auto it = t->params.find(name);  // in-flight trial: its planned params
      if (it != t->params.end()) values[i] = it->second;
    }
  }
  if (!want_sorted || !pc) return;
  sorted_keys.reserve(n_keys);
  for (int64_t num : pc->sorted) {
    if (static_cast<size_t>(num) >= st.key_of_trial.size()) continue;
    const int k = st.key_of_trial[num];
    if (k >= 0 && st.key_finished[k]) sorted_keys.push_back(k);
  }
}

ParamSpace TpeHistoryCache::intersection(const TpeViewState& st) const {
  ParamSpace out;
  if (st.finished_space_ids.empty()) return out;
  out = spaces_[st.finished_space_ids[0]];
  for (size_t i = 1; i < st.finished_space_ids.size(); ++i) {
    const ParamSpace& other = spaces_[st.finished_space_ids[i]];
    for (auto it = out.begin(); it != out.end();) {
      const auto o = other.find(it->first);
      it = (o == other.end() || o->second != it->second) ? out.erase(it) : std::next(it);
    }
  }
  for (auto it = out.begin(); it != out.end();)
    it = it->second.single() ? out.erase(it) : std::next(it);
  return out;
}

std::vector<ParamSpace> TpeHistoryCache::groups(const TpeViewState& st) const {
  // Names with the same membership pattern over the distinct finished spaces form one group.
  std::map<std::string, std::pair<std::vector<char>, const Distribution*>> membership;
  const size_t n = st.finished_space_ids.size();
  for (size_t s = 0; s < n; ++s)
    for (const auto& [name, dist] : spaces_[st.finished_space_ids[s]]) {
      auto& m = membership[name];
      if (m.first.empty()) m = {std::vector<char>(n, 0), &dist};
      m.first[s] = 1;
    }
  std::map<std::vector<char>, ParamSpace> by_pattern;
  for (const auto& [name, m] : membership)
    if (!m.second->single()) by_pattern[m.first].emplace(name, *m.second);
  std::vector<ParamSpace> out;
  for (auto& [pattern, space] : by_pattern) out.push_back(std::move(space));
  std::sort(out.begin(), out.end(), [](const ParamSpace& a, const ParamSpace& b) {
    return a.begin()->first < b.begin()->first;
  });
  return out;
}

}  // namespace chop::search::samplers
