// Study: trial bookkeeping, ask/tell, the threaded optimize loop, duplicate reuse and resume.
// The trial list lives in memory (index = trial number) and is written through to the storage.
#include "search/study.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "search/pareto.h"
#include "search/samplers/random.h"

namespace chop::search {

struct Study::Record {
  FrozenTrial t;
  // Decided at ask time, in trial-number order, so views may show them deterministically.
  std::map<std::string, double> planned;  // relative sample
  SearchSpace planned_space;              // its distributions
  Json planned_attrs = Json::object();    // system attrs after the sampler's before_trial
  bool ours = false;                      // run by this Study object
};

struct TrialContext {
  Study* study = nullptr;
  void* record = nullptr;  // Study::Record*
  int64_t number = -1;
  std::shared_ptr<StudyView> view;
  SearchSpace relative_space;
  std::map<std::string, double> relative;
  Json fixed_params = Json::object();
  bool reuse_duplicates = false;
  bool finished = false;
};

namespace {

constexpr const char* kWorkerAttr = "chop:worker";
constexpr const char* kReusedAttr = "reused_from";
constexpr const char* kFixedAttr = "fixed_params";
constexpr const char* kExactAttr = "exact_objectives";

std::string this_worker_id() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

// Order-independent hash of a configuration (names and internal values).
uint64_t config_hash(const std::map<std::string, double>& params) {
  uint64_t h = params.size();
  for (const auto& [name, v] : params) {
    double x = v == 0.0 ? 0.0 : v;  // -0 == +0
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    uint64_t s = stable_hash(name) ^ (bits * 0x9E3779B97F4A7C15ULL);
    h += splitmix64(s);
  }
  return h;
}

bool process_alive(const std::string& worker, const std::string& me_host) {
  const auto colon = worker.rfind(':');
  if (colon == std::string::npos) return true;
  if (worker.substr(0, colon) != me_host) return true;  // other host: cannot tell
  const pid_t pid = static_cast<pid_t>(std::atoll(worker.c_str() + colon + 1));
  if (pid <= 0) return true;
  return kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Trial handle

Trial::Trial(Study* study, std::shared_ptr<TrialContext> ctx)
    : study_(study), ctx_(std::move(ctx)) {}

int64_t Trial::number() const {
  return ctx_->number;
}

Json Trial::suggest_categorical(const std::string& name, const std::vector<Json>& choices) {
  auto dist = Distribution::make_categorical(choices);
  return dist.to_external(study_->suggest_for(*ctx_, name, dist));
}

int64_t Trial::suggest_int(const std::string& name, int64_t low, int64_t high, int64_t step,
                           bool log) {
  auto dist = Distribution::make_int(low, high, step, log);
  return static_cast<int64_t>(std::llround(study_->suggest_for(*ctx_, name, dist)));
}

double Trial::suggest_float(const std::string& name, double low, double high,
                            std::optional<double> step, bool log) {
  return study_->suggest_for(*ctx_, name, Distribution::make_float(low, high, step, log));
}

double Trial::suggest(const std::string& name, const Distribution& dist) {
  return study_->suggest_for(*ctx_, name, dist);
}

void Trial::report(int64_t step, double value) {
  study_->report_for(*ctx_, step, value);
}
bool Trial::should_prune() {
  return study_->should_prune_for(*ctx_);
}

void Trial::set_exact_objectives(const std::map<int, double>& values_by_objective) {
  Json j = Json::object();
  for (const auto& [k, v] : values_by_objective) j[std::to_string(k)] = v;
  study_->set_attr_for(*ctx_, false, kExactAttr, j);
}

void Trial::set_user_attr(const std::string& key, const Json& value) {
  study_->set_attr_for(*ctx_, true, key, value);
}
void Trial::set_system_attr(const std::string& key, const Json& value) {
  study_->set_attr_for(*ctx_, false, key, value);
}

FrozenTrial Trial::frozen() const {
  return study_->snapshot_for(*ctx_);
}

const std::map<std::string, double>& Trial::params() const {
  return static_cast<Study::Record*>(ctx_->record)->t.params;
}

// ---------------------------------------------------------------------------------------------
// Construction and resume

Study::Study(StudyOptions options) : options_(std::move(options)) {
  if (options_.directions.empty())
    throw UserError("study '" + options_.name + "' needs at least one direction");
  directions_ = options_.directions;
  storage_ = options_.storage ? options_.storage : make_in_memory_storage();
  sampler_ = options_.sampler ? options_.sampler : std::make_shared<RandomSampler>(options_.seed);
  pruner_ = options_.pruner ? options_.pruner : make_pruner("nop");
  worker_id_ = this_worker_id();
  study_id_ = storage_->create_or_load_study(options_.name, directions_, options_.load_if_exists);
  {
    std::lock_guard<std::mutex> lock(mu_);
    sync_locked();
  }
  resume_fail_stale();
}

Study::~Study() = default;

void Study::resume_fail_stale() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string me = worker_id_;
  const std::string host = me.substr(0, me.rfind(':'));
  const int64_t now = now_ms();
  for (auto& rec : records_) {
    FrozenTrial& t = rec->t;
    if (t.state != TrialState::kRunning || rec->ours) continue;
    const std::string worker = t.system_attrs.value(kWorkerAttr, std::string());
    bool stale = !worker.empty() && !process_alive(worker, host);
    const int64_t last = t.system_attrs.value("chop:heartbeat_ms", t.datetime_start_ms);
    if (options_.stale_running_after_s > 0 &&
        now - last > static_cast<int64_t>(options_.stale_running_after_s * 1000))
      stale = true;
    if (!stale) continue;
    FrozenTrial failed = t;
    failed.state = TrialState::kFail;
    failed.datetime_complete_ms = now;
    failed.system_attrs["fail_reason"] = "process " + worker + " ended while the trial was running";
    if (storage_->write_trial(study_id_, failed)) {
      t = failed;
      index_state_locked(*rec);
      failed_on_resume_.push_back(t.number);
    }
  }
  if (!failed_on_resume_.empty())
    log_warning("study '" + options_.name + "': marked " +
                std::to_string(failed_on_resume_.size()) +
                " trial(s) left RUNNING by an ended process as FAIL");
  cv_.notify_all();
}

void Study::declare_search_space(const SearchSpace& space) {
  std::lock_guard<std::mutex> lock(ask_mu_);
  declared_space_ = space;
}

// ---------------------------------------------------------------------------------------------
// Synchronisation with the storage

void Study::sync() {
  std::lock_guard<std::mutex> lock(mu_);
  sync_locked();
}

void Study::index_state_locked(const Record& rec) {
  const int64_t k = rec.t.number;
  if (is_finished(rec.t.state))
    unfinished_.erase(k);
  else
    unfinished_.insert(k);
  if (rec.t.state == TrialState::kWaiting && rec.t.trial_id >= 0)
    waiting_.insert(k);
  else
    waiting_.erase(k);
}

void Study::sync_locked() {
  ingest_locked(storage_->changed_trials(study_id_, sync_cursor_));
}

void Study::ingest_locked(std::vector<FrozenTrial>&& changed) {
  bool any_finished = false;
  for (auto& t : changed) {
    while (static_cast<int64_t>(records_.size()) <= t.number) {
      auto rec = std::make_unique<Record>();
      rec->t.number = static_cast<int64_t>(records_.size());
      rec->t.state = TrialState::kWaiting;
      all_ptrs_.push_back(&rec->t);
      unfinished_.insert(rec->t.number);
      records_.push_back(std::move(rec));
    }
    Record& rec = *records_[static_cast<size_t>(t.number)];
    // Our own in-flight trials and finished trials are authoritative in memory.
    if (rec.ours && !is_finished(rec.t.state) && rec.t.trial_id == t.trial_id) continue;
    if (is_finished(rec.t.state) && rec.t.trial_id == t.trial_id) continue;
    rec.t = std::move(t);
    index_state_locked(rec);
    for (const auto& [name, d] : rec.t.distributions) param_dists_.emplace(name, d);
    if (is_finished(rec.t.state)) {
      any_finished = true;
      if ((rec.t.state == TrialState::kComplete || rec.t.state == TrialState::kPruned) &&
          !rec.t.system_attrs.contains(kReusedAttr))
        finished_configs_.emplace(config_hash(rec.t.params), rec.t.number);
    }
  }
  if (any_finished) cv_.notify_all();
}

void Study::write_locked(Record& rec) {
  rec.t.system_attrs["chop:heartbeat_ms"] = now_ms();
  if (!storage_->write_trial(study_id_, rec.t)) {
    // Another worker finished (e.g. failed as stale) this trial: adopt the stored state.
    int64_t cursor = 0;
    for (auto& t : storage_->changed_trials(study_id_, cursor))
      if (t.number == rec.t.number) rec.t = t;
    index_state_locked(rec);
    throw RunError("trial " + std::to_string(rec.t.number) + " of study '" + options_.name +
                   "' was finished by another worker (" + to_string(rec.t.state) + ")");
  }
}

// ---------------------------------------------------------------------------------------------
// Views

std::shared_ptr<StudyView> Study::build_view(int64_t number, int horizon) {
  auto view = std::make_shared<StudyView>();
  view->study_name = options_.name;
  view->directions = directions_;
  view->seed = sampler_->seed();
  view->number = number;
  view->declared_space = declared_space_;
  const int64_t window = horizon > 0 ? horizon - 1 : -1;
  std::unique_lock<std::mutex> lock(mu_);
  if (window >= 0) {
    // Determinism rule: every trial of ours numbered below number - window must be finished.
    cv_.wait(lock,
             [&] { return running_ours_.empty() || *running_ours_.begin() >= number - window; });
  }
  const int64_t n = std::min<int64_t>(number, static_cast<int64_t>(records_.size()));
  // Finished trials are shared by pointer; unfinished ones and (determinism rule) our trials in
  // the window are replaced by snapshots. Only those few entries are visited.
  view->trials.assign(all_ptrs_.begin(), all_ptrs_.begin() + n);
  const int64_t lo = window >= 0 ? std::max<int64_t>(0, number - window) : n;
  auto patch = [&](int64_t k) {
    const Record& r = *records_[static_cast<size_t>(k)];
    const bool in_window = k >= lo && r.ours;
    if (is_finished(r.t.state) && !in_window) return;
    auto snap = std::make_unique<FrozenTrial>();
    snap->number = r.t.number;
    snap->trial_id = r.t.trial_id;
    snap->state = r.t.state == TrialState::kWaiting ? TrialState::kWaiting : TrialState::kRunning;
    snap->datetime_start_ms = r.t.datetime_start_ms;
    if (in_window || r.ours) {
      // Only what was decided deterministically at ask time.
      for (const auto& [name, v] : r.planned) {
        auto it = r.planned_space.find(name);
        if (it == r.planned_space.end()) continue;
        snap->params[name] = v;
        snap->distributions.emplace(name, it->second);
      }
      snap->system_attrs = r.planned_attrs;
    } else {
      snap->params = r.t.params;
      snap->distributions = r.t.distributions;
      snap->intermediate_values = r.t.intermediate_values;
    }
    view->trials[static_cast<size_t>(k)] = snap.get();
    view->owned.push_back(std::move(snap));
  };
  for (int64_t k : unfinished_) {
    if (k >= n) break;
    if (k < lo) patch(k);
  }
  for (int64_t k = lo; k < n; ++k) patch(k);
  return view;
}

std::shared_ptr<StudyView> Study::build_live_view(int64_t exclude_number) {
  auto view = std::make_shared<StudyView>();
  view->study_name = options_.name;
  view->directions = directions_;
  view->seed = sampler_->seed();
  view->declared_space = declared_space_;
  std::lock_guard<std::mutex> lock(mu_);
  view->number = static_cast<int64_t>(records_.size());
  for (const auto& r : records_) {
    if (r->t.number == exclude_number) continue;
    if (is_finished(r->t.state)) {
      view->trials.push_back(&r->t);
    } else {
      auto snap = std::make_unique<FrozenTrial>(r->t);
      view->trials.push_back(snap.get());
      view->owned.push_back(std::move(snap));
    }
  }
  return view;
}

// ---------------------------------------------------------------------------------------------
// ask / tell

Trial Study::ask(int horizon) {
  return *ask_impl(horizon, false);
}

std::optional<Trial> Study::ask_impl(int horizon, bool stop_if_exhausted) {
  std::lock_guard<std::mutex> ask_lock(ask_mu_);
  Record* rec = nullptr;
  std::shared_ptr<StudyView> view;
  {
    std::unique_lock<std::mutex> lock(mu_);
    sync_locked();
    if (stop_if_exhausted) {
      if (waiting_.empty()) {
        // Decided on the same (deterministic) history the next trial would see.
        const int64_t next = static_cast<int64_t>(records_.size());
        lock.unlock();
        view = build_view(next, horizon);
        if (sampler_->exhausted(*view)) return std::nullopt;
        lock.lock();
        sync_locked();
      }
    }
    const Json claim_attrs = {{kWorkerAttr, worker_id_}};
    for (const int64_t k : std::vector<int64_t>(waiting_.begin(), waiting_.end())) {
      auto& r = records_[static_cast<size_t>(k)];
      const int64_t start = now_ms();
      if (storage_->claim_waiting_trial(study_id_, r->t.trial_id, start, claim_attrs)) {
        r->t.state = TrialState::kRunning;
        r->t.datetime_start_ms = start;
        r->t.system_attrs[kWorkerAttr] = worker_id_;
        r->ours = true;
        running_ours_.insert(r->t.number);
        index_state_locked(*r);
        rec = r.get();
        break;
      }
    }
    if (!rec) {
      FrozenTrial tmpl;
      tmpl.state = TrialState::kRunning;
      tmpl.datetime_start_ms = now_ms();
      tmpl.system_attrs[kWorkerAttr] = worker_id_;
      FrozenTrial created = storage_->create_trial(study_id_, tmpl);
      sync_locked();  // also brings in trials other processes created meanwhile
      rec = records_[static_cast<size_t>(created.number)].get();
      rec->t = created;
      rec->ours = true;
      running_ours_.insert(rec->t.number);
      index_state_locked(*rec);
    }
  }
  auto ctx = std::make_shared<TrialContext>();
  ctx->study = this;
  ctx->record = rec;
  ctx->number = rec->t.number;
  if (rec->t.system_attrs.contains(kFixedAttr)) ctx->fixed_params = rec->t.system_attrs[kFixedAttr];
  if (!view || view->number != ctx->number) view = build_view(ctx->number, horizon);
  ctx->view = view;
  if (sampler_->uses_pruner_filter()) pruner_->filter_for_sampler(*ctx->view, rec->t);
  const Json attrs_before = rec->t.system_attrs;
  sampler_->before_trial(*ctx->view, rec->t);
  ctx->relative_space = sampler_->infer_relative_search_space(*ctx->view, rec->t);
  if (!ctx->relative_space.empty()) {
    ctx->relative = sampler_->sample_relative(*ctx->view, rec->t, ctx->relative_space);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    rec->planned = ctx->relative;
    rec->planned_space = ctx->relative_space;
    rec->planned_attrs = rec->t.system_attrs;
    if (rec->t.system_attrs != attrs_before) write_locked(*rec);
  }
  return Trial(this, ctx);
}

double Study::suggest_for(TrialContext& ctx, const std::string& name, const Distribution& dist) {
  Record& rec = *static_cast<Record*>(ctx.record);
  if (ctx.finished)
    throw UserError("trial " + std::to_string(ctx.number) + " is finished; cannot suggest '" +
                    name + "'");
  {
    auto it = rec.t.params.find(name);
    if (it != rec.t.params.end()) {
      check_compatible(name, rec.t.distributions.at(name), dist);
      return it->second;
    }
  }
  double v;
  if (ctx.fixed_params.contains(name)) {
    v = dist.to_internal(ctx.fixed_params[name]);
    if (!dist.contains(v))
      log_warning("enqueued value " + ctx.fixed_params[name].dump() + " of '" + name +
                  "' is outside " + dist.describe() + "; using it anyway");
  } else if (dist.single()) {
    v = dist.value_at(0);
  } else if (ctx.relative.count(name) && ctx.relative_space.count(name) &&
             ctx.relative_space.at(name) == dist) {
    v = ctx.relative.at(name);
  } else {
    v = sampler_->sample_independent(*ctx.view, rec.t, name, dist);
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    // A parameter keeps its type across the study (checked against its first distribution).
    auto known = param_dists_.find(name);
    if (known == param_dists_.end())
      param_dists_.emplace(name, dist);
    else
      check_compatible(name, known->second, dist);
    rec.t.params[name] = v;
    rec.t.distributions.emplace(name, dist);
  }
  if (ctx.reuse_duplicates) check_duplicate(ctx);
  return v;
}

void Study::check_duplicate(TrialContext& ctx) {
  Record& rec = *static_cast<Record*>(ctx.record);
  const uint64_t h = config_hash(rec.t.params);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    auto range = finished_configs_.equal_range(h);
    for (auto it = range.first; it != range.second; ++it) {
      const Record& other = *records_[static_cast<size_t>(it->second)];
      if (other.t.params == rec.t.params) throw DuplicateConfiguration(other.t.number);
    }
    // An earlier trial of ours with the same configuration is still running: wait for its
    // result rather than evaluating twice (only earlier numbers, so waits cannot form a cycle).
    const Record* running = nullptr;
    for (int64_t k : running_ours_) {
      if (k >= ctx.number) break;
      const Record& r = *records_[static_cast<size_t>(k)];
      if (r.t.params == rec.t.params) {
        running = &r;
        break;
      }
    }
    if (!running) return;
    cv_.wait(lock, [&] { return running->t.state != TrialState::kRunning; });
  }
}

void Study::report_for(TrialContext& ctx, int64_t step, double value) {
  Record& rec = *static_cast<Record*>(ctx.record);
  if (step < 0) throw UserError("report: step must be >= 0, got " + std::to_string(step));
  std::lock_guard<std::mutex> lock(mu_);
  if (rec.t.intermediate_values.count(step)) {
    log_warning("trial " + std::to_string(ctx.number) + ": step " + std::to_string(step) +
                " was already reported; keeping the first value");
    return;
  }
  rec.t.intermediate_values[step] = value;
  write_locked(rec);
}

bool Study::should_prune_for(TrialContext& ctx) {
  Record& rec = *static_cast<Record*>(ctx.record);
  auto view = build_live_view(ctx.number);
  const Json before = rec.t.system_attrs;
  const bool prune = pruner_->prune(*view, rec.t);
  if (rec.t.system_attrs != before) {
    std::lock_guard<std::mutex> lock(mu_);
    write_locked(rec);
  }
  return prune;
}

void Study::set_attr_for(TrialContext& ctx, bool user, const std::string& key, const Json& value) {
  Record& rec = *static_cast<Record*>(ctx.record);
  std::lock_guard<std::mutex> lock(mu_);
  (user ? rec.t.user_attrs : rec.t.system_attrs)[key] = value;
}

FrozenTrial Study::snapshot_for(const TrialContext& ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<Record*>(ctx.record)->t;
}

FrozenTrial Study::finish(TrialContext& ctx, TrialState state, std::vector<double> values,
                          std::optional<int64_t> reused_from) {
  Record& rec = *static_cast<Record*>(ctx.record);
  if (ctx.finished) throw UserError("trial " + std::to_string(ctx.number) + " is already finished");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reused_from) {
      const FrozenTrial& orig = records_[static_cast<size_t>(*reused_from)]->t;
      state = orig.state;
      values = orig.values;
      rec.t.intermediate_values = orig.intermediate_values;
      for (auto it = orig.user_attrs.begin(); it != orig.user_attrs.end(); ++it)
        if (!rec.t.user_attrs.contains(it.key())) rec.t.user_attrs[it.key()] = it.value();
      rec.t.system_attrs[kReusedAttr] = *reused_from;
    }
    rec.t.state = state;
    rec.t.values = std::move(values);
    rec.t.datetime_complete_ms = now_ms();
    running_ours_.erase(rec.t.number);
    index_state_locked(rec);
  }
  sampler_->after_trial(*this, rec.t);
  FrozenTrial out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ctx.finished = true;
    try {
      write_locked(rec);
    } catch (...) {
      cv_.notify_all();
      throw;
    }
    if ((state == TrialState::kComplete || state == TrialState::kPruned) && !reused_from)
      finished_configs_.emplace(config_hash(rec.t.params), rec.t.number);
    out = rec.t;
  }
  cv_.notify_all();
  return out;
}

