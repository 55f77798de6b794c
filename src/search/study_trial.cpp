// The Trial handle and the study's per-trial operations behind it: suggest (with duplicate
// reuse), report, pruning checks and attributes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/error.h"
#include "core/interrupt.h"
#include "core/log.h"
#include "search/study.h"
#include "search/study_internal.h"

namespace chop::search {

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

void Trial::set_repeat_by_return(bool on) {
  ctx_->repeat_by_return = on;
}
std::optional<int64_t> Trial::repeat_of() const {
  return ctx_->repeat_of;
}

namespace {
// A trial found to repeat a finished configuration goes no further (set_repeat_by_return).
void throw_if_repeat(const TrialContext& ctx) {
  if (ctx.repeat_of) throw DuplicateConfiguration(*ctx.repeat_of);
}
}  // namespace

double Study::suggest_for(TrialContext& ctx, const std::string& name, const Distribution& dist) {
  Record& rec = *static_cast<Record*>(ctx.record);
  if (ctx.finished)
    throw UserError("trial " + std::to_string(ctx.number) + " is finished; cannot suggest '" +
                    name + "'");
  throw_if_repeat(ctx);
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
    ctx.params_unpublished = true;
    ctx.config_settled = false;
    ctx.config_text_valid = false;
  }
  if (ctx.reuse_duplicates) check_duplicate(ctx);
  return v;
}

void Study::check_duplicate(TrialContext& ctx) {
  Record& rec = *static_cast<Record*>(ctx.record);
  std::unique_lock<std::mutex> lock(mu_);
  // Matched on the configuration's values (config_of), so a study whose choice lists were
  // reordered can never answer a trial with another configuration's result. The text is built
  // only when something could match it: this runs after every suggest, and mid-suggest the
  // configuration has fewer members than any finished one.
  const std::optional<size_t> n_members = config_size(rec.t);
  std::string text;
  bool have_text = false;
  auto our_text = [&]() -> const std::string& {
    if (!have_text) {
      text = config_text(rec.t);
      have_text = true;
      ctx.config_text = text;  // claim_config's key, unless a param or attribute changes first
      ctx.config_text_valid = true;
    }
    return text;
  };
  for (;;) {
    if (!n_members || finished_config_sizes_.count(*n_members)) {
      const std::string& ours = our_text();
      auto range = finished_configs_.equal_range(stable_hash(ours));
      for (auto it = range.first; it != range.second; ++it) {
        const Record& other = *records_[static_cast<size_t>(it->second)];
        if (other.config_text != ours) continue;
        if (!ctx.repeat_by_return) throw DuplicateConfiguration(other.t.number);
        ctx.repeat_of = other.t.number;
        return;
      }
    }
    // An earlier trial of ours with the same configuration is still running: wait for its
    // result rather than evaluating twice (only earlier numbers, so waits cannot form a cycle).
    const Record* running = nullptr;
    for (int64_t k : running_ours_) {
      if (k >= ctx.number) break;
      const Record& r = *records_[static_cast<size_t>(k)];
      if (r.t.params.size() == rec.t.params.size() && config_text(r.t) == our_text()) {
        running = &r;
        break;
      }
    }
    if (!running) return;
    cv_.wait(lock, [&] { return running->t.state != TrialState::kRunning; });
  }
}

// The objective has suggested its configuration and goes on to evaluate it (its first report,
// attribute or prune question): claim it in the study, so workers sharing the study evaluate
// it once. When another trial holds it, wait for that trial and reuse its result
// (DuplicateConfiguration); if it fails, take the claim over and evaluate.
void Study::claim_config(TrialContext& ctx) {
  if (ctx.config_settled) return;
  ctx.config_settled = true;
  Record& rec = *static_cast<Record*>(ctx.record);
  if (!ctx.reuse_duplicates || !storage_->shared_between_processes() || rec.t.params.empty() ||
      !ctx.fixed_params.empty())
    return;
  std::string config;
  {
    std::lock_guard<std::mutex> lock(mu_);
    config = ctx.config_text_valid ? ctx.config_text : config_text(rec.t);
  }
  const std::string key = claim_key(config);
  double wait_s = 0.05;
  for (;;) {
    int64_t holder = -1;
    {
      // The trial's suggested params go with the claim, in its commit: stored before the
      // evaluation starts (a killed worker's retry needs them; other workers' samplers see
      // them), for no write of their own (set_attr_for then has nothing to publish).
      std::lock_guard<std::mutex> lock(mu_);
      const bool publish = ctx.params_unpublished;
      if (publish) rec.t.system_attrs["chop:heartbeat_ms"] = now_ms();
      holder =
          storage_->claim_configuration(study_id_, key, rec.t.trial_id, publish ? &rec.t : nullptr);
      if (holder == Storage::kClaimTrialFinished) adopt_finished_elsewhere_locked(rec);
      ctx.params_unpublished = false;
    }
    if (holder < 0) return;
    log_debug("trial " + std::to_string(ctx.number) + " waits for trial " + std::to_string(holder) +
              ", which evaluates the same configuration");
    for (;;) {
      if (stop_requested_ || interrupt_requested()) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        sync_locked();
        if (holder < static_cast<int64_t>(records_.size())) {
          const FrozenTrial& h = records_[static_cast<size_t>(holder)]->t;
          if (h.state == TrialState::kComplete || h.state == TrialState::kPruned) {
            if (config_text(h) != config) return;  // (a key clash: evaluate it here)
            throw DuplicateConfiguration(h.system_attrs.value(kReusedAttr, holder));
          }
          if (h.state == TrialState::kFail) break;  // claim it again (it hands the claim on)
        }
      }
      if (options_.heartbeat_interval_s > 0) fail_stale_heartbeats();
      std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
      wait_s = std::min(wait_s * 2, 1.0);
    }
  }
}

void Study::report_for(TrialContext& ctx, int64_t step, double value) {
  Record& rec = *static_cast<Record*>(ctx.record);
  if (step < 0) throw UserError("report: step must be >= 0, got " + std::to_string(step));
  throw_if_repeat(ctx);
  claim_config(ctx);
  std::lock_guard<std::mutex> lock(mu_);
  if (rec.t.intermediate_values.count(step)) {
    log_warning("trial " + std::to_string(ctx.number) + ": step " + std::to_string(step) +
                " was already reported; keeping the first value");
    return;
  }
  rec.t.intermediate_values[step] = value;
  ctx.params_unpublished = false;
  write_locked(rec);
}

bool Study::should_prune_for(TrialContext& ctx) {
  throw_if_repeat(ctx);
  claim_config(ctx);
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
  throw_if_repeat(ctx);
  claim_config(ctx);
  Record& rec = *static_cast<Record*>(ctx.record);
  std::lock_guard<std::mutex> lock(mu_);
  (user ? rec.t.user_attrs : rec.t.system_attrs)[key] = value;
  ctx.config_text_valid = false;  // config_of may read attributes
  // Others' samplers see this trial's params from here on (a lone process writes nothing).
  if (ctx.params_unpublished && others_active_) {
    ctx.params_unpublished = false;
    write_locked(rec);
  }
}

FrozenTrial Study::snapshot_for(const TrialContext& ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<Record*>(ctx.record)->t;
}

}  // namespace chop::search
