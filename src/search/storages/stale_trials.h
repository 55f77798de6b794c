// What becomes of a trial whose worker stopped beating (Optuna's heartbeat semantics): the FAIL
// record, and the WAITING copy that retries it (Optuna's RetryFailedTrialCallback). Shared by
// every storage so they fail and re-queue alike.
#pragma once

#include <cstdint>
#include <optional>

#include "search/trial.h"

namespace chop::search {

/// `running` marked FAIL at `now_ms`, with system attr fail_reason naming its worker.
FrozenTrial stale_trial_failed(const FrozenTrial& running, double grace_s, int64_t now_ms);

/// The WAITING copy that retries `failed` (same params and distributions, fixed_params, user
/// attrs, intermediate values dropped), with system attrs failed_trial (the first failed
/// number) and retry_history (every failed number so far); nullopt once `max_retry` retries
/// were made (or max_retry <= 0).
std::optional<FrozenTrial> stale_trial_retry(const FrozenTrial& failed, int max_retry);

}  // namespace chop::search