FrozenTrial Study::tell(int64_t number, const std::vector<double>& values) {
  return tell(number, TrialState::kComplete, values);
}

FrozenTrial Study::tell(int64_t number, TrialState state, const std::vector<double>& values) {
  std::shared_ptr<TrialContext> ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (number < 0 || number >= static_cast<int64_t>(records_.size()))
      throw UserError("tell: study '" + options_.name + "' has no trial " + std::to_string(number));
    Record& rec = *records_[static_cast<size_t>(number)];
    if (rec.t.state != TrialState::kRunning || !rec.ours)
      throw UserError("tell: trial " + std::to_string(number) + " is " + to_string(rec.t.state) +
                      (rec.ours ? "" : " or not run by this process") + "; cannot finish it");
    ctx = std::make_shared<TrialContext>();
    ctx->study = this;
    ctx->record = &rec;
    ctx->number = number;
  }
  return tell_impl(*ctx, state, values);
}

FrozenTrial Study::tell_impl(TrialContext& ctx, TrialState state,
                             const std::vector<double>& values) {
  const int64_t number = ctx.number;
  std::vector<double> vals = values;
  if (state == TrialState::kComplete) {
    std::string problem;
    if (vals.size() != directions_.size())
      problem = "returned " + std::to_string(vals.size()) + " value(s) for " +
                std::to_string(directions_.size()) + " objective(s)";
    for (double v : vals)
      if (std::isnan(v)) problem = "returned NaN";
    if (!problem.empty()) {
      log_warning("trial " + std::to_string(number) + " " + problem + "; marked FAIL");
      state = TrialState::kFail;
      vals.clear();
    }
  } else if (state == TrialState::kPruned) {
    // As Optuna: a pruned single-objective trial takes its last finite intermediate value.
    if (vals.empty() && directions_.size() == 1) {
      const Record& rec = *static_cast<Record*>(ctx.record);
      if (!rec.t.intermediate_values.empty() &&
          std::isfinite(rec.t.intermediate_values.rbegin()->second))
        vals = {rec.t.intermediate_values.rbegin()->second};
    }
  } else if (state == TrialState::kFail) {
    vals.clear();
  } else {
    throw UserError("tell: a trial can only be finished as COMPLETE, PRUNED or FAIL");
  }
  return finish(ctx, state, std::move(vals), std::nullopt);
}

