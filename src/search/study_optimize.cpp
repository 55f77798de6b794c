// Views of the history (the determinism rule), the threaded optimize loop and results.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <system_error>
#include <thread>

#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "search/pareto.h"
#include "search/study.h"
#include "search/study_internal.h"

namespace chop::search {

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
// optimize

OptimizeSummary Study::optimize(const Objective& objective, const OptimizeOptions& opts) {
  int n_jobs = opts.n_jobs;
  if (n_jobs == -1) n_jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (n_jobs < 1) throw UserError("n_jobs must be >= 1 or -1, got " + std::to_string(opts.n_jobs));
  if (n_jobs > max_threads())
    throw UserError("n_jobs = " + std::to_string(n_jobs) + " is more than the " +
                    std::to_string(max_threads()) +
                    " threads chop starts (8 x this machine's hardware threads); trials are "
                    "CPU-bound, so use at most the number of cores");
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
      bool study_full = false;
      try {
        trial = ask_impl(n_jobs, true, opts.max_trials_in_study, &study_full);
      } catch (...) {
        fail_with(std::current_exception());
        return;
      }
      if (!trial && study_full && options_.heartbeat_interval_s > 0 && others_unfinished()) {
        // The study is full, but another worker's trial may still fail (its heartbeat stops)
        // and be re-queued: stay until every trial is finished, running what gets re-queued.
        if (opts.n_trials >= 0) n_claimed.fetch_sub(1);
        std::this_thread::sleep_for(
            std::chrono::duration<double>(std::min(0.5, options_.heartbeat_interval_s)));
        continue;
      }
      if (!trial) {
        std::lock_guard<std::mutex> lock(summary_mu);
        (study_full ? summary.study_full : summary.exhausted) = true;
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

  std::thread heartbeat;
  if (options_.heartbeat_interval_s > 0) {
    heartbeat_stop_ = false;
    heartbeat = std::thread([this] { heartbeat_loop(); });
  }
  if (n_jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    try {
      for (int k = 0; k < n_jobs; ++k) threads.emplace_back(worker);
    } catch (const std::system_error& e) {
      // The system refused a thread: stop the started ones, then report (never leave a
      // joinable thread behind, which would terminate the process).
      fail_with(std::make_exception_ptr(RunError(
          "could not start thread " + std::to_string(threads.size() + 1) + " of n_jobs = " +
          std::to_string(n_jobs) + " (" + e.what() + "); use a smaller n_jobs")));
    }
    for (auto& th : threads) th.join();
  }
  if (heartbeat.joinable()) {
    {
      std::lock_guard<std::mutex> lock(heartbeat_mu_);
      heartbeat_stop_ = true;
    }
    heartbeat_cv_.notify_all();
    heartbeat.join();
  }
  summary.elapsed_s = elapsed_s();
  if (error) std::rethrow_exception(error);
  return summary;
}

bool Study::others_unfinished() {
  std::lock_guard<std::mutex> lock(mu_);
  sync_locked();
  for (int64_t k : unfinished_)
    if (!running_ours_.count(k)) return true;
  return false;
}

FrozenTrial Study::run_one(Trial& trial, const Objective& objective, const OptimizeOptions& opts) {
  TrialContext& ctx = *trial.ctx_;
  try {
    return run_objective(trial, objective, opts);
  } catch (const TrialFinishedElsewhere& e) {
    // This worker was taken for dead (its heartbeat stopped for longer than the grace period):
    // the stored outcome stands, and the search goes on.
    log_warning(std::string(e.what()) + "; its result here is dropped");
    ctx.finished = true;
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<Record*>(ctx.record)->t;
  }
}

FrozenTrial Study::run_objective(Trial& trial, const Objective& objective,
                                 const OptimizeOptions& opts) {
  TrialContext& ctx = *trial.ctx_;
  ctx.reuse_duplicates = options_.reuse_duplicates;
  std::vector<double> values;
  try {
    values = objective(trial);
  } catch (const TrialFinishedElsewhere&) {
    throw;
  } catch (const TrialPruned&) {
    return tell_impl(ctx, TrialState::kPruned, {});
  } catch (const DuplicateConfiguration& d) {
    return finish(ctx, TrialState::kComplete, {}, d.original());
  } catch (const std::exception& e) {
    if (ctx.finished) throw;
    log_warning("trial " + std::to_string(ctx.number) + " failed: " + e.what());
    ctx.config_settled = true;  // a failed trial claims nothing
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
  if (ctx.repeat_of) return finish(ctx, TrialState::kComplete, {}, *ctx.repeat_of);
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
