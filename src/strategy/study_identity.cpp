// Study identity: the run's definition and the choice of its study; see study_identity.h.
#include "strategy/study_identity.h"

#include <filesystem>
#include <map>
#include <set>

#include "core/digest.h"
#include "core/error.h"
#include "graph/text.h"
#include "strategy/study_definition.h"

namespace chop::strategy {
namespace {

std::string file_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return std::filesystem::path(p).filename().string();
}

int64_t trial_count(search::Storage& storage, int64_t id) {
  int64_t cursor = 0;
  return static_cast<int64_t>(storage.changed_trials(id, cursor).size());
}

// A study with no recorded definition (Optuna's, or an older chop's) is adopted unless what it
// does record contradicts this search: the choice lists chop stored for index-encoded studies,
// or its trials' parameter types and choices (a changed param_encoding).
std::vector<std::string> adoption_conflicts(search::Storage& storage, int64_t id,
                                            const Json& definition,
                                            const search::ParamSpace& declared) {
  std::vector<std::string> out;
  const Json user = storage.study_user_attrs(id);
  if (user.contains("chop:param_choices") && user["chop:param_choices"].is_object() &&
      definition.value("param_encoding", "") == "index") {
    Json stored = Json::object(), current = Json::object();
    stored["params"] = user["chop:param_choices"];
    current["params"] = definition.value("params", Json::object());
    out = definition_differences(stored, current);
  }
  std::set<std::string> reported;
  int64_t cursor = 0;
  for (const auto& t : storage.changed_trials(id, cursor))
    for (const auto& [param, dist] : t.distributions) {
      if (reported.count(param)) continue;
      auto it = declared.find(param);
      std::string problem;
      if (it == declared.end())
        problem = "its trials have parameter " + param + ", which this search does not have";
      else if (dist.kind() != it->second.kind())
        problem = "parameter " + param + " is stored as " + dist.describe() +
                  " and this search declares " + it->second.describe() +
                  " (param_encoding changed?)";
      else if (dist.is_categorical() && dist.choices() != it->second.choices())
        problem = "parameter " + param + " choices " + show_value(Json(dist.choices())) + " → " +
                  show_value(Json(it->second.choices()));
      if (problem.empty()) continue;
      reported.insert(param);
      out.push_back(problem);
    }
  return out;
}

// Studies named `name-<k>` (k >= 2), by k.
std::map<int64_t, std::string> numbered_siblings(search::Storage& storage,
                                                 const std::string& name) {
  std::map<int64_t, std::string> out;
  const std::string prefix = name + "-";
  for (const auto& n : storage.study_names()) {
    if (n.size() <= prefix.size() || n.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = n.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos ||
        digits[0] == '0')
      continue;
    const int64_t k = std::stoll(digits);
    if (k >= 2) out[k] = n;
  }
  return out;
}

}  // namespace

std::string how_to_start_a_new_study() {
  return "pass --new-study (or set resume = false in [search.strategy.setup])";
}

Json study_definition(const SearchSetup& s, const space::GraphSpace& space) {
  const StrategyConfig& strategy = s.config->strategy;
  StudyDefinitionParts p;
  p.search_space = s.config->space_table;
  for (const auto& param : space.params()) p.params.emplace_back(param.key, param.choices);
  p.param_encoding = strategy.categorical ? "categorical" : "index";
  p.model["name"] = s.model_file.empty() ? s.model_name : file_name(s.model_file);
  p.model["config"] = s.model_config.is_null() ? Json::object() : s.model_config;
  p.model["graph_sha256"] = sha256_hex(graph::print_graph(*s.base));
  if (!s.model_file.empty()) {
    p.model["file"] = file_name(s.model_file);
    p.model["file_sha256"] = sha256_of_path(s.model_file);
  }
  if (!s.checkpoint_path.empty())
    p.checkpoint = {{"file", file_name(s.checkpoint_path)},
                    {"sha256", sha256_of_path(s.checkpoint_path)}};
  p.runners["eval_mode"] = strategy.eval_mode;
  for (const auto* list : {&strategy.sw_runners, &strategy.hw_runners}) {
    const std::string key = list == &strategy.sw_runners ? "sw_runner" : "hw_runner";
    Json runners = Json::object();
    for (const auto& r : *list) runners[r.name] = r.options;
    p.runners[key] = runners;
  }
  p.objectives["sum_scaled_metrics"] = strategy.sum_scaled_metrics;
  if (strategy.sum_scaled_metrics)
    p.objectives["direction"] = search::to_string(strategy.direction);
  Json metrics = Json::object();
  for (const auto& m : strategy.metrics) {
    Json one = {{"scale", m.scale}};
    if (!strategy.sum_scaled_metrics) one["direction"] = search::to_string(m.direction);
    metrics[m.name] = one;
  }
  p.objectives["metrics"] = metrics;
  p.constraints = strategy.constraints_table;
  p.data["dataset"] = s.dataset_name;
  p.data["n_train"] = s.data->train.size();
  p.data["n_val"] = s.data->val.size();
  p.data["seed"] = s.seed;
  // The batch size changes what a training runner learns, not what an evaluation measures.
  if (strategy.any_runner_trains()) p.data["batch_size"] = s.batch_size;
  return make_definition(p);
}

