// What a search and a sampler comparison set up the same way: the graph space over the loaded
// model (checked before any trial), the parameter space declared to the study, the study
// attributes reports read (objective names, choice lists), and the report at the end.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "search/study.h"
#include "space/graph_space.h"
#include "strategy/search.h"

namespace chop::strategy {

/// The space over setup.base; ConfigError when it trains candidates and no runner trains, or
/// a value of its lists builds in no configuration (check_every_choice).
std::unique_ptr<space::GraphSpace> make_space(const SearchSetup& setup);
/// Builds the first configuration and every other value of every key once (throws the first
/// error of a value that builds in no combination tried; warns for one that fails only in some).
void check_every_choice(const space::GraphSpace& space);

/// One distribution per space choice: categorical over the choices, or the choice's index.
search::ParamSpace declared_space(const space::GraphSpace& space, bool categorical);

/// Trial system attribute: {param: value} of the configuration the trial evaluates.
inline constexpr const char* kConfigAttr = "chop:config";

/// Sets what the study matches repeats and claims on: config_of, the configuration a trial
/// stands for ({param: choice value}: the trial's recorded kConfigAttr when it has one; else
/// index-encoded parameters mapped through the space's choice lists, an index outside them
/// matching nothing), and config_size_of, how many members that configuration has. One
/// function sets both so the two cannot drift apart (the study asserts they agree).
void set_config_matching(search::StudyOptions& so, const space::GraphSpace& space,
                         bool categorical);

/// Study user attributes for reports: "chop:objective_names" (the metric names, or the sum)
/// and, for index-encoded choices, "chop:param_choices" ({param: [choices]}).
void record_study_attrs(search::Storage& storage, const std::string& study_name,
                        const StrategyConfig& strategy, const space::GraphSpace& space);

/// Runs `write` (which writes report.html and plots/*.svg and says where, e.g. "Report: ...")
/// and returns its line; a report that cannot be written is a warning ("" returned), never a
/// failed search.
std::string write_report_after_search(const std::function<std::string()>& write);

}  // namespace chop::strategy
