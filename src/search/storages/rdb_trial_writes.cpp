// Writing a trial's child rows (params, values, intermediate values, attributes) so that a
// rewrite touches only what changed since this connection's last write of the trial, with each
// table's new rows in one multi-row INSERT; see rdb_storage.h.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "search/storages/rdb_storage.h"
#include "search/storages/rdb_values.h"

namespace chop::search::rdb {
namespace {

bool same_number(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

// Binds (trial_id, key, value, value_type) from column `col`: the value is NULL unless finite.
void bind_number(sql::Statement& st, int col, int64_t trial_id, int64_t key, double v) {
  st.bind_int(col, trial_id);
  st.bind_int(col + 1, key);
  if (std::isfinite(v))
    st.bind_double(col + 2, v);
  else
    st.bind_null(col + 2);
  st.bind_text(col + 3, value_type(v));
}

// Deletes the rows of `written` whose key is not kept (by the table's key column).
template <typename Map, typename Keep>
void delete_missing(sql::Connection& conn, const char* sql, int64_t trial_id, const Map& written,
                    Keep&& keep) {
  for (const auto& [key, v] : written) {
    if (keep(key)) continue;
    auto& st = conn.prepare(sql);
    st.bind_int(1, trial_id);
    if constexpr (std::is_same_v<std::decay_t<decltype(key)>, std::string>)
      st.bind_text(2, key);
    else
      st.bind_int(2, key);
    st.run();
  }
}

}  // namespace

void RdbStorage::delete_all_children(int64_t trial_id) {
  for (const char* sql : {"DELETE FROM trial_params WHERE trial_id = ?",
                          "DELETE FROM trial_values WHERE trial_id = ?",
                          "DELETE FROM trial_intermediate_values WHERE trial_id = ?",
                          "DELETE FROM trial_user_attributes WHERE trial_id = ?",
                          "DELETE FROM trial_system_attributes WHERE trial_id = ?"}) {
    auto& st = conn_->prepare(sql);
    st.bind_int(1, trial_id);
    st.run();
  }
}

// Writes t's child rows; the caller hands the result to remember() once committed (a rolled
// back write leaves no record, so the next write starts from a full delete).
RdbStorage::WrittenRows RdbStorage::write_children(const FrozenTrial& t, bool replace) {
  WrittenRows old;
  auto found = written_.find(t.trial_id);
  if (found != written_.end()) {
    old = std::move(found->second);
    written_.erase(found);
  } else if (replace) {
    delete_all_children(t.trial_id);  // rows of unknown content
  }
  WrittenRows now;
  std::vector<std::pair<const std::string*, double>> changed_params;
  for (const auto& [name, v] : t.params) {
    const std::string& dist = dist_json(t.distributions.at(name));
    now.params[name] = {v, &dist};
    auto o = old.params.find(name);
    if (o != old.params.end() && same_number(o->second.first, v) && *o->second.second == dist)
      continue;
    changed_params.emplace_back(&name, v);
  }
  for_each_insert(
      "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES ",
      "(?, ?, ?, ?)",
      " ON CONFLICT (trial_id, param_name) DO UPDATE SET param_value = excluded.param_value, "
      "distribution_json = excluded.distribution_json",
      changed_params.size(), [&](sql::Statement& st, int col, size_t i) {
        const auto& [name, v] = changed_params[i];
        st.bind_int(col, t.trial_id);
        st.bind_text(col + 1, *name);
        st.bind_double(col + 2, v);
        st.bind_text(col + 3, *now.params.at(*name).second);
      });
  delete_missing(*conn_, "DELETE FROM trial_params WHERE trial_id = ? AND param_name = ?",
                 t.trial_id, old.params,
                 [&](const std::string& k) { return t.params.count(k) > 0; });
  std::vector<int64_t> changed_values;  // objectives
  for (size_t k = 0; k < t.values.size(); ++k) {
    const auto objective = static_cast<int64_t>(k);
    now.values[objective] = t.values[k];
    auto o = old.values.find(objective);
    if (o != old.values.end() && same_number(o->second, t.values[k])) continue;
    changed_values.push_back(objective);
  }
  for_each_insert(
      "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES ", "(?, ?, ?, ?)",
      " ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, "
      "value_type = excluded.value_type",
      changed_values.size(), [&](sql::Statement& st, int col, size_t i) {
        const int64_t objective = changed_values[i];
        bind_number(st, col, t.trial_id, objective, t.values[static_cast<size_t>(objective)]);
      });
  delete_missing(*conn_, "DELETE FROM trial_values WHERE trial_id = ? AND objective = ?",
                 t.trial_id, old.values,
                 [&](int64_t k) { return k < static_cast<int64_t>(t.values.size()); });
  for (const auto& [step, v] : t.intermediate_values) {
    now.intermediate[step] = v;
    auto o = old.intermediate.find(step);
    if (o != old.intermediate.end() && same_number(o->second, v)) continue;
    write_number(
        "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
        "intermediate_value_type) VALUES (?, ?, ?, ?) ON CONFLICT (trial_id, step) DO UPDATE "
        "SET intermediate_value = excluded.intermediate_value, "
        "intermediate_value_type = excluded.intermediate_value_type",
        t.trial_id, step, v);
  }
  delete_missing(*conn_, "DELETE FROM trial_intermediate_values WHERE trial_id = ? AND step = ?",
                 t.trial_id, old.intermediate,
                 [&](int64_t k) { return t.intermediate_values.count(k) > 0; });
  write_attrs("INSERT INTO trial_user_attributes (trial_id, \"key\", value_json) VALUES ",
              " ON CONFLICT (trial_id, \"key\") DO UPDATE SET value_json = excluded.value_json",
              "DELETE FROM trial_user_attributes WHERE trial_id = ? AND \"key\" = ?", t.trial_id,
              t.user_attrs, old.user_attrs, now.user_attrs);
  write_attrs("INSERT INTO trial_system_attributes (trial_id, \"key\", value_json) VALUES ",
              " ON CONFLICT (trial_id, \"key\") DO UPDATE SET value_json = excluded.value_json",
              "DELETE FROM trial_system_attributes WHERE trial_id = ? AND \"key\" = ?", t.trial_id,
              t.system_attrs, old.system_attrs, now.system_attrs);
  return now;
}

void RdbStorage::remember(const FrozenTrial& t, WrittenRows&& rows) {
  if (!is_finished(t.state)) written_[t.trial_id] = std::move(rows);
}

// Inserts n rows with as few statements as possible (one per kRowsPerInsert rows): a finishing
// trial's params and attributes each become one statement, not one per row.
// bind(statement, first column of the row, row index) binds one row.
template <typename Bind>
void RdbStorage::for_each_insert(const char* head, const char* row, const char* tail, size_t n,
                                 Bind&& bind) {
  constexpr size_t kRowsPerInsert = 64;
  const int per_row = static_cast<int>(std::count(row, row + std::strlen(row), '?'));
  for (size_t first = 0; first < n; first += kRowsPerInsert) {
    const size_t count = std::min(kRowsPerInsert, n - first);
    auto key = std::make_pair(head, count);
    auto it = multi_sql_.find(key);
    if (it == multi_sql_.end()) {
      std::string sql = head;
      for (size_t i = 0; i < count; ++i) sql += (i ? ", " : "") + std::string(row);
      sql += tail;
      it = multi_sql_.emplace(key, conn_->intern(sql)).first;
    }
    sql::Statement& st = conn_->prepare(it->second);
    for (size_t i = 0; i < count; ++i) bind(st, 1 + static_cast<int>(i) * per_row, first + i);
    st.run();
  }
}

void RdbStorage::write_number(const char* sql, int64_t trial_id, int64_t key, double v) {
  auto& st = conn_->prepare(sql);
  bind_number(st, 1, trial_id, key, v);
  st.run();
}

void RdbStorage::write_attrs(const char* insert_head, const char* insert_tail,
                             const char* delete_sql, int64_t trial_id, const Json& attrs,
                             const std::map<std::string, std::string>& old,
                             std::map<std::string, std::string>& now) {
  std::vector<const std::pair<const std::string, std::string>*> changed;
  for (auto it = attrs.begin(); it != attrs.end(); ++it) {
    std::string text = it.value().dump();
    auto o = old.find(it.key());
    const bool same = o != old.end() && o->second == text;
    auto placed = now.emplace(it.key(), std::move(text)).first;
    if (!same) changed.push_back(&*placed);
  }
  for_each_insert(insert_head, "(?, ?, ?)", insert_tail, changed.size(),
                  [&](sql::Statement& st, int col, size_t i) {
                    st.bind_int(col, trial_id);
                    st.bind_text(col + 1, changed[i]->first);
                    st.bind_text(col + 2, changed[i]->second);
                  });
  delete_missing(*conn_, delete_sql, trial_id, old,
                 [&](const std::string& k) { return attrs.contains(k); });
}

const std::string& RdbStorage::dist_json(const Distribution& d) {
  // Parameters of one study share few distributions; cache their JSON both ways.
  for (auto& [text, dist] : dist_cache_)
    if (dist == d) return text;
  auto it = dist_cache_.emplace(d.to_json().dump(), d).first;
  return it->first;
}

}  // namespace chop::search::rdb
