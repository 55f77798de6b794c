// The [search.strategy] table of a MASE search config, checked and typed: runners, metrics with
// scale and direction, sampler/pruner and the optimize() budget.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runners/runner.h"
#include "search/study_view.h"
#include "space/constraints.h"

namespace chop::strategy {

using Json = nlohmann::ordered_json;

struct MetricSpec {
  std::string name;
  double scale = 1.0;
  search::Direction direction = search::Direction::kMaximize;
};

struct NamedRunner {
  std::string name;                             // as written in the config
  const runners::RunnerEntry* entry = nullptr;  // its registry row (capabilities, metrics)
  std::unique_ptr<runners::Runner> runner;
  /// Its options as configured, documented defaults filled in (what a study records).
  Json options = Json::object();
};

struct StrategyConfig {
  std::string strategy_name = "optuna";  // "optuna" (MASE) or "chop": the same strategy
  bool eval_mode = true;
  std::vector<NamedRunner> sw_runners, hw_runners;
  std::vector<MetricSpec> metrics;  // sorted by name: the objective order (MASE)
  bool sum_scaled_metrics = false;
  search::Direction direction = search::Direction::kMaximize;  // when summed
  std::string sampler = "tpe";
  Json sampler_options = Json::object();
  std::string pruner = "nop";
  Json pruner_options = Json::object();
  int64_t n_trials = 20;
  double timeout_s = 0.0;
  int n_jobs = 1;
  int64_t save_every_n_trials = 10;
  bool categorical = false;  // param_encoding = "categorical" (MASE: "index")
  std::string study_name;    // default: the project name
  bool resume = true;        // continue the stored study of this name; false: a new study
  /// setup.storage: "sqlite" (<save dir>/study.db), "memory" (nothing stored or resumed), or a
  /// storage URL (sqlite:///path.db, a .db path, postgresql://user@host/db) a study may share.
  std::string storage = "sqlite";
  /// Workers sharing a study (docs/distributed.md): heartbeat every heartbeat_interval_s while a
  /// trial runs (0: off), a trial without one for grace_period_s (0: 2 x interval) is failed,
  /// and re-queued up to retry_failed times; a lost database connection is retried for
  /// storage_retry_timeout_s.
  double heartbeat_interval_s = 60.0;
  double grace_period_s = 0.0;
  int retry_failed = 0;
  double storage_retry_timeout_s = 300.0;
  bool write_report = true;    // report = false: no report.html / plots/*.svg at the end
  /// compare_samplers = ["tpe", "random", ...] (or --compare-samplers): run the space under each
  /// sampler, compare_repeats times with seeds seed, seed+1, ... (docs/samplers.md).
  std::vector<std::string> compare_samplers;
  int64_t compare_repeats = 5;
  /// [search.strategy.constraints]: budgets checked before training (docs/nas.md).
  space::HardwareConstraints constraints;
  Json constraints_table;  // the table as written (null when absent), for the study definition

  std::vector<search::Direction> directions() const;
  /// True when a configured runner trains the candidate (registry capability `trains`).
  bool any_runner_trains() const;
};

/// Every name is a registered sampler, none twice; ConfigError at `where` otherwise (a TOML
/// key's location, or "--compare-samplers").
void check_sampler_names(const std::vector<std::string>& names, const std::string& where);

/// `locate(path)` maps a dotted key path to "file:line:col (path)". Every unknown key, missing
/// required key and wrong type is a ConfigError naming it. Metrics that no runner produces are
/// reported here, before any trial runs.
StrategyConfig parse_strategy(const Json& strategy,
                              const std::function<std::string(const std::string&)>& locate);

/// The documented tables of [search.strategy] (for `chop list config` and the reference).
std::vector<const config::TableDoc*> strategy_config_docs();

}  // namespace chop::strategy
