// A study as the report sees it: name, directions, objective names and every trial, read from
// any storage without knowing the study's directions and without writing to it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "search/storage.h"
#include "search/trial.h"

namespace chop::report {

using Json = search::Json;

struct StudyData {
  std::string name;
  std::string storage;  // Storage::describe(), for headings
  std::vector<search::Direction> directions;
  /// One per objective: Optuna's "study:metric_names", chop's "chop:objective_names", the
  /// trials' scaled_metrics keys, or "value" / "values_<i>" (see objective_names()).
  std::vector<std::string> objective_names;
  std::vector<search::FrozenTrial> trials;  // ascending by number
  Json user_attrs = Json::object();
  Json system_attrs = Json::object();

  bool multi_objective() const { return directions.size() > 1; }
  size_t n_objectives() const { return directions.size(); }
};

/// Opens a storage URL for reading. A SQLite path must name an existing file (a report never
/// creates an empty database by a typo); an in-memory storage holds nothing to read, so it is a
/// UserError. Other URLs go to search::open_storage.
std::shared_ptr<search::Storage> open_storage_for_reading(const std::string& url);

/// The folder of a SQLite study file ("" for other storages): reports go next to it.
std::string storage_folder(const std::string& url);

/// The study to report: `requested` when given (UserError naming the studies there if absent),
/// else the storage's only study (UserError listing them when there are several or none).
std::string pick_study(search::Storage& storage, const std::string& requested);

/// Reads the whole study.
StudyData load_study(search::Storage& storage, const std::string& name);

/// Keeps a StudyData up to date from a storage that other processes are writing (the
/// dashboard): each refresh reads only the trials changed since the last one.
class StudyReader {
 public:
  StudyReader(std::shared_ptr<search::Storage> storage, const std::string& name);
  /// Pulls changes; true when any trial was added or changed.
  bool refresh();
  const StudyData& data() const { return data_; }

 private:
  std::shared_ptr<search::Storage> storage_;
  int64_t study_id_ = -1;
  int64_t cursor_ = 0;
  StudyData data_;
};

/// Objective names for `directions` from the study's attributes and trials (see StudyData).
std::vector<std::string> objective_names(const Json& study_system_attrs,
                                         const Json& study_user_attrs,
                                         const std::vector<search::FrozenTrial>& trials,
                                         size_t n_objectives);

}  // namespace chop::report
