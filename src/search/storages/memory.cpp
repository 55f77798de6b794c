// In-memory storage: studies and trials in process memory, with a per-study change log so
// several Study objects sharing it see each other's trials.
#include <chrono>
#include <map>
#include <mutex>

#include "core/error.h"
#include "search/storage.h"
#include "search/storages/stale_trials.h"

namespace chop::search {
namespace {

class InMemoryStorage : public Storage {
 public:
  int64_t create_or_load_study(const std::string& name, const std::vector<Direction>& directions,
                               bool load_if_exists) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, s] : studies_)
      if (s.name == name) {
        if (!load_if_exists) throw UserError("study '" + name + "' already exists");
        if (s.directions != directions)
          throw UserError("study '" + name + "' exists with different directions");
        ++s.readers;
        return id;
      }
    const int64_t id = studies_.empty() ? 1 : studies_.rbegin()->first + 1;
    studies_[id].name = name;
    studies_[id].directions = directions;
    studies_[id].readers = 1;
    return id;
  }

  std::vector<Direction> study_directions(int64_t study_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return get(study_id).directions;
  }

  std::vector<std::string> study_names() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (auto& [id, s] : studies_) out.push_back(s.name);
    return out;
  }

  std::optional<int64_t> study_id_from_name(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, s] : studies_)
      if (s.name == name) return id;
    return std::nullopt;
  }

  void set_study_system_attr(int64_t study_id, const std::string& key, const Json& v) override {
    std::lock_guard<std::mutex> lock(mu_);
    get(study_id).system_attrs[key] = v;
  }
  Json study_system_attrs(int64_t study_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return get(study_id).system_attrs;
  }
  void set_study_user_attr(int64_t study_id, const std::string& key, const Json& v) override {
    std::lock_guard<std::mutex> lock(mu_);
    get(study_id).user_attrs[key] = v;
  }
  Json study_user_attrs(int64_t study_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return get(study_id).user_attrs;
  }

  FrozenTrial create_trial(int64_t study_id, const FrozenTrial& tmpl, int64_t max_trials,
                           bool first_heartbeat) override {
    std::lock_guard<std::mutex> lock(mu_);
    StudyData& s = get(study_id);
    if (max_trials >= 0) {
      int64_t n = 0;
      for (const auto& t : s.trials)
        n += t.state != TrialState::kWaiting && !t.system_attrs.contains("failed_trial");
      if (n >= max_trials) {
        FrozenTrial refused = tmpl;
        refused.number = -1;
        return refused;
      }
    }
    FrozenTrial created = create_locked(s, tmpl);
    if (first_heartbeat) heartbeats_[created.trial_id] = std::chrono::steady_clock::now();
    return created;
  }

  bool write_trial(int64_t study_id, const FrozenTrial& trial) override {
    std::lock_guard<std::mutex> lock(mu_);
    return write_locked(study_id, trial);
  }
  bool write_locked(int64_t study_id, const FrozenTrial& trial) {
    StudyData& s = get(study_id);
    CHOP_ASSERT(trial.number >= 0 && trial.number < static_cast<int64_t>(s.trials.size()),
                "write_trial: unknown trial");
    FrozenTrial& stored = s.trials[static_cast<size_t>(trial.number)];
    if (is_finished(stored.state)) return false;
    stored = trial;
    s.changes.push_back(trial.number);
    return true;
  }

  bool claim_waiting_trial(int64_t study_id, int64_t trial_id, int64_t start_ms,
                           const Json& system_attrs) override {
    std::lock_guard<std::mutex> lock(mu_);
    StudyData& s = get(study_id);
    for (auto& t : s.trials)
      if (t.trial_id == trial_id) {
        if (t.state != TrialState::kWaiting) return false;
        t.state = TrialState::kRunning;
        t.datetime_start_ms = start_ms;
        for (auto it = system_attrs.begin(); it != system_attrs.end(); ++it)
          t.system_attrs[it.key()] = it.value();
        s.changes.push_back(t.number);
        return true;
      }
    return false;
  }

  std::vector<FrozenTrial> changed_trials(int64_t study_id, int64_t& cursor) override {
    std::lock_guard<std::mutex> lock(mu_);
    StudyData& s = get(study_id);
    // A lone Study wrote every change itself and holds it in memory: no copies to hand back.
    if (s.readers == 1 && cursor > 0) {
      cursor = static_cast<int64_t>(s.changes.size());
      return {};
    }
    std::map<int64_t, bool> seen;
    for (size_t i = static_cast<size_t>(cursor); i < s.changes.size(); ++i)
      seen[s.changes[i]] = true;
    cursor = static_cast<int64_t>(s.changes.size());
    std::vector<FrozenTrial> out;
    out.reserve(seen.size());
    for (auto& [number, _] : seen) out.push_back(s.trials[static_cast<size_t>(number)]);
    return out;
  }

  // Heartbeats by this process's steady clock (every Study sharing this storage is here).
  void record_heartbeats(const std::vector<int64_t>& trial_ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    for (int64_t id : trial_ids) heartbeats_[id] = now;
  }

  std::vector<FrozenTrial> fail_stale_trials(int64_t study_id, double grace_s, int max_retry,
                                             bool /*none_running_seen*/ = false) override {
    std::lock_guard<std::mutex> lock(mu_);
    StudyData& s = get(study_id);
    const auto now = std::chrono::steady_clock::now();
    std::vector<FrozenTrial> failed;
    const size_t n = s.trials.size();
    for (size_t i = 0; i < n; ++i) {
      FrozenTrial& t = s.trials[i];
      auto hb = heartbeats_.find(t.trial_id);
      if (t.state != TrialState::kRunning || hb == heartbeats_.end() ||
          std::chrono::duration<double>(now - hb->second).count() <= grace_s)
        continue;
      t = stale_trial_failed(t, grace_s, now_ms());
      s.changes.push_back(t.number);
      failed.push_back(t);
      if (auto retry = stale_trial_retry(t, max_retry)) failed.push_back(create_locked(s, *retry));
    }
    return failed;
  }

  int64_t claim_configuration(int64_t study_id, const std::string& config_key, int64_t trial_id,
                              const FrozenTrial* trial = nullptr) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (trial && !write_locked(study_id, *trial)) return kClaimTrialFinished;
    StudyData& s = get(study_id);
    auto [it, fresh] = s.claims.emplace(config_key, trial_id);
    if (fresh || it->second == trial_id) return -1;
    for (const auto& t : s.trials)
      if (t.trial_id == it->second) {
        if (t.state != TrialState::kFail) return t.number;
        break;
      }
    it->second = trial_id;  // the holder failed (or vanished): this trial takes over
    return -1;
  }
  FrozenTrial create_trial_claiming(int64_t study_id, const FrozenTrial& tmpl, int64_t max_trials,
                                    const std::string& config_key, int64_t* holder,
                                    bool first_heartbeat) override {
    std::lock_guard<std::mutex> lock(mu_);
    StudyData& s = get(study_id);
    *holder = -1;
    FrozenTrial refused = tmpl;
    if (max_trials >= 0) {
      int64_t n = 0;
      for (const auto& t : s.trials)
        n += t.state != TrialState::kWaiting && !t.system_attrs.contains("failed_trial");
      if (n >= max_trials) {
        refused.number = -1;
        return refused;
      }
    }
    auto it = s.claims.find(config_key);
    if (it != s.claims.end())
      for (const auto& t : s.trials)
        if (t.trial_id == it->second && t.state != TrialState::kFail) {
          *holder = t.number;
          refused.number = -2;
          return refused;
        }
    FrozenTrial created = create_locked(s, tmpl);
    s.claims[config_key] = created.trial_id;
    if (first_heartbeat) heartbeats_[created.trial_id] = std::chrono::steady_clock::now();
    return created;
  }
  bool shared_between_processes() const override { return false; }

  std::vector<StudySummary> study_summaries() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<StudySummary> out;
    for (auto& [id, s] : studies_) {
      StudySummary sum;
      sum.study_id = id;
      sum.name = s.name;
      sum.directions = s.directions;
      sum.n_trials = static_cast<int64_t>(s.trials.size());
      for (const auto& t : s.trials) ++sum.n_by_state[t.state];
      if (!s.trials.empty()) sum.datetime_start_ms = s.trials.front().datetime_start_ms;
      out.push_back(std::move(sum));
    }
    return out;
  }

  void delete_study(int64_t study_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    get(study_id);
    studies_.erase(study_id);
  }

  std::string describe() const override { return "in-memory"; }

 private:
  struct StudyData {
    std::string name;
    std::vector<Direction> directions;
    Json system_attrs = Json::object();
    Json user_attrs = Json::object();
    std::vector<FrozenTrial> trials;
    std::vector<int64_t> changes;           // trial numbers, one entry per write
    std::map<std::string, int64_t> claims;  // configuration key -> trial id
    int readers = 0;                        // Study objects attached (create_or_load_study calls)
  };
  FrozenTrial create_locked(StudyData& s, const FrozenTrial& tmpl) {
    FrozenTrial t = tmpl;
    t.number = static_cast<int64_t>(s.trials.size());
    t.trial_id = next_trial_id_++;
    s.trials.push_back(t);
    s.changes.push_back(t.number);
    return t;
  }

  StudyData& get(int64_t id) {
    auto it = studies_.find(id);
    CHOP_ASSERT(it != studies_.end(), "unknown study id");
    return it->second;
  }
  std::mutex mu_;
  std::map<int64_t, StudyData> studies_;
  std::map<int64_t, std::chrono::steady_clock::time_point> heartbeats_;  // by trial id
  int64_t next_trial_id_ = 1;
};

}  // namespace

std::shared_ptr<Storage> make_in_memory_storage() {
  return std::make_shared<InMemoryStorage>();
}

}  // namespace chop::search
