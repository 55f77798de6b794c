// Study set-up shared by a search and a sampler comparison; see study_setup.h.
#include "strategy/study_setup.h"

#include <cmath>
#include <map>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"

namespace chop::strategy {

std::unique_ptr<space::GraphSpace> make_space(const SearchSetup& s) {
  space::SpaceSetup setup;
  setup.base = s.base;
  setup.table = s.config->space_table;
  const SearchConfig* config = s.config;
  setup.where = [config](const std::string& p) { return config->where(p); };
  setup.seed = s.seed;
  auto space = space::make_graph_space(setup);
  const StrategyConfig& strategy = s.config->strategy;
  if (space->copies_weights() && !strategy.any_runner_trains())
    throw ConfigError(s.config->locate("search.strategy.sw_runner"),
                      "search space '" + space->name() +
                          "' trains every candidate (its own fake-quantized or resized weights): "
                          "add [search.strategy.sw_runner.basic_train] (and eval_mode = false)");
  // Check the first configuration builds, so bad quantizer configs fail before any trial.
  std::map<std::string, Json> first;
  for (const auto& p : space->params()) first[p.key] = p.choices.front();
  space->build(first);
  return space;
}

search::ParamSpace declared_space(const space::GraphSpace& space, bool categorical) {
  search::ParamSpace declared;
  for (const auto& p : space.params())
    declared[p.key] =
        categorical ? search::Distribution::make_categorical(p.choices)
                    : search::Distribution::make_int(0, static_cast<int64_t>(p.choices.size()) - 1);
  return declared;
}

std::function<Json(const search::FrozenTrial&)> config_values(const space::GraphSpace& space,
                                                             bool categorical) {
  std::map<std::string, std::vector<Json>> choices;
  for (const auto& p : space.params()) choices[p.key] = p.choices;
  return [choices, categorical](const search::FrozenTrial& t) {
    // What the trial recorded it evaluated (the objective writes it before evaluating): trials
    // of earlier runs are matched on their own values, whatever today's lists are.
    auto recorded = t.system_attrs.find(kConfigAttr);
    if (recorded != t.system_attrs.end() && recorded->is_object()) return *recorded;
    Json config = Json::object();
    for (const auto& [name, internal] : t.params) {
      auto it = choices.find(name);
      if (categorical || it == choices.end()) {
        config[name] = t.distributions.at(name).to_external(internal);
        continue;
      }
      const double rounded = std::round(internal);
      if (rounded == internal && rounded >= 0 && rounded < static_cast<double>(it->second.size()))
        config[name] = it->second[static_cast<size_t>(rounded)];
      else
        config[name] = {{"index outside the choices", internal}};
    }
    return config;
  };
}

void record_study_attrs(search::Storage& storage, const std::string& study_name,
                        const StrategyConfig& strategy, const space::GraphSpace& space) {
  const auto id = storage.study_id_from_name(study_name);
  CHOP_ASSERT(id.has_value(), "the study was just created");
  Json names = Json::array();
  if (strategy.sum_scaled_metrics) {
    std::vector<std::string> parts;
    for (const auto& m : strategy.metrics) parts.push_back(m.name);
    names.push_back("sum of scaled " + join(parts, " + "));
  } else {
    for (const auto& m : strategy.metrics) names.push_back(m.name);
  }
  storage.set_study_user_attr(*id, "chop:objective_names", names);
  if (!strategy.categorical) {
    Json choices = Json::object();
    for (const auto& p : space.params()) choices[p.key] = p.choices;
    storage.set_study_user_attr(*id, "chop:param_choices", choices);
  }
}

std::string write_report_after_search(const std::function<std::string()>& write) {
  try {
    return write();
  } catch (const std::exception& e) {
    log_warning(std::string("no report: ") + e.what());
    return "";
  }
}

}  // namespace chop::strategy
