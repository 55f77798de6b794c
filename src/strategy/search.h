// MASE's search strategy (SearchStrategyOptuna) as chop runs it: the [search] table read and
// checked before anything is loaded, then run(): the graph space over the loaded model, the
// study (SQLite, PostgreSQL or memory, resumable by name and shareable by workers), the objective over the runners, progress lines,
// and log.json / best.json kept up to date. `chop search` = load, run, print the summary.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/resolve.h"
#include "data/dataset.h"
#include "graph/graph.h"
#include "search/study.h"
#include "strategy/strategy_config.h"

namespace chop::strategy {

/// The checked [search] table of a config file.
struct SearchConfig {
  StrategyConfig strategy;
  Json space_table = Json::object();           // [search.search_space]
  const config::TomlDocument* toml = nullptr;  // the config file (outlives the search)
  std::string config_path;

  /// "file:line:col (key.path)" for messages.
  std::string locate(const std::string& key_path) const;
  /// "file:line:col" of a key path, "" when unknown.
  std::string where(const std::string& key_path) const;
};

/// Reads [search] of the run's --config file: unknown keys, a missing [search.strategy], bad
/// runners, metrics or study set-up are ConfigErrors with file:line:col; no config file is a
/// UserError. `max_epochs_override` (--max-epochs given on the command line) replaces
/// basic_train's max_epochs, the per-trial training budget (a TOML top-level max_epochs does
/// not: MASE keeps runner options in the runner).
SearchConfig read_search_config(const config::RunConfig& cfg,
                                std::optional<int64_t> max_epochs_override);

/// The documented [search] table (its sub-tables: strategy_config_docs(), the spaces').
const config::TableDoc& search_doc();

/// What the search runs on, loaded by the caller.
struct SearchSetup {
  const SearchConfig* config = nullptr;
  graph::Graph* base = nullptr;  // the (loaded) model, on `device`; candidates are copies
  const data::Splits* data = nullptr;
  at::Device device = at::kCPU;
  uint64_t seed = 0;
  int64_t batch_size = 128;
  /// The project folder is <project_dir>/<project_name>, created once the space is checked;
  /// study.db, log.json and best.json go to its software/search_ckpts. The project name is also
  /// the study's name unless setup.study_name is set.
  std::string project_dir;
  std::string project_name;
  /// --storage URL: replaces setup.storage (empty: the config's).
  std::string storage_override;
  /// Receives the space summary and progress lines (one per finished trial, or only notable
  /// ones when `status` is set); null: silent.
  std::function<void(const std::string&)> print;
  /// False when no checkpoint was loaded: a warning, unless the space trains candidates from
  /// fresh weights (NAS), where the base weights do not matter.
  bool weights_loaded = true;
  /// An export format (interop/export.h): the best trial, or each Pareto-front trial, is
  /// written to <save_dir>/best_export/trial_<n><ext> after the search. "": none.
  std::string export_best;
  /// A terminal's live line: receives the current status to show in place ("" = clear it);
  /// null: no live line, a plain line per trial instead (docs/search.md, progress).
  std::function<void(const std::string&)> status;
  /// What the study records of the run besides the config (strategy/study_identity.h): the
  /// model as named, its [model_config] / --hidden-features, the ONNX file it came from ("" for
  /// zoo models), the --load checkpoint ("" when none) and the data set's name.
  std::string model_name, model_file, checkpoint_path, dataset_name;
  Json model_config = Json::object();
  /// --new-study: start a new study even when one of this name exists (as setup.resume = false).
  bool new_study = false;
};

struct SearchSummary {
  search::OptimizeSummary optimize;
  /// The best trial or the Pareto front (ascending by number); empty when none completed.
  std::vector<search::FrozenTrial> best;
  std::string save_dir;  // <project>/software/search_ckpts
  std::string study_name;
  std::string storage;     // the study's storage as messages show it (never a password)
  bool persistent = true;  // false: storage = "memory"
  std::vector<std::string> exported;  // files written for export_best
  std::string report_html;  // the report written at the end ("" when none)
  std::string report_line;  // "Report: <html> (plots: ...)", for the caller to print
  /// A sampler comparison (setup.compare_samplers / --compare-samplers) ran instead of one
  /// search: its per-sampler table (markdown) and where its studies and report are.
  bool comparison = false;
  std::string comparison_table;
  std::string comparison_dir;
};

/// Runs the search (or the sampler comparison, when the config asks for one). Ctrl-C
/// (core/interrupt.h) ends it after the running trial: the result files and the report are
/// written, then InterruptedError says what was kept and how to resume.
SearchSummary run(const SearchSetup& setup);

/// The sampler comparison: the space searched under each of strategy.compare_samplers,
/// compare_repeats times (seeds seed, seed+1, ...), one study each ("<name>/<sampler>/<k>") in
/// <search_ckpts>/comparison/study.db, then the comparison table and report (compare.cpp).
SearchSummary run_comparison(const SearchSetup& setup);

}  // namespace chop::strategy
