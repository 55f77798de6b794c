// Studies for the report tests, made by the real search engine: a hardware-aware
// multi-objective search (accuracy up, bit width down) with pruned, infeasible and failed
// trials, small single-objective ones, and the empty / one-trial / all-failed edge cases.
#pragma once

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "report/study_data.h"
#include "search/sampler_registry.h"
#include "search/study.h"

namespace chop::testing {

inline std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("chop_report_test_" + std::to_string(getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

/// A two-objective study like `chop search` writes: params width (categorical), layers (int),
/// lr (log float); accuracy (maximize) and average_bitwidth (minimize); trial 3 fails, widths
/// of 16 with 3+ layers are over budget (infeasible, pruned before evaluation), and trials
/// report per-epoch accuracies (some pruned by the median rule).
inline void run_hardware_study(std::shared_ptr<search::Storage> storage, const std::string& name,
                               int n_trials, const std::string& sampler = "nsgaii",
                               uint64_t seed = 1) {
  search::StudyOptions o;
  o.name = name;
  o.directions = {search::Direction::kMaximize, search::Direction::kMinimize};
  o.storage = std::move(storage);
  o.sampler = search::make_sampler(sampler, search::Json::object(), seed);
  o.seed = seed;
  search::Study study(o);
  search::OptimizeOptions oo;
  oo.n_trials = n_trials;
  study.optimize(
      [](search::Trial& t) -> std::vector<double> {
        const auto width = t.suggest_categorical("width", {2, 4, 8, 16}).get<int>();
        const auto layers = t.suggest_int("layers", 1, 4);
        const double lr = t.suggest_float("lr", 1e-4, 1e-1, std::nullopt, true);
        if (t.number() == 3) throw std::runtime_error("diverged: NaN loss at epoch 2");
        const double bits = width * (0.75 + 0.25 * static_cast<double>(layers) / 4.0);
        t.set_user_attr("hardware_metrics",
                        {{"average_bitwidth", bits}, {"bitops", bits * 1000.0 * layers}});
        t.set_user_attr("sampled_config", {{"width", width}, {"layers", layers}});
        if (width == 16 && layers >= 3) {
          t.set_user_attr("infeasible", true);
          t.set_user_attr("violated_constraints",
                          {{"bitops", {{"value", bits * 4000.0}, {"limit", 50000}}}});
          throw search::TrialPruned();
        }
        const double acc = 0.9 - 0.4 / width - 0.02 * std::abs(std::log10(lr) + 2.5) +
                           0.01 * static_cast<double>(layers);
        for (int epoch = 0; epoch < 3; ++epoch) t.report(epoch, acc - 0.1 / (epoch + 1));
        t.set_user_attr("software_metrics", {{"accuracy", acc}, {"loss", 1.0 - acc}});
        t.set_user_attr("scaled_metrics", {{"accuracy", acc}, {"average_bitwidth", 0.2 * bits}});
        return {acc, 0.2 * bits};
      },
      oo);
}

/// The studies a report must still make sense of: "empty" (no trials), "one" (a single complete
/// trial) and "failed" (3 trials, each failing with "out of memory in the runner").
inline std::shared_ptr<search::Storage> edge_case_studies() {
  auto storage = search::make_in_memory_storage();
  search::StudyOptions o;
  o.storage = storage;
  o.name = "empty";
  { search::Study s(o); }
  o.name = "one";
  {
    search::Study s(o);
    auto t = s.ask();
    t.suggest_float("x", 0, 1);
    s.tell(t.number(), {1.0});
  }
  o.name = "failed";
  {
    search::Study s(o);
    search::OptimizeOptions oo;
    oo.n_trials = 3;
    s.optimize(
        [](search::Trial& t) -> std::vector<double> {
          t.suggest_float("x", 0, 1);
          throw std::runtime_error("out of memory in the runner");
        },
        oo);
  }
  return storage;
}

}  // namespace chop::testing
