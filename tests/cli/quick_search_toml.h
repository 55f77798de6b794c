// A quick two-objective PTQ search config on jsc-tiny (each trial evaluates 512 rows) for the
// study and distributed-search end-to-end tests.
#pragma once

#include <string>

namespace chop::testing {

/// `extra_setup`: more [search.strategy.setup] lines (storage, heartbeat_interval, ...).
inline std::string quick_search_toml(int n_trials, const std::string& study = "lab",
                                     const std::string& extra_setup = "") {
  return R"(
model = "jsc-tiny"
dataset = "jsc"
batch_size = 512
seed = 42
[search.search_space]
name = "graph/quantize/mixed_precision_ptq"
[search.search_space.setup]
by = "type"
[search.search_space.seed.default.config]
name = ["NA"]
[search.search_space.seed.linear.config]
name = ["integer"]
data_in_width = [4, 8]
data_in_frac_width = ["NA"]
weight_width = [2, 4, 8]
weight_frac_width = ["NA"]
bias_width = [4, 8]
bias_frac_width = ["NA"]
[search.strategy]
eval_mode = true
[search.strategy.sw_runner.basic_evaluation]
data_loader = "val_dataloader"
num_samples = 512
[search.strategy.hw_runner.average_bitwidth]
compare_to = 32
[search.strategy.setup]
n_trials = )" +
         std::to_string(n_trials) +
         R"(
sampler = "random"
study_name = ")" +
         study + R"("
sum_scaled_metrics = false
)" + extra_setup +
         R"(
[search.strategy.metrics]
accuracy.scale = 1.0
accuracy.direction = "maximize"
average_bitwidth.scale = 0.2
average_bitwidth.direction = "minimize"
)";
}

}  // namespace chop::testing
