// Parsing [search.strategy]; see search_strategy.h. Key names and defaults follow MASE
// (mase.md §2.2); chop adds pruner, param_encoding, study_name and resume.
#include "strategy/strategy_config.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "search/pruner.h"
#include "search/sampler_registry.h"
#include "search/storage.h"

namespace chop::strategy {
namespace {

using Locate = std::function<std::string(const std::string&)>;

const Json& table_or_empty(const Json& t, const std::string& key) {
  static const Json empty = Json::object();
  return t.contains(key) ? t[key] : empty;
}

void parse_runners(const Json& strategy, const std::string& kind, const Locate& locate,
                   std::vector<NamedRunner>& out) {
  std::string key = kind + "_runner";
  if (!strategy.contains(key)) return;
  const Json& t = strategy[key];
  if (!t.is_object())
    throw ConfigError(locate("search.strategy." + key),
                      key + " must be a table of runners ([search.strategy." + key +
                          ".<runner>]); MASE's old string form is not supported");
  for (auto it = t.begin(); it != t.end(); ++it) {
    std::string path = "search.strategy." + key + "." + it.key();
    auto loc = [&](const std::string& k) { return locate(k.empty() ? path : path + "." + k); };
    const auto& entry = runners::runner_entry(it.key(), kind, loc);
    out.push_back({it.key(), entry.make(it.value(), loc)});
  }
}

bool get_bool(const Json& t, const std::string& key, bool def, const std::string& path,
              const Locate& locate) {
  if (!t.contains(key)) return def;
  if (!t[key].is_boolean())
    throw ConfigError(locate(path + "." + key), "'" + key + "' must be true or false");
  return t[key].get<bool>();
}

}  // namespace

std::vector<search::Direction> StrategyConfig::directions() const {
  if (sum_scaled_metrics) return {direction};
  std::vector<search::Direction> d;
  for (const auto& m : metrics) d.push_back(m.direction);
  return d;
}

void check_sampler_names(const std::vector<std::string>& names, const std::string& where) {
  std::vector<std::string> seen;
  for (const auto& name : names) {
    if (!search::find_sampler(name))
      throw ConfigError(where, "unknown sampler '" + name + "'" +
                                   did_you_mean(name, search::sampler_names()) +
                                   "; expected one of " + list_of(search::sampler_names()));
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      throw ConfigError(where, "sampler '" + name + "' is listed twice");
    seen.push_back(name);
  }
}

StrategyConfig parse_strategy(const Json& strategy, const Locate& locate) {
  const std::string P = "search.strategy";
  runners::check_keys(
      strategy, {"name", "eval_mode", "sw_runner", "hw_runner", "setup", "metrics", "constraints"},
      [&](const std::string& k) { return locate(P + "." + k); });
  StrategyConfig c;
  if (strategy.contains("name") && (!strategy["name"].is_string() ||
                                    (strategy["name"] != "optuna" && strategy["name"] != "chop")))
    throw ConfigError(locate(P + ".name"), "strategy name must be \"optuna\" (MASE) or \"chop\"");
  c.eval_mode = get_bool(strategy, "eval_mode", true, P, locate);
  parse_runners(strategy, "sw", locate, c.sw_runners);
  parse_runners(strategy, "hw", locate, c.hw_runners);

  const Json& setup = table_or_empty(strategy, "setup");
  const std::string S = P + ".setup";
  auto sloc = [&](const std::string& k) { return locate(S + "." + k); };
  runners::check_keys(
      setup,
      {"n_jobs", "n_trials", "timeout", "sampler", "sum_scaled_metrics", "direction",
       "save_every_n_trials", "pkl_ckpt", "sampler_options", "pruner", "pruner_options",
       "param_encoding", "study_name", "resume", "storage", "heartbeat_interval", "grace_period",
       "retry_failed", "storage_retry_timeout", "report", "compare_samplers", "compare_repeats"},
      sloc);
  if (!setup.contains("sampler"))
    throw ConfigError(locate(S),
                      "setup.sampler is required (" + list_of(search::sampler_names()) + ")");
  if (!setup["sampler"].is_string()) throw ConfigError(sloc("sampler"), "sampler must be a string");
  c.sampler = setup["sampler"].get<std::string>();
  if (!search::find_sampler(c.sampler))
    throw ConfigError(sloc("sampler"), "unknown sampler '" + c.sampler + "'" +
                                           did_you_mean(c.sampler, search::sampler_names()) +
                                           "; expected one of " + list_of(search::sampler_names()));
  if (setup.contains("sampler_options")) c.sampler_options = setup["sampler_options"];
  c.pruner = runners::opt_string(setup, "pruner", "nop", {}, sloc);
  if (!search::find_pruner(c.pruner))
    throw ConfigError(sloc("pruner"), "unknown pruner '" + c.pruner + "'" +
                                          did_you_mean(c.pruner, search::pruner_names()) +
                                          "; expected one of " + list_of(search::pruner_names()));
  if (setup.contains("pruner_options")) c.pruner_options = setup["pruner_options"];
  c.n_trials = runners::opt_int(setup, "n_trials", 20, sloc, 1);
  c.timeout_s = runners::opt_number(setup, "timeout", 0.0, sloc);
  c.n_jobs = static_cast<int>(runners::opt_int(setup, "n_jobs", 1, sloc, 1));
  c.save_every_n_trials = runners::opt_int(setup, "save_every_n_trials", 10, sloc, 1);
  c.categorical = runners::opt_string(setup, "param_encoding", "index", {"index", "categorical"},
                                      sloc) == "categorical";
  c.study_name = runners::opt_string(setup, "study_name", "", {}, sloc);
  c.resume = get_bool(setup, "resume", true, S, locate);
  c.storage = runners::opt_string(setup, "storage", "sqlite", {}, sloc);
  if (c.storage != "sqlite" && c.storage != "memory" && !search::is_storage_url(c.storage))
    throw ConfigError(sloc("storage"),
                      "storage must be \"sqlite\" (the project's study.db), "
                      "\"memory\", or a URL (sqlite:///path/study.db, "
                      "postgresql://user@host:port/db), got '" +
                          search::redact_storage_url(c.storage) + "'");
  c.heartbeat_interval_s = runners::opt_number(setup, "heartbeat_interval", 60.0, sloc);
  c.grace_period_s = runners::opt_number(setup, "grace_period", 0.0, sloc);
  c.retry_failed = static_cast<int>(runners::opt_int(setup, "retry_failed", 0, sloc, 0));
  c.storage_retry_timeout_s = runners::opt_number(setup, "storage_retry_timeout", 300.0, sloc);
  for (const char* key : {"heartbeat_interval", "grace_period", "storage_retry_timeout"})
    if (runners::opt_number(setup, key, 0.0, sloc) < 0)
      throw ConfigError(sloc(key), std::string(key) + " must be >= 0 (seconds)");
  if (c.grace_period_s > 0 && c.heartbeat_interval_s > 0 &&
      c.grace_period_s <= c.heartbeat_interval_s)
    throw ConfigError(sloc("grace_period"),
                      "grace_period must be longer than heartbeat_interval, or a slow heartbeat "
                      "fails a live trial");
  c.write_report = get_bool(setup, "report", true, S, locate);
  if (setup.contains("compare_samplers")) {
    const Json& list = setup["compare_samplers"];
    if (!list.is_array() || list.empty())
      throw ConfigError(sloc("compare_samplers"),
                        "compare_samplers must be a list of sampler names, e.g. [\"tpe\", "
                        "\"random\", \"bruteforce\"]");
    for (const auto& name : list) {
      if (!name.is_string())
        throw ConfigError(sloc("compare_samplers"),
                          "compare_samplers holds sampler names (strings)");
      c.compare_samplers.push_back(name.get<std::string>());
    }
    check_sampler_names(c.compare_samplers, sloc("compare_samplers"));
  }
  c.compare_repeats = runners::opt_int(setup, "compare_repeats", 5, sloc, 1);
  if (setup.contains("pkl_ckpt") && !setup["pkl_ckpt"].is_null())
    log_warning(sloc("pkl_ckpt") +
                ": joblib study pickles are Python-only; chop resumes studies "
                "from its SQLite file instead (setup.resume, setup.study_name)");
  if (!setup.contains("sum_scaled_metrics"))
    throw ConfigError(locate(S),
                      "setup.sum_scaled_metrics is required (true: one summed "
                      "objective with setup.direction; false: one objective per metric)");
  c.sum_scaled_metrics = get_bool(setup, "sum_scaled_metrics", false, S, locate);
  if (c.sum_scaled_metrics) {
    if (!setup.contains("direction"))
      throw ConfigError(locate(S),
                        "setup.direction (\"maximize\" or \"minimize\") is required "
                        "when sum_scaled_metrics = true");
    try {
      c.direction = search::parse_direction(setup["direction"].get<std::string>());
    } catch (const std::exception&) {
      throw ConfigError(sloc("direction"), "direction must be \"maximize\" or \"minimize\"");
    }
  }

  if (!strategy.contains("metrics") || !strategy["metrics"].is_object() ||
      strategy["metrics"].empty())
    throw ConfigError(locate(P + ".metrics"),
                      "at least one metric is needed ([search.strategy.metrics] accuracy.scale = "
                      "1.0, accuracy.direction = \"maximize\")");
  std::set<std::string> produced;
  for (const auto* list : {&c.sw_runners, &c.hw_runners})
    for (const auto& r : *list)
      for (const auto& e : runners::runner_registry())
        if (e.name == r.name) produced.insert(e.metrics.begin(), e.metrics.end());
  for (auto it = strategy["metrics"].begin(); it != strategy["metrics"].end(); ++it) {
    std::string path = P + ".metrics." + it.key();
    auto mloc = [&](const std::string& k) { return locate(path + "." + k); };
    runners::check_keys(it.value(), {"scale", "direction"}, mloc);
    if (!produced.count(it.key()))
      throw ConfigError(locate(path),
                        "metric '" + it.key() + "' is produced by no configured runner" +
                            did_you_mean(it.key(), {produced.begin(), produced.end()}) +
                            "; the runners give: " +
                            (produced.empty() ? std::string("nothing (add a sw_runner/hw_runner)")
                                              : list_of({produced.begin(), produced.end()})));
    MetricSpec m;
    m.name = it.key();
    if (!it.value().contains("scale"))
      throw ConfigError(locate(path), "metric '" + it.key() + "' needs a scale");
    m.scale = runners::opt_number(it.value(), "scale", 1.0, mloc);
    if (!c.sum_scaled_metrics) {
      if (!it.value().contains("direction"))
        throw ConfigError(locate(path), "metric '" + it.key() +
                                            "' needs direction = \"maximize\" or \"minimize\" "
                                            "(multi-objective search)");
      std::string d =
          runners::opt_string(it.value(), "direction", "", {"maximize", "minimize"}, mloc);
      m.direction = search::parse_direction(d);
    }
    c.metrics.push_back(m);
  }
  if (strategy.contains("constraints")) {
    c.constraints =
        space::parse_hardware_constraints(strategy["constraints"], [&](const std::string& k) {
          return locate(P + ".constraints" + (k.empty() ? "" : "." + k));
        });
    // Samplers with constraint support rank infeasible trials last (Optuna's constraints_func);
    // the search stores each trial's constraint values in its "constraints" system attr.
    const std::string s = search::find_sampler(c.sampler)->name;
    if (!c.constraints.empty() && (s == "tpe" || s == "nsgaii" || s == "nsgaiii") &&
        c.sampler_options.is_object() && !c.sampler_options.contains("constraints"))
      c.sampler_options["constraints"] = true;
  }
  std::sort(c.metrics.begin(), c.metrics.end(),
            [](const MetricSpec& a, const MetricSpec& b) { return a.name < b.name; });
  return c;
}

}  // namespace chop::strategy
