// Reading the trials created or changed since a cursor in chop_trial_changes (all of a study's
// trials for cursor 0, also those Optuna wrote, which has no change log); see rdb_storage.h.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "search/storages/rdb_storage.h"
#include "search/storages/rdb_values.h"

namespace chop::search::rdb {

const Distribution& RdbStorage::dist_from(const char* text) {
  auto it = dist_cache_.find(text);
  if (it != dist_cache_.end()) return it->second;
  return dist_cache_.emplace(text, Distribution::from_json(Json::parse(text))).first->second;
}

std::vector<FrozenTrial> RdbStorage::changed_locked(int64_t study_id, int64_t& cursor) {
  sql::Statement* st = &conn_->prepare("SELECT COALESCE(MAX(seq), 0) FROM chop_trial_changes");
  st->next_row();
  const int64_t new_cursor = st->column_int(0);
  st->reset();
  if (new_cursor == cursor && cursor > 0) return {};
  // cursor 0 loads every trial; later reads touch only the rows of changed trials (indexed
  // lookups, not scans).
  const bool full = cursor == 0;
  const std::string changed =
      " IN (SELECT trial_id FROM chop_trial_changes WHERE study_id = ?1 AND seq > ?2)";
  const std::string filter =
      full ? " WHERE t.study_id = ?1 AND ?2 = 0" : " WHERE t.trial_id" + changed;
  std::vector<FrozenTrial> out;
  std::unordered_map<int64_t, size_t> index;
  st = &conn_->prepare(
      conn_->intern("SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete "
                    "FROM trials t" +
                    filter + " ORDER BY t.number"));
  st->bind_int(1, study_id);
  st->bind_int(2, cursor);
  while (st->next_row()) {
    FrozenTrial t;
    t.trial_id = st->column_int(0);
    t.number = st->column_int(1);
    t.state = parse_trial_state(st->column_text(2));
    t.datetime_start_ms = parse_datetime(st->column_text(3));
    t.datetime_complete_ms = parse_datetime(st->column_text(4));
    index[t.trial_id] = out.size();
    out.push_back(std::move(t));
  }
  if (out.empty()) {
    cursor = new_cursor;
    return out;
  }
  auto rows = [&](const std::string& select, const std::string& table) -> sql::Statement& {
    auto& s = conn_->prepare(conn_->intern(
        full ? select + " FROM " + table + " x JOIN trials t ON x.trial_id = t.trial_id" + filter
             : select + " FROM " + table + " x WHERE x.trial_id" + changed));
    s.bind_int(1, study_id);
    s.bind_int(2, cursor);
    return s;
  };
  st = &rows("SELECT x.trial_id, x.param_name, x.param_value, x.distribution_json", "trial_params");
  while (st->next_row()) {
    FrozenTrial& t = out[index.at(st->column_int(0))];
    const std::string name = st->column_text(1);
    t.params[name] = st->column_double(2);
    t.distributions.emplace(name, dist_from(st->column_text(3)));
  }
  st = &rows("SELECT x.trial_id, x.objective, x.value, x.value_type", "trial_values");
  while (st->next_row()) {
    FrozenTrial& t = out[index.at(st->column_int(0))];
    const auto k = static_cast<size_t>(st->column_int(1));
    if (t.values.size() <= k) t.values.resize(k + 1, NAN);
    t.values[k] = typed_value(st->column_text(3), st->column_double(2));
  }
  st = &rows("SELECT x.trial_id, x.step, x.intermediate_value, x.intermediate_value_type",
             "trial_intermediate_values");
  while (st->next_row()) {
    FrozenTrial& t = out[index.at(st->column_int(0))];
    t.intermediate_values[st->column_int(1)] =
        typed_value(st->column_text(3), st->column_double(2));
  }
  for (int user = 0; user < 2; ++user) {
    st = &rows("SELECT x.trial_id, x.\"key\", x.value_json",
               user ? "trial_user_attributes" : "trial_system_attributes");
    while (st->next_row()) {
      FrozenTrial& t = out[index.at(st->column_int(0))];
      (user ? t.user_attrs : t.system_attrs)[st->column_text(1)] = Json::parse(st->column_text(2));
    }
  }
  cursor = new_cursor;
  return out;
}

std::vector<FrozenTrial> RdbStorage::read_trials_locked(const std::vector<int64_t>& trial_ids) {
  // For the rare trials read one by one (stale ones): a few indexed lookups each.
  std::vector<FrozenTrial> out;
  for (const int64_t id : trial_ids) {
    sql::Statement* st = &conn_->prepare(
        "SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials "
        "WHERE trial_id = ?");
    st->bind_int(1, id);
    if (!st->next_row()) continue;
    FrozenTrial t;
    t.trial_id = st->column_int(0);
    t.number = st->column_int(1);
    t.state = parse_trial_state(st->column_text(2));
    t.datetime_start_ms = parse_datetime(st->column_text(3));
    t.datetime_complete_ms = parse_datetime(st->column_text(4));
    st->reset();
    st = &conn_->prepare(
        "SELECT param_name, param_value, distribution_json FROM trial_params WHERE trial_id = ?");
    st->bind_int(1, id);
    while (st->next_row()) {
      const std::string name = st->column_text(0);
      t.params[name] = st->column_double(1);
      t.distributions.emplace(name, dist_from(st->column_text(2)));
    }
    st = &conn_->prepare(
        "SELECT objective, value, value_type FROM trial_values WHERE trial_id = ? "
        "ORDER BY objective");
    st->bind_int(1, id);
    while (st->next_row()) {
      const auto k = static_cast<size_t>(st->column_int(0));
      if (t.values.size() <= k) t.values.resize(k + 1, NAN);
      t.values[k] = typed_value(st->column_text(2), st->column_double(1));
    }
    st = &conn_->prepare(
        "SELECT step, intermediate_value, intermediate_value_type FROM "
        "trial_intermediate_values WHERE trial_id = ?");
    st->bind_int(1, id);
    while (st->next_row())
      t.intermediate_values[st->column_int(0)] =
          typed_value(st->column_text(2), st->column_double(1));
    for (int user = 0; user < 2; ++user) {
      st = &conn_->prepare(user ? "SELECT \"key\", value_json FROM trial_user_attributes "
                                  "WHERE trial_id = ?"
                                : "SELECT \"key\", value_json FROM trial_system_attributes "
                                  "WHERE trial_id = ?");
      st->bind_int(1, id);
      while (st->next_row())
        (user ? t.user_attrs : t.system_attrs)[st->column_text(0)] =
            Json::parse(st->column_text(1));
    }
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(),
            [](const FrozenTrial& a, const FrozenTrial& b) { return a.number < b.number; });
  return out;
}

}  // namespace chop::search::rdb
