// Reading a study for reports; see study_data.h.
#include "report/study_data.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/strings.h"

namespace chop::report {
namespace {

// The file behind a SQLite URL, as search::open_storage reads it; empty for other URLs.
std::string sqlite_path(const std::string& url) {
  const std::string l = to_lower(url);
  if (starts_with(url, "sqlite:///")) return url.substr(10);
  if (starts_with(url, "sqlite:")) return url.substr(7);
  if (ends_with(l, ".db") || ends_with(l, ".sqlite") || ends_with(l, ".sqlite3")) return url;
  return "";
}

bool is_memory(const std::string& url) {
  const std::string l = to_lower(url);
  return l.empty() || l == ":memory:" || l == "memory" || l == "inmemory" || l == "in-memory";
}

std::vector<std::string> string_list(const Json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (!v.is_string()) return {};
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Trials by number: changed ones replace their earlier copies.
void merge_changed(std::vector<search::FrozenTrial>& trials,
                   std::vector<search::FrozenTrial>&& changed) {
  if (changed.empty()) return;
  std::map<int64_t, search::FrozenTrial> by_number;
  for (auto& t : trials) by_number[t.number] = std::move(t);
  for (auto& t : changed) by_number[t.number] = std::move(t);
  trials.clear();
  trials.reserve(by_number.size());
  for (auto& [number, t] : by_number) trials.push_back(std::move(t));
}

}  // namespace

std::shared_ptr<search::Storage> open_storage_for_reading(const std::string& url) {
  if (is_memory(url))
    throw UserError("--storage '" + url +
                    "' is an in-memory storage, which lives only inside the search that made "
                    "it; give the study's SQLite file (e.g. <project>/software/search_ckpts/"
                    "study.db)");
  const std::string path = sqlite_path(url);
  if (!path.empty()) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
      throw DataError(path,
                      "no such study database; give the study.db a search wrote (e.g. "
                      "<project>/software/search_ckpts/study.db)");
    if (!S_ISREG(st.st_mode)) throw DataError(path, "not a file; give a SQLite study database");
  }
  return search::open_storage(url);
}

std::string storage_folder(const std::string& url) {
  const std::string path = sqlite_path(url);
  if (path.empty()) return "";
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

std::string pick_study(search::Storage& storage, const std::string& requested) {
  const std::vector<std::string> names = storage.study_names();
  if (!requested.empty()) {
    if (std::find(names.begin(), names.end(), requested) != names.end()) return requested;
    throw UserError("no study '" + requested + "' in " + storage.describe() +
                    did_you_mean(requested, names) +
                    (names.empty() ? "; it holds no study" : "; it holds " + list_of(names)));
  }
  if (names.size() == 1) return names.front();
  if (names.empty()) throw UserError(storage.describe() + " holds no study");
  throw UserError(storage.describe() + " holds " + std::to_string(names.size()) +
                  " studies; choose one with --study (" + list_of(names) + ")");
}

std::vector<std::string> objective_names(const Json& sys, const Json& user,
                                         const std::vector<search::FrozenTrial>& trials, size_t n) {
  for (const Json* attrs : {&sys, &user})
    for (const char* key : {"study:metric_names", "chop:objective_names"})
      if (attrs->is_object() && attrs->contains(key)) {
        auto names = string_list((*attrs)[key]);
        if (names.size() == n) return names;
      }
  // chop's searches record each objective as a scaled metric, in objective order.
  for (const auto& t : trials) {
    if (t.state != search::TrialState::kComplete || !t.user_attrs.contains("scaled_metrics"))
      continue;
    const Json& m = t.user_attrs["scaled_metrics"];
    if (!m.is_object()) break;
    std::vector<std::string> keys;
    for (auto it = m.begin(); it != m.end(); ++it) keys.push_back(it.key());
    if (keys.size() == n) return keys;
    if (n == 1 && !keys.empty()) return {"sum of scaled " + join(keys, " + ")};
    break;
  }
  if (n == 1) return {"value"};
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back("values_" + std::to_string(i));
  return out;
}

StudyData load_study(search::Storage& storage, const std::string& name) {
  auto id = storage.study_id_from_name(name);
  if (!id) throw UserError("no study '" + name + "' in " + storage.describe());
  StudyData d;
  d.name = name;
  d.storage = storage.describe();
  d.directions = storage.study_directions(*id);
  d.user_attrs = storage.study_user_attrs(*id);
  d.system_attrs = storage.study_system_attrs(*id);
  int64_t cursor = 0;
  merge_changed(d.trials, storage.changed_trials(*id, cursor));
  d.objective_names = objective_names(d.system_attrs, d.user_attrs, d.trials, d.directions.size());
  return d;
}

StudyReader::StudyReader(std::shared_ptr<search::Storage> storage, const std::string& name)
    : storage_(std::move(storage)) {
  auto id = storage_->study_id_from_name(name);
  if (!id) throw UserError("no study '" + name + "' in " + storage_->describe());
  study_id_ = *id;
  data_.name = name;
  data_.storage = storage_->describe();
  data_.directions = storage_->study_directions(study_id_);
  refresh();
}

bool StudyReader::refresh() {
  auto changed = storage_->changed_trials(study_id_, cursor_);
  if (changed.empty() && !data_.objective_names.empty()) return false;
  merge_changed(data_.trials, std::move(changed));
  data_.user_attrs = storage_->study_user_attrs(study_id_);
  data_.system_attrs = storage_->study_system_attrs(study_id_);
  data_.objective_names =
      objective_names(data_.system_attrs, data_.user_attrs, data_.trials, data_.directions.size());
  return true;
}

}  // namespace chop::report