void Study::enqueue_trial(const Json& params, const Json& user_attrs, bool skip_if_exists) {
  if (!params.is_object()) throw UserError("enqueue_trial: params must be a {name: value} table");
  std::lock_guard<std::mutex> ask_lock(ask_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  sync_locked();
  if (skip_if_exists) {
    for (const auto& r : records_) {
      if (r->t.system_attrs.contains(kFixedAttr) && r->t.system_attrs[kFixedAttr] == params) return;
      if (!r->t.params.empty() && r->t.params_json() == params) return;
    }
  }
  FrozenTrial tmpl;
  tmpl.state = TrialState::kWaiting;
  tmpl.system_attrs[kFixedAttr] = params;
  tmpl.user_attrs = user_attrs.is_null() ? Json::object() : user_attrs;
  storage_->create_trial(study_id_, tmpl);
  sync_locked();
}

// ---------------------------------------------------------------------------------------------
// optimize

OptimizeSummary Study::optimize(const Objective& objective, const OptimizeOptions& opts) {
  int n_jobs = opts.n_jobs;
  if (n_jobs == -1) n_jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (n_jobs < 1) throw UserError("n_jobs must be >= 1 or -1, got " + std::to_string(opts.n_jobs));
  stop_requested_ = false;
  OptimizeSummary summary;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed_s = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::mutex summary_mu;
  std::atomic<int64_t> n_claimed{0};
  std::exception_ptr error;
  auto fail_with = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(summary_mu);
    if (!error) error = e;
    stop_requested_ = true;
  };

  auto worker = [&] {
    for (;;) {
      if (stop_requested_) return;
      if (opts.timeout_s > 0 && elapsed_s() >= opts.timeout_s) {
        std::lock_guard<std::mutex> lock(summary_mu);
        summary.timed_out = true;
        return;
      }
      if (opts.n_trials >= 0 && n_claimed.fetch_add(1) >= opts.n_trials) return;
      std::optional<Trial> trial;
      try {
        trial = ask_impl(n_jobs, true);
      } catch (...) {
        fail_with(std::current_exception());
        return;
      }
      if (!trial) {
        std::lock_guard<std::mutex> lock(summary_mu);
        summary.exhausted = true;
        stop_requested_ = true;
        return;
      }
      try {
        const FrozenTrial done = run_one(*trial, objective, opts);
        {
          std::lock_guard<std::mutex> lock(summary_mu);
          ++summary.n_started;
          if (done.system_attrs.contains(kReusedAttr)) ++summary.n_reused;
          if (done.state == TrialState::kComplete) ++summary.n_complete;
          if (done.state == TrialState::kPruned) ++summary.n_pruned;
          if (done.state == TrialState::kFail) ++summary.n_failed;
        }
        std::lock_guard<std::mutex> lock(callback_mu_);
        for (const auto& cb : opts.callbacks) cb(*this, done);
      } catch (...) {
        fail_with(std::current_exception());
        return;
      }
    }
  };

  if (n_jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (int k = 0; k < n_jobs; ++k) threads.emplace_back(worker);
    for (auto& th : threads) th.join();
  }
  summary.elapsed_s = elapsed_s();
  if (error) std::rethrow_exception(error);
  return summary;
}

