// Study: trial bookkeeping, ask/tell, resume, and the write-through to the storage. The trial
// list lives in memory (index = trial number). Trial handles: study_trial.cpp; views, the
// optimize loop and results: study_optimize.cpp.
#include "search/study.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "search/samplers/random.h"
#include "search/storages/stale_trials.h"
#include "search/study_internal.h"

namespace chop::search {

namespace {

std::string this_worker_id() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
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
      enqueue_retry_locked(t);
    }
  }
  if (!failed_on_resume_.empty())
    log_warning("study '" + options_.name + "': marked " +
                std::to_string(failed_on_resume_.size()) +
                " trial(s) left RUNNING by an ended process as FAIL");
  cv_.notify_all();
}

void Study::enqueue_retry_locked(const FrozenTrial& failed) {
  if (auto retry = stale_trial_retry(failed, options_.retry_failed)) {
    ingest_locked({storage_->create_trial(study_id_, *retry)});
    log_warning("study '" + options_.name + "': trial " + std::to_string(failed.number) +
                " re-queued with the same parameters (retry " +
                std::to_string((*retry).system_attrs["retry_history"].size()) + " of " +
                std::to_string(options_.retry_failed) + ")");
  }
}

void Study::fail_stale_heartbeats() {
  const double grace =
      options_.grace_period_s > 0 ? options_.grace_period_s : 2 * options_.heartbeat_interval_s;
  bool none_running = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    none_running = running_ours_.empty() &&
                   std::none_of(unfinished_.begin(), unfinished_.end(), [&](int64_t k) {
                     return records_[static_cast<size_t>(k)]->t.state == TrialState::kRunning;
                   });
  }
  std::vector<FrozenTrial> changed =
      storage_->fail_stale_trials(study_id_, grace, options_.retry_failed, none_running);
  if (changed.empty()) return;
  for (const FrozenTrial& t : changed)
    if (t.state == TrialState::kFail)
      log_warning("study '" + options_.name + "': trial " + std::to_string(t.number) + " " +
                  t.system_attrs.value("fail_reason", std::string("is stale")) + "; marked FAIL" +
                  (stale_trial_retry(t, options_.retry_failed) ? " and re-queued" : ""));
  // Our own writes are not read back from the storage (it may skip them): index them here.
  std::lock_guard<std::mutex> lock(mu_);
  ingest_locked(std::move(changed));
}

// Records a heartbeat for this process's running trials every interval until optimize() ends.
// A failing write (the server is away) is only logged: the trial goes on, and the grace period
// decides whether others give up on it.
void Study::heartbeat_loop() {
  const auto interval = std::chrono::duration<double>(options_.heartbeat_interval_s);
  std::unique_lock<std::mutex> hlock(heartbeat_mu_);
  while (!heartbeat_cv_.wait_for(hlock, interval, [&] { return heartbeat_stop_; })) {
    std::vector<int64_t> ids;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int64_t k : running_ours_) ids.push_back(records_[static_cast<size_t>(k)]->t.trial_id);
    }
    hlock.unlock();
    try {
      storage_->record_heartbeats(ids);
    } catch (const std::exception& e) {
      log_warning(std::string("heartbeat not recorded: ") + e.what());
    }
    hlock.lock();
  }
}

void Study::declare_search_space(const ParamSpace& space) {
  std::lock_guard<std::mutex> lock(ask_mu_);
  declared_space_ = space;
}

// ---------------------------------------------------------------------------------------------
// Synchronisation with the storage

void Study::sync() {
  std::lock_guard<std::mutex> lock(mu_);
  sync_locked();
}

std::string Study::config_text(const FrozenTrial& t) const {
  return (options_.config_of ? options_.config_of(t) : t.params_json()).dump();
}

std::optional<size_t> Study::config_size(const FrozenTrial& t) const {
  if (!options_.config_of) return t.params.size();
  if (options_.config_size_of) return options_.config_size_of(t);
  return std::nullopt;
}

