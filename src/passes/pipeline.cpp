// Pipeline parsing and running; see pipeline.h.
#include "passes/pipeline.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <tuple>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/table.h"
#include "graph/verify.h"
#include "passes/registry.h"

namespace chop::passes {
namespace {

// (line, col) of a "file:line:col" location; INT_MAX when it has none.
std::pair<int, int> line_col(const std::string& loc) {
  auto parts = split(loc, ':');
  if (parts.size() < 3) return {INT_MAX, INT_MAX};
  try {
    return {std::stoi(parts[parts.size() - 2]), std::stoi(parts.back())};
  } catch (const std::exception&) {
    return {INT_MAX, INT_MAX};
  }
}

std::pair<int, int> first_position(const config::TomlDocument& doc, const std::string& prefix) {
  std::pair<int, int> best{INT_MAX, INT_MAX};
  for (const auto& [key, loc] : doc.locations)
    if (key == prefix || starts_with(key, prefix + ".") || starts_with(key, prefix + "["))
      best = std::min(best, line_col(loc));
  return best;
}

}  // namespace

std::vector<PipelineStep> pipeline_from_table(const Json& passes_table,
                                              const config::TomlDocument* doc) {
  std::vector<PipelineStep> steps;
  if (passes_table.is_null()) return steps;
  auto where = [&](const std::string& key) { return doc ? doc->where(key) : key; };
  if (!passes_table.is_object())
    throw ConfigError(where("passes"), "'passes' must be a table of pass tables ([passes.NAME])");
  std::vector<std::pair<std::pair<int, int>, PipelineStep>> keyed;
  size_t i = 0;
  for (auto it = passes_table.begin(); it != passes_table.end(); ++it, ++i) {
    std::string path = "passes." + it.key();
    pass_named(it.key(), where(path));
    if (!it.value().is_object())
      throw ConfigError(where(path), "'" + path + "' must be a table ([" + path +
                                         "]) holding the pass's options");
    auto pos = doc ? first_position(*doc, path) : std::make_pair(0, static_cast<int>(i));
    keyed.push_back({pos, PipelineStep{it.key(), it.value(), path}});
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [pos, step] : keyed) steps.push_back(std::move(step));
  return steps;
}

std::vector<StepReport> run_pipeline(graph::Graph& g, const std::vector<PipelineStep>& steps,
                                     PassContext& ctx) {
  std::vector<StepReport> reports;
  for (const auto& step : steps) {
    ctx.option_path = step.key_path;
    auto t0 = std::chrono::steady_clock::now();
    PassResult r = run_pass(step.name, g, step.options, ctx);
    auto t1 = std::chrono::steady_clock::now();
    StepReport rep{step.name, std::chrono::duration<double, std::milli>(t1 - t0).count(), r.changed,
                   r.info};
    if (ctx.debug) {
      log_info("pass " + step.name + ": " + format_double(rep.t_ms) + " ms" +
               (r.changed ? " (graph changed)" : ""));
      try {
        graph::Shape in_shape = ctx.dummy_batch(g).sizes().vec();
        graph::verify(g, in_shape);
      } catch (const Error& e) {
        throw InternalError("graph invalid after pass '" + step.name + "': " + e.what());
      }
    }
    reports.push_back(std::move(rep));
  }
  ctx.option_path.clear();
  return reports;
}

std::string timing_table(const std::vector<StepReport>& reports) {
  Table t{{"Pass", "Time (ms)", "Changed"}, {}, {}};
  for (const auto& r : reports) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", r.t_ms);
    t.rows.push_back({r.name, buf, r.changed ? "yes" : "no"});
  }
  return t.render(TableStyle::kPretty);
}

std::vector<StepReport> run_transform(graph::Graph& g, const std::vector<PipelineStep>& steps,
                                      PassContext& ctx) {
  std::vector<PipelineStep> all = {
      {"add_common_metadata", Json::object(), "passes.add_common_metadata"},
      {"add_software_metadata", Json::object(), "passes.add_software_metadata"}};
  all.insert(all.end(), steps.begin(), steps.end());
  return run_pipeline(g, all, ctx);
}

}  // namespace chop::passes
