// Study management over any storage, the work behind `chop study list|show|export|copy|delete`:
// find a study by name, read its trials, its best trials, exports to CSV/JSON, copying a study
// between storages (SQLite <-> PostgreSQL) and deleting one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "search/storage.h"

namespace chop::search {

/// The study called `name`; UserError naming the storage and its studies otherwise.
StudySummary find_study(Storage& storage, const std::string& name);

/// Every trial of the study, in number order (as stored; nothing is marked or changed).
std::vector<FrozenTrial> load_study_trials(Storage& storage, const StudySummary& study);

/// COMPLETE trials with the best value (one objective) or on the Pareto front (several).
std::vector<FrozenTrial> best_of(const StudySummary& study, const std::vector<FrozenTrial>& trials);

/// The study and its trials as JSON: name, directions, state counts, and per trial number,
/// state, values, params (external values) with distributions, intermediate values, user and
/// system attributes, start/complete times (ISO 8601) and duration_s.
Json study_to_json(const StudySummary& study, const std::vector<FrozenTrial>& trials);

/// One row per trial in Optuna's trials_dataframe layout: number, value (values_<k> for several
/// objectives), datetime_start, datetime_complete, duration_s, params_<name>...,
/// user_attrs_<key>..., state. RFC 4180 quoting.
std::string study_to_csv(const StudySummary& study, const std::vector<FrozenTrial>& trials);

struct CopyResult {
  int64_t n_trials = 0;
  int64_t n_unfinished = 0;  // RUNNING/WAITING trials copied as they were
};

/// Copies study `name` of `from` to `to` as `new_name` (empty: the same name): directions,
/// study attributes and every trial with its number, state, params, values, attributes and
/// times. Refuses (UserError) when `to` already has a study of that name. A copy that fails
/// midway deletes what it wrote.
CopyResult copy_study(Storage& from, const std::string& name, Storage& to,
                      const std::string& new_name = "");

/// "2024-05-01T13:45:07.123" in local time, as Optuna's naive datetimes ("" for 0).
std::string iso_datetime(int64_t ms);

}  // namespace chop::search
