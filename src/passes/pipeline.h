// Pipelines: the [passes.*] tables of a TOML file, run in file order as MASE's transform action
// does, with per-pass timing and (in debug mode) graph verification after every pass.
#pragma once

#include <string>
#include <vector>

#include "config/toml_document.h"
#include "passes/pass.h"

namespace chop::passes {

struct PipelineStep {
  std::string name;      // pass name ("quantize")
  Json options;          // its table
  std::string key_path;  // "passes.quantize"
};

/// The steps of a [passes] table in the order they appear in `doc` (toml++ does not keep file
/// order, so each pass is placed by the first line:col of any of its keys); JSON order without a
/// document. Unknown pass names -> ConfigError at the table's file:line:col listing known passes.
std::vector<PipelineStep> pipeline_from_table(const Json& passes_table,
                                              const config::TomlDocument* doc);

struct StepReport {
  std::string name;
  double t_ms = 0;
  bool changed = false;
  Json info;
};

/// Runs the steps in order, each with ctx.option_path set to its key path. In ctx.debug mode the
/// graph is verified after every pass (a failure names the pass) and timings are logged.
std::vector<StepReport> run_pipeline(graph::Graph& g, const std::vector<PipelineStep>& steps,
                                     PassContext& ctx);

/// "Pass | Time (ms) | Changed" table.
std::string timing_table(const std::vector<StepReport>& reports);

/// MASE's transform: add_common_metadata and add_software_metadata first, then `steps`.
std::vector<StepReport> run_transform(graph::Graph& g, const std::vector<PipelineStep>& steps,
                                      PassContext& ctx);

}  // namespace chop::passes
