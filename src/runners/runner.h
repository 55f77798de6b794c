// Runners score one candidate graph (MASE's sw_runner / hw_runner): software runners evaluate or
// train on data, hardware runners compute exact costs from passes. One registry table.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

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
  std::vector<std::string> metrics;
  std::string summary;
  std::string options_help;
  /// `locate(key)` gives "file:line:col (path.key)" for error messages.
  std::unique_ptr<Runner> (*make)(const Json& options,
                                  const std::function<std::string(const std::string&)>& locate);
};

const std::vector<RunnerEntry>& runner_registry();
/// ConfigError at locate("") for an unknown name or a runner of the other kind.
const RunnerEntry& runner_entry(const std::string& name, const std::string& kind,
                                const std::function<std::string(const std::string&)>& locate);

// Factories (one file each).
std::unique_ptr<Runner> make_basic_evaluation(
    const Json&, const std::function<std::string(const std::string&)>&);
std::unique_ptr<Runner> make_basic_train(const Json&,
                                         const std::function<std::string(const std::string&)>&);
std::unique_ptr<Runner> make_average_bitwidth(
    const Json&, const std::function<std::string(const std::string&)>&);
std::unique_ptr<Runner> make_pass_metric_runner(
    const std::string& runner, const Json&, const std::function<std::string(const std::string&)>&);
/// ebops, luts, dsps, bram, bops (runners/hw_cost.cpp): options are the pass's.
std::unique_ptr<Runner> make_hw_cost_runner(
    const std::string& runner, const Json&, const std::function<std::string(const std::string&)>&);

/// Reads an option with a type check; ConfigError naming the key otherwise.
int64_t opt_int(const Json& o, const std::string& key, int64_t def,
                const std::function<std::string(const std::string&)>& locate, int64_t min_value);
double opt_number(const Json& o, const std::string& key, double def,
                  const std::function<std::string(const std::string&)>& locate);
std::string opt_string(const Json& o, const std::string& key, const std::string& def,
                       const std::vector<std::string>& allowed,
                       const std::function<std::string(const std::string&)>& locate);
/// Rejects keys not in `known` with a did-you-mean.
void check_keys(const Json& o, const std::vector<std::string>& known,
                const std::function<std::string(const std::string&)>& locate);

}  // namespace chop::runners
