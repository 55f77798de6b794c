// Runners score one candidate graph (MASE's sw_runner / hw_runner): software runners evaluate or
// train on data, hardware runners compute exact costs from passes. One registry table.
#pragma once

#include <ATen/ATen.h>

#include <cfloat>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/table_reader.h"
#include "core/registry.h"
#include "data/dataset.h"
#include "graph/graph.h"

namespace chop::search {
class Trial;
}

namespace chop::runners {

using Json = nlohmann::ordered_json;

/// What a runner may use while scoring a candidate.
struct RunnerEnv {
  const data::Splits* data = nullptr;
  int64_t batch_size = 128;
  at::Device device = at::kCPU;
  uint64_t seed = 0;
  /// Threads for one trial's kernels (0: LibTorch's intra-op count; 1 when trials run in
  /// parallel). Results do not depend on it.
  int n_threads = 0;
  /// The trial being scored (for intermediate values and pruning); null outside a search.
  search::Trial* trial = nullptr;
};

class Runner {
 public:
  virtual ~Runner() = default;
  /// Metric name -> value. May throw search::TrialPruned (training runners) or RunError.
  virtual Json run(graph::Graph& g, RunnerEnv& env) = 0;
};

struct RunnerEntry {
  std::string name;
  std::string kind;  // "sw" or "hw"
  /// Changes the candidate's weights (the strategy then runs such runners one trial at a time,
  /// and spaces whose candidates must be trained require one); its max_epochs follows
  /// --max-epochs.
  bool trains = false;
  /// Needs autograd on (every other runner runs under no-grad).
  bool needs_grad = false;
  std::vector<std::string> metrics;
  std::string summary;
  /// Its options table, [search.strategy.<kind>_runner.<name>]: the one place they are documented.
  config::TableDoc options;
  /// Builds the runner from its row and its checked options (runners that differ only in their
  /// row, like the hw ones, share one factory).
  std::unique_ptr<Runner> (*make)(const RunnerEntry& entry, const config::TableReader& options);
};

const Registry<RunnerEntry>& runner_registry();
/// ConfigError at locate("") for an unknown name or a runner of the other kind.
const RunnerEntry& runner_entry(const std::string& name, const std::string& kind,
                                const config::Locate& locate);
/// The runner from its [search.strategy.<kind>_runner.<name>] table (options checked).
std::unique_ptr<Runner> make_runner(const RunnerEntry& entry, const Json& options,
                                    const config::Locate& locate);

// Factories (one file each).
std::unique_ptr<Runner> make_basic_evaluation(const RunnerEntry& entry,
                                              const config::TableReader& options);
std::unique_ptr<Runner> make_basic_train(const RunnerEntry& entry,
                                         const config::TableReader& options);
/// Every hw runner (runners/hardware.cpp): its registry row's metrics from
/// passes::hardware_metrics; its options are the options of the pass behind those metrics.
std::unique_ptr<Runner> make_hardware_runner(const RunnerEntry& entry,
                                             const config::TableReader& options);

}  // namespace chop::runners
