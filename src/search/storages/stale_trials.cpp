// Stale trials: FAIL records and retries; see stale_trials.h.
#include "search/storages/stale_trials.h"

#include <cstdio>

namespace chop::search {

FrozenTrial stale_trial_failed(const FrozenTrial& running, double grace_s, int64_t now_ms) {
  FrozenTrial t = running;
  t.state = TrialState::kFail;
  t.datetime_complete_ms = now_ms;
  char grace[32];
  std::snprintf(grace, sizeof grace, "%g", grace_s);
  const std::string worker = t.system_attrs.value("chop:worker", std::string("its worker"));
  t.system_attrs["fail_reason"] = "no heartbeat for more than " + std::string(grace) +
                                  " s: " + worker +
                                  " stopped (killed or cut off) while the trial ran";
  return t;
}

std::optional<FrozenTrial> stale_trial_retry(const FrozenTrial& failed, int max_retry) {
  if (max_retry <= 0) return std::nullopt;
  Json history = failed.system_attrs.value("retry_history", Json::array());
  if (!history.is_array()) history = Json::array();
  history.push_back(failed.number);
  if (static_cast<int>(history.size()) > max_retry) return std::nullopt;
  FrozenTrial t;
  t.state = TrialState::kWaiting;
  t.params = failed.params;
  t.distributions = failed.distributions;
  t.user_attrs = failed.user_attrs;
  t.system_attrs["failed_trial"] = failed.system_attrs.value("failed_trial", failed.number);
  t.system_attrs["retry_history"] = history;
  t.system_attrs["fixed_params"] = failed.params_json();
  return t;
}

}  // namespace chop::search