FrozenTrial Study::run_one(Trial& trial, const Objective& objective, const OptimizeOptions& opts) {
  TrialContext& ctx = *trial.ctx_;
  ctx.reuse_duplicates = options_.reuse_duplicates;
  std::vector<double> values;
  try {
    values = objective(trial);
  } catch (const TrialPruned&) {
    return tell_impl(ctx, TrialState::kPruned, {});
  } catch (const DuplicateConfiguration& d) {
    return finish(ctx, TrialState::kComplete, {}, d.original());
  } catch (const std::exception& e) {
    if (ctx.finished) throw;
    log_warning("trial " + std::to_string(ctx.number) + " failed: " + e.what());
    set_attr_for(ctx, false, "fail_reason", std::string(e.what()));
    FrozenTrial done = finish(ctx, TrialState::kFail, {}, std::nullopt);
    if (!opts.catch_exceptions) throw;
    return done;
  } catch (...) {
    if (ctx.finished) throw;
    log_warning("trial " + std::to_string(ctx.number) + " failed with a non-standard exception");
    FrozenTrial done = finish(ctx, TrialState::kFail, {}, std::nullopt);
    if (!opts.catch_exceptions) throw;
    return done;
  }
  return tell_impl(ctx, TrialState::kComplete, values);
}

// ---------------------------------------------------------------------------------------------
// Results