void Study::index_finished_config_locked(Record& rec) {
  const Json config = options_.config_of ? options_.config_of(rec.t) : rec.t.params_json();
  rec.config_text = config.dump();  // the bytes config_text(rec.t) gives
  finished_configs_.emplace(stable_hash(rec.config_text), rec.t.number);
  if (!config.is_object()) return;
  const std::optional<size_t> n = config_size(rec.t);
  CHOP_ASSERT(!n || *n == config.size(), "StudyOptions::config_size_of disagrees with config_of");
  finished_config_sizes_.insert(config.size());
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
    if (!rec.ours && t.state == TrialState::kRunning) others_active_ = true;
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
        index_finished_config_locked(rec);
    }
  }
  if (any_finished) cv_.notify_all();
}

void Study::write_locked(Record& rec) {
  rec.t.system_attrs["chop:heartbeat_ms"] = now_ms();
  if (!storage_->write_trial(study_id_, rec.t)) adopt_finished_elsewhere_locked(rec);
}

void Study::adopt_finished_elsewhere_locked(Record& rec) {
  // Another worker finished (e.g. failed as stale) this trial: adopt the stored state. The read
  // covers the whole study, and everything in it is taken in: the storage now counts the study
  // as read up to here, so a later sync from the old cursor would skip the other trials.
  int64_t cursor = 0;
  std::vector<FrozenTrial> all = storage_->changed_trials(study_id_, cursor);
  for (const auto& t : all)
    if (t.number == rec.t.number) rec.t = t;
  index_state_locked(rec);
  ingest_locked(std::move(all));
  sync_cursor_ = std::max(sync_cursor_, cursor);
  running_ours_.erase(rec.t.number);
  cv_.notify_all();
  throw TrialFinishedElsewhere("trial " + std::to_string(rec.t.number) + " of study '" +
                               options_.name + "' was finished by another worker (" +
                               to_string(rec.t.state) + ")");
}

// ---------------------------------------------------------------------------------------------
// ask / tell

Trial Study::ask(int horizon) {
  return *ask_impl(horizon, false);
}

std::optional<Trial> Study::ask_impl(int horizon, bool stop_if_exhausted, int64_t max_trials,
                                     bool* study_full) {
  std::lock_guard<std::mutex> ask_lock(ask_mu_);
  if (options_.heartbeat_interval_s > 0) fail_stale_heartbeats();
  if (sampler_->claims_at_ask() && storage_->shared_between_processes() &&
      options_.reuse_duplicates && !declared_space_.empty()) {
    bool decided = false;
    std::optional<Trial> t = ask_claiming(horizon, stop_if_exhausted, max_trials, study_full,
                                          &decided);
    if (decided) return t;
  }
  Record* rec = nullptr;
  bool claimed_waiting = false;
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
        claimed_waiting = true;
        break;
      }
    }
    if (!rec) {
      FrozenTrial tmpl;
      tmpl.state = TrialState::kRunning;
      tmpl.datetime_start_ms = now_ms();
      tmpl.system_attrs[kWorkerAttr] = worker_id_;
      // The first heartbeat rides with the creation (one commit fewer per trial).
      FrozenTrial created =
          storage_->create_trial(study_id_, tmpl, max_trials, options_.heartbeat_interval_s > 0);
      if (created.number < 0) {  // the study holds max_trials already
        if (study_full) *study_full = true;
        return std::nullopt;
      }
      // Our own write is not read back from the storage (the storage may skip it): index it here.
      ingest_locked({created});
      sync_locked();  // brings in trials other processes created meanwhile
      rec = records_[static_cast<size_t>(created.number)].get();
      rec->t = created;
      rec->ours = true;
      running_ours_.insert(rec->t.number);
      index_state_locked(*rec);
    }
  }
  // The first heartbeat at once: a worker killed before the next interval is noticed too (a
  // trial created here got it in the creating transaction).
  if (claimed_waiting && options_.heartbeat_interval_s > 0)
    storage_->record_heartbeats({rec->t.trial_id});
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
      index_finished_config_locked(rec);
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
  ingest_locked({storage_->create_trial(study_id_, tmpl)});
  sync_locked();
}

}  // namespace chop::search
