// Study management over any storage; see study_admin.h.
#include "search/study_admin.h"

#include <cmath>
#include <ctime>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "search/pareto.h"

namespace chop::search {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return format_double(v);
}

// A JSON value as one CSV cell: strings bare, numbers as numbers, the rest as JSON text.
std::string csv_json(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return csv_number(v.get<double>());
  return v.dump();
}

Json number_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

}  // namespace

std::string iso_datetime(int64_t ms) {
  if (ms <= 0) return "";
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

StudySummary find_study(Storage& storage, const std::string& name) {
  std::vector<std::string> names;
  for (auto& s : storage.study_summaries()) {
    if (s.name == name) return s;
    names.push_back(s.name);
  }
  throw UserError("no study '" + name + "' in " + storage.describe() + did_you_mean(name, names) +
                  (names.empty() ? " (it holds no study)" : "; it holds " + list_of(names)));
}

std::vector<FrozenTrial> load_study_trials(Storage& storage, const StudySummary& study) {
  int64_t cursor = 0;
  return storage.changed_trials(study.study_id, cursor);
}

std::vector<FrozenTrial> best_of(const StudySummary& study,
                                 const std::vector<FrozenTrial>& trials) {
  std::vector<const FrozenTrial*> complete;
  for (const auto& t : trials)
    if (t.state == TrialState::kComplete && t.values.size() == study.directions.size())
      complete.push_back(&t);
  std::vector<FrozenTrial> out;
  for (size_t i : pareto_front_indices(to_losses(complete, study.directions)))
    out.push_back(*complete[i]);
  return out;
}

Json study_to_json(const StudySummary& study, const std::vector<FrozenTrial>& trials) {
  Json j = Json::object();
  j["study_name"] = study.name;
  Json dirs = Json::array();
  for (auto d : study.directions)  // Optuna's spelling
    dirs.push_back(d == Direction::kMinimize ? "MINIMIZE" : "MAXIMIZE");
  j["directions"] = dirs;
  Json counts = Json::object();
  for (auto& [state, n] : study.n_by_state) counts[to_string(state)] = n;
  j["n_trials"] = static_cast<int64_t>(trials.size());
  j["state_counts"] = counts;
  Json rows = Json::array();
  for (const auto& t : trials) {
    Json r = Json::object();
    r["number"] = t.number;
    r["state"] = to_string(t.state);
    Json values = Json::array();
    for (double v : t.values) values.push_back(number_or_null(v));
    r["values"] = t.values.empty() ? Json(nullptr) : values;
    r["params"] = t.params_json();
    Json dists = Json::object();
    for (const auto& [name, d] : t.distributions) dists[name] = d.to_json();
    r["distributions"] = dists;
    Json inter = Json::object();
    for (const auto& [step, v] : t.intermediate_values)
      inter[std::to_string(step)] = number_or_null(v);
    r["intermediate_values"] = inter;
    r["user_attrs"] = t.user_attrs;
    r["system_attrs"] = t.system_attrs;
    r["datetime_start"] = iso_datetime(t.datetime_start_ms);
    r["datetime_complete"] = iso_datetime(t.datetime_complete_ms);
    r["duration_s"] = t.datetime_complete_ms > 0 && t.datetime_start_ms > 0
                          ? Json(static_cast<double>(t.duration_ms()) / 1000.0)
                          : Json(nullptr);
    rows.push_back(std::move(r));
  }
  j["trials"] = rows;
  return j;
}

std::string study_to_csv(const StudySummary& study, const std::vector<FrozenTrial>& trials) {
  std::set<std::string> params, attrs;
  for (const auto& t : trials) {
    for (const auto& [name, v] : t.params) params.insert(name);
    for (auto it = t.user_attrs.begin(); it != t.user_attrs.end(); ++it) attrs.insert(it.key());
  }
  const size_t n_obj = study.directions.size();
  std::vector<std::string> head = {"number"};
  if (n_obj == 1)
    head.push_back("value");
  else
    for (size_t k = 0; k < n_obj; ++k) head.push_back("values_" + std::to_string(k));
  for (const char* h : {"datetime_start", "datetime_complete", "duration_s"}) head.push_back(h);
  for (const auto& p : params) head.push_back("params_" + p);
  for (const auto& a : attrs) head.push_back("user_attrs_" + a);
  head.push_back("state");
  std::string out;
  for (size_t i = 0; i < head.size(); ++i) out += (i ? "," : "") + csv_field(head[i]);
  out += "\n";
  for (const auto& t : trials) {
    std::vector<std::string> row = {std::to_string(t.number)};
    for (size_t k = 0; k < n_obj; ++k)
      row.push_back(k < t.values.size() ? csv_number(t.values[k]) : "");
    row.push_back(iso_datetime(t.datetime_start_ms));
    row.push_back(iso_datetime(t.datetime_complete_ms));
    row.push_back(t.datetime_complete_ms > 0 && t.datetime_start_ms > 0
                      ? format_double(static_cast<double>(t.duration_ms()) / 1000.0)
                      : "");
    for (const auto& p : params) row.push_back(t.params.count(p) ? csv_json(t.param(p)) : "");
    for (const auto& a : attrs)
      row.push_back(t.user_attrs.contains(a) ? csv_json(t.user_attrs[a]) : "");
    row.push_back(to_string(t.state));
    for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_field(row[i]);
    out += "\n";
  }
  return out;
}

CopyResult copy_study(Storage& from, const std::string& name, Storage& to,
                      const std::string& new_name) {
  const StudySummary src = find_study(from, name);
  const std::string dest = new_name.empty() ? name : new_name;
  for (const auto& s : to.study_summaries())
    if (s.name == dest)
      throw UserError("study '" + dest + "' already exists in " + to.describe() +
                      ": delete it first (chop study delete) or copy under another name "
                      "(--to-study)");
  const auto trials = load_study_trials(from, src);
  const Json system_attrs = from.study_system_attrs(src.study_id);
  const Json user_attrs = from.study_user_attrs(src.study_id);
  const int64_t id = to.create_or_load_study(dest, src.directions, /*load_if_exists=*/false);
  CopyResult result;
  try {
    for (auto it = system_attrs.begin(); it != system_attrs.end(); ++it)
      to.set_study_system_attr(id, it.key(), it.value());
    for (auto it = user_attrs.begin(); it != user_attrs.end(); ++it)
      to.set_study_user_attr(id, it.key(), it.value());
    // Numbers are assigned in creation order, so creating in number order keeps them.
    for (const auto& t : trials) {
      const FrozenTrial copied = to.create_trial(id, t);
      CHOP_ASSERT(copied.number == t.number, "copy_study: trial numbers must be contiguous");
      ++result.n_trials;
      if (!is_finished(t.state)) ++result.n_unfinished;
    }
  } catch (...) {
    try {
      to.delete_study(id);
    } catch (...) {
    }
    throw;
  }
  return result;
}

}  // namespace chop::search
