// Asking for a trial of an enumerating sampler (bruteforce) in a study shared between processes:
// the configuration is chosen first and the trial is created holding its claim, its parameters
// published in the same transaction — so workers never pick the same configuration, and a worker
// finds the space exhausted instead of creating a trial another worker is already evaluating.
#include <cstdio>

#include "search/study.h"
#include "search/study_internal.h"

namespace chop::search {

std::string Study::claim_key(const std::string& config_text) const {
  char key[24];
  std::snprintf(key, sizeof key, "%016llx",
                static_cast<unsigned long long>(stable_hash(config_text)));
  return key;
}

std::optional<Trial> Study::ask_claiming(int horizon, bool stop_if_exhausted, int64_t max_trials,
                                         bool* study_full, bool* decided) {
  *decided = true;
  // A held configuration sends us round again: the next sync brings in its holder's parameters,
  // so the sampler moves on. Bounded, in case a holder's parameters never become visible.
  for (int attempt = 0; attempt < 32; ++attempt) {
    int64_t next = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      sync_locked();
      if (!waiting_.empty()) break;  // enqueued trials first: the ordinary ask claims them
      next = static_cast<int64_t>(records_.size());
    }
    std::shared_ptr<StudyView> view = build_view(next, horizon);
    if (stop_if_exhausted && sampler_->exhausted(*view)) return std::nullopt;
    FrozenTrial tmpl;
    tmpl.number = next;
    tmpl.state = TrialState::kRunning;
    tmpl.datetime_start_ms = now_ms();
    tmpl.system_attrs[kWorkerAttr] = worker_id_;
    if (sampler_->uses_pruner_filter()) pruner_->filter_for_sampler(*view, tmpl);
    sampler_->before_trial(*view, tmpl);
    const ParamSpace space = sampler_->infer_relative_search_space(*view, tmpl);
    std::map<std::string, double> planned;
    if (!space.empty()) planned = sampler_->sample_relative(*view, tmpl, space);
    if (planned.size() != declared_space_.size() || planned.size() != space.size()) break;
    const Json planned_attrs = tmpl.system_attrs;
    for (const auto& [name, v] : planned) {
      tmpl.params[name] = v;
      tmpl.distributions.emplace(name, space.at(name));
    }
    int64_t holder = -1;
    const FrozenTrial created = storage_->create_trial_claiming(
        study_id_, tmpl, max_trials, claim_key(config_text(tmpl)), &holder,
        options_.heartbeat_interval_s > 0);  // the first heartbeat in the same commit
    if (created.number == -1) {
      if (study_full) *study_full = true;
      return std::nullopt;
    }
    if (created.number == -2) continue;
    Record* rec = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ingest_locked({created});
      sync_locked();
      rec = records_[static_cast<size_t>(created.number)].get();
      rec->t = created;
      rec->ours = true;
      rec->planned = planned;
      rec->planned_space = space;
      rec->planned_attrs = planned_attrs;
      running_ours_.insert(rec->t.number);
      index_state_locked(*rec);
    }
    auto ctx = std::make_shared<TrialContext>();
    ctx->study = this;
    ctx->record = rec;
    ctx->number = rec->t.number;
    ctx->view = view->number == ctx->number ? view : build_view(ctx->number, horizon);
    ctx->relative_space = space;
    ctx->relative = planned;
    return Trial(this, ctx);
  }
  *decided = false;
  return std::nullopt;
}

}  // namespace chop::search