std::vector<FrozenTrial> Study::trials(std::initializer_list<TrialState> states) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_locked();
  std::vector<FrozenTrial> out;
  out.reserve(records_.size());
  for (const auto& r : records_) {
    bool keep = states.size() == 0;
    for (auto s : states) keep = keep || r->t.state == s;
    if (keep) out.push_back(r->t);
  }
  return out;
}

size_t Study::n_trials() {
  std::lock_guard<std::mutex> lock(mu_);
  sync_locked();
  return records_.size();
}

FrozenTrial Study::trial(int64_t number) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_locked();
  if (number < 0 || number >= static_cast<int64_t>(records_.size()))
    throw UserError("study '" + options_.name + "' has no trial " + std::to_string(number));
  return records_[static_cast<size_t>(number)]->t;
}

FrozenTrial Study::best_trial() {
  if (multi_objective())
    throw UserError("best_trial is for single-objective studies; study '" + options_.name +
                    "' has " + std::to_string(directions_.size()) +
                    " objectives (use best_trials)");
  auto complete = trials({TrialState::kComplete});
  if (complete.empty()) throw UserError("study '" + options_.name + "' has no COMPLETE trial yet");
  const double sign = loss_sign(directions_[0]);
  const FrozenTrial* best = &complete[0];
  for (const auto& t : complete)
    if (sign * t.values[0] < sign * best->values[0]) best = &t;
  return *best;
}

std::vector<FrozenTrial> Study::best_trials() {
  auto complete = trials({TrialState::kComplete});
  std::vector<const FrozenTrial*> ptrs;
  for (const auto& t : complete) ptrs.push_back(&t);
  const auto front = pareto_front_indices(to_losses(ptrs, directions_));
  std::vector<FrozenTrial> out;
  for (size_t i : front) out.push_back(complete[i]);
  return out;
}

}  // namespace chop::search
