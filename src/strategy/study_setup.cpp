// Study set-up shared by a search and a sampler comparison; see study_setup.h.
#include "strategy/study_setup.h"

#include <cmath>
#include <exception>
#include <map>
#include <set>

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
  check_every_choice(*space);
  return space;
}

void check_every_choice(const space::GraphSpace& space) {
  const auto& params = space.params();
  std::map<std::string, Json> first;
  for (const auto& p : params) first[p.key] = p.choices.front();
  // The first configuration must build: a mistake there fails every trial.
  space.build(first);
  // Every other value is built once, with the first choice of every other key, so that a bad
  // value in a list (a width of 100000, an unknown quantizer) is refused before any trial instead
  // of failing the trials that sample it. A value that fails there is tried with a few other
  // choices of the remaining keys: a frac_width that only exceeds the smaller widths is a property
  // of some combinations, not a mistake in the list — those trials fail and are said to up front.
  std::set<std::string> checked;  // "<seed location> = <value>": a seed shared by many nodes
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    const std::string where = space.locate_sampled(replace_all(p.key, "/", "."));
    for (size_t c = 1; c < p.choices.size(); ++c) {
      if (!where.empty() && !checked.insert(where + " = " + p.choices[c].dump()).second) continue;
      std::map<std::string, Json> config = first;
      config[p.key] = p.choices[c];
      std::exception_ptr failure;
      std::string message;
      try {
        space.build(config);
        continue;
      } catch (const InternalError&) {
        throw;
      } catch (const Error& e) {
        failure = std::current_exception();
        message = e.what();
      }
      constexpr size_t kOtherCombinations = 8;
      bool some_build = false;
      for (size_t attempt = 1; attempt <= kOtherCombinations && !some_build; ++attempt) {
        std::map<std::string, Json> other = config;
        for (size_t j = 0; j < params.size(); ++j)
          if (j != i)
            other[params[j].key] =
                params[j].choices[(attempt * (j + 1)) % params[j].choices.size()];
        try {
          space.build(other);
          some_build = true;
        } catch (const InternalError&) {
          throw;
        } catch (const Error&) {
        }
      }
      if (!some_build) std::rethrow_exception(failure);
      log_warning(message + " (the trials that sample " + p.choices[c].dump() +
                  " with such choices will fail)");
    }
  }
}

search::ParamSpace declared_space(const space::GraphSpace& space, bool categorical) {
  search::ParamSpace declared;
  for (const auto& p : space.params())
    declared[p.key] =
        categorical ? search::Distribution::make_categorical(p.choices)
                    : search::Distribution::make_int(0, static_cast<int64_t>(p.choices.size()) - 1);
  return declared;
}

namespace {

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

std::optional<size_t> config_value_count(const search::FrozenTrial& t) {
  auto recorded = t.system_attrs.find(kConfigAttr);
  if (recorded != t.system_attrs.end() && recorded->is_object()) return recorded->size();
  return t.params.size();  // one member per parameter
}

}  // namespace

void set_config_matching(search::StudyOptions& so, const space::GraphSpace& space,
                         bool categorical) {
  so.config_of = config_values(space, categorical);
  so.config_size_of = config_value_count;
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
