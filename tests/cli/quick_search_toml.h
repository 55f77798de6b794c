// The mixed-precision PTQ search TOML the `chop search` end-to-end tests write, in one place: a
// SearchToml whose defaults are the quick two-objective search on jsc-tiny (512 rows a trial),
// and whose fields are the knobs the tests turn (model, space, sampler, n_trials, metrics, ...).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace chop::testing {

/// The body of a `[...seed.<node>.config]` table quantizing to integers, fractions left to chop.
inline std::string integer_config(const std::string& weight_width = "[2, 4, 8]",
                                  const std::string& bias_width = "[4, 8]") {
  return "name = [\"integer\"]\ndata_in_width = [4, 8]\ndata_in_frac_width = [\"NA\"]\n"
         "weight_width = " +
         weight_width + "\nweight_frac_width = [\"NA\"]\nbias_width = " + bias_width +
         "\nbias_frac_width = [\"NA\"]\n";
}

struct SearchToml {
  std::string model = "jsc-tiny";
  int batch_size = 512;
  int seed = 42;
  std::string top_extra;  // more top-level lines (task, accelerator, ...)
  std::string by = "type";
  /// The `[search.search_space.seed.<node>.config]` tables after `default` (float), in order.
  std::vector<std::pair<std::string, std::string>> seeds = {{"linear", integer_config()}};
  std::string strategy_name;                   // written when not empty
  std::string data_loader = "val_dataloader";  // written when not empty
  int num_samples = 512;
  bool average_bitwidth = true;  // the hw runner and its metric (scale 0.2)
  int n_trials = 10;
  std::string sampler = "random";
  std::string study_name;           // written when not empty
  bool sum_scaled_metrics = false;  // true: one summed score, maximized; false: a direction each
  std::string setup_extra;          // more [search.strategy.setup] lines (storage, ...)

  std::string text() const {
    std::string t = "model = \"" + model + "\"\ndataset = \"jsc\"\n" + top_extra +
                    "batch_size = " + std::to_string(batch_size) +
                    "\nseed = " + std::to_string(seed) +
                    "\n[search.search_space]\nname = \"graph/quantize/mixed_precision_ptq\"\n"
                    "[search.search_space.setup]\nby = \"" +
                    by + "\"\n[search.search_space.seed.default.config]\nname = [\"NA\"]\n";
    for (const auto& [node, config] : seeds)
      t += "[search.search_space.seed." + node + ".config]\n" + config;
    t += "[search.strategy]\n";
    if (!strategy_name.empty()) t += "name = \"" + strategy_name + "\"\n";
    t += "eval_mode = true\n[search.strategy.sw_runner.basic_evaluation]\n";
    if (!data_loader.empty()) t += "data_loader = \"" + data_loader + "\"\n";
    t += "num_samples = " + std::to_string(num_samples) + "\n";
    if (average_bitwidth) t += "[search.strategy.hw_runner.average_bitwidth]\ncompare_to = 32\n";
    t += "[search.strategy.setup]\nn_trials = " + std::to_string(n_trials) + "\nsampler = \"" +
         sampler + "\"\n";
    if (!study_name.empty()) t += "study_name = \"" + study_name + "\"\n";
    t += sum_scaled_metrics ? "sum_scaled_metrics = true\ndirection = \"maximize\"\n"
                            : "sum_scaled_metrics = false\n";
    t += setup_extra;
    t += "[search.strategy.metrics]\naccuracy.scale = 1.0\n";
    if (!sum_scaled_metrics) t += "accuracy.direction = \"maximize\"\n";
    if (average_bitwidth) {
      t += "average_bitwidth.scale = 0.2\n";
      if (!sum_scaled_metrics) t += "average_bitwidth.direction = \"minimize\"\n";
    }
    return t;
  }
};

/// The quick search; `extra_setup`: more [search.strategy.setup] lines (storage, heartbeat, ...).
inline std::string quick_search_toml(int n_trials, const std::string& study = "lab",
                                     const std::string& extra_setup = "") {
  SearchToml s;
  s.n_trials = n_trials;
  s.study_name = study;
  s.setup_extra = extra_setup;
  return s.text();
}

}  // namespace chop::testing