std::vector<std::string> study_mismatch(search::Storage& storage, const std::string& name,
                                        const Json& definition,
                                        const search::ParamSpace& declared) {
  const auto id = storage.study_id_from_name(name);
  if (!id) return {};
  const Json user = storage.study_user_attrs(*id);
  if (!user.contains(kDefinitionAttr))
    return adoption_conflicts(storage, *id, definition, declared);
  if (user.value(kDefinitionDigestAttr, Json()) == definition_digest(definition)) return {};
  return definition_differences(user[kDefinitionAttr], definition);
}

StudyChoice choose_study(search::Storage& storage, const std::string& name, const Json& definition,
                         const search::ParamSpace& declared, bool new_study) {
  StudyChoice choice;
  const std::string where = "'" + name + "' in " + storage.describe();
  const auto id = storage.study_id_from_name(name);
  if (!id) {
    choice.name = name;
    return choice;
  }
  if (new_study) {
    const auto siblings = numbered_siblings(storage, name);
    const int64_t k = siblings.empty() ? 2 : siblings.rbegin()->first + 1;
    choice.name = name + "-" + std::to_string(k);
    choice.created_new = true;
    choice.note = "Starting a new study '" + choice.name + "' (study " + where +
                  " is kept, with its " + std::to_string(trial_count(storage, *id)) + " trials)";
    return choice;
  }
  const std::vector<std::string> differs = study_mismatch(storage, name, definition, declared);
  if (differs.empty()) {
    choice.name = name;
    const Json user = storage.study_user_attrs(*id);
    if (!user.contains(kDefinitionAttr) && trial_count(storage, *id) > 0)
      choice.note = "Study " + where +
                    " records no definition (written by Optuna or an older chop): adopting it "
                    "for this search, whose definition it records now";
    return choice;
  }
  // A study made earlier with --new-study for this very definition continues.
  for (const auto& [k, sibling] : numbered_siblings(storage, name)) {
    const auto sid = storage.study_id_from_name(sibling);
    if (!sid) continue;
    const Json user = storage.study_user_attrs(*sid);
    if (user.contains(kDefinitionAttr) &&
        user.value(kDefinitionDigestAttr, Json()) == definition_digest(definition)) {
      choice.name = sibling;
      choice.note = "Study " + where + " was made for another search; continuing study '" +
                    sibling + "', made for this one";
      return choice;
    }
  }
  const int64_t n = trial_count(storage, *id);
  throw UserError("study " + where + " (" + std::to_string(n) + " trial" + (n == 1 ? "" : "s") +
                  ") was made for another search: " + summarize_differences(differs) +
                  ". Continuing it would mix results of different configurations; " +
                  how_to_start_a_new_study() + " to start a new study and keep this one, or " +
                  "undo the change to continue it");
}

void record_definition(search::Storage& storage, const std::string& name, const Json& definition) {
  const auto id = storage.study_id_from_name(name);
  CHOP_ASSERT(id.has_value(), "the study was just opened");
  const std::string digest = definition_digest(definition);
  const Json user = storage.study_user_attrs(*id);
  if (user.contains(kDefinitionAttr) && user.value(kDefinitionDigestAttr, Json()) == digest) return;
  storage.set_study_user_attr(*id, kDefinitionAttr, definition);
  storage.set_study_user_attr(*id, kDefinitionDigestAttr, digest);
}

}  // namespace chop::strategy
