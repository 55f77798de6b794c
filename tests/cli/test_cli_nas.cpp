// `chop search` architecture search end to end (MASE lab 4): configs/jsc_three_linear_nas.toml
// trains every candidate and clearly beats the untrained network; over-budget candidates are
// never trained (training epochs counted in study.db); hyperband trains fewer epochs than no
// pruner; the dominance pruner gets exact hardware objectives; the joint width+quantization space;
// config errors.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/quick_search_toml.h"
#include "common/run_chop.h"
#include "common/search_dir.h"
#include "common/study_db.h"
#include "core/files.h"
#include "core/strings.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kNasConfig = std::string(CHOP_SOURCE_DIR) + "/configs/jsc_three_linear_nas.toml";

std::string nas_config() {
  return read_file(kNasConfig);
}

using testing::trained_epochs;

int64_t total(const std::map<int64_t, int64_t>& m) {
  int64_t n = 0;
  for (const auto& [k, v] : m) n += v;
  return n;
}

// Accuracy of the untrained jsc-three-linear-layers on the same validation data: a float
// (quantizer "NA") evaluation-only search over the base model.
double untrained_accuracy(testing::SearchDir& d) {
  testing::SearchToml s;
  s.model = "jsc-three-linear-layers";
  s.batch_size = 256;
  s.seed = 0;
  s.by = "name";
  s.seeds = {};
  s.data_loader = "";
  s.num_samples = 100000;
  s.average_bitwidth = false;
  s.n_trials = 1;
  s.sum_scaled_metrics = true;
  const std::string cfg = s.text();
  auto r = testing::run_chop(d.args(d.write(cfg, "untrained.toml"), "untrained"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  if (r.exit_code != 0) return 1.0;
  return d.log("untrained")["0"]["value"].get<double>();
}

TEST(CliNas, JscThreeLinearConfigBeatsTheUntrainedNetwork) {
  testing::SearchDir d("nas_lab4");
  auto r = testing::run_chop(d.args(kNasConfig));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Json log = d.log();
  ASSERT_EQ(log.size(), 16u);
  std::set<std::pair<int, int>> widths;
  double best = 0;
  for (auto& [k, row] : log.items()) {
    EXPECT_EQ(row["state"], "COMPLETE");
    best = std::max(best, row["value"].get<double>());
    const Json& sc = row["user_attrs_sampled_config"];
    const int a = sc["seq_blocks_2"]["config"]["channel_multiplier"];
    const int b = sc["seq_blocks_4"]["config"]["channel_multiplier"];
    widths.insert({a, b});
    // BN(16) + Linear(16, 16a) + Linear(16a, 16b) + Linear(16b, 5): 661 for (1, 1), 3013 for
    // lab 4's 16 -> 32 -> 64 -> 5 (2, 4).
    EXPECT_EQ(row["user_attrs_hardware_metrics"]["params"].get<int64_t>(),
              37 + 272 * a + 256 * a * b + 96 * b);
  }
  EXPECT_EQ(widths.size(), 16u);  // every architecture once
  // Every candidate was trained for max_epochs = 5 (one intermediate value per epoch).
  for (const auto& [n, epochs] : trained_epochs(d.ckpts() + "/study.db")) EXPECT_EQ(epochs, 5) << n;
  const double untrained = untrained_accuracy(d);
  EXPECT_GT(best, untrained + 0.15) << "untrained " << untrained;
  EXPECT_GT(best, 0.5);
  std::printf("[ measured ] untrained accuracy %.4f, best trained %.4f\n", untrained, best);
}

// Parallel candidates: with n_jobs = 2 two trials train at once (one fused engine each), and the
// log has the same trials and numbers as with n_jobs = 1 (bruteforce's trials do not depend on
// which trials have finished; training is deterministic for any thread count).
TEST(CliNas, TwoJobsGiveTheSameLogAsOne) {
  std::string rows[2];
  for (int jobs = 1; jobs <= 2; ++jobs) {
    testing::SearchDir d("nas_jobs" + std::to_string(jobs));
    std::string cfg = replace_all(nas_config(), "max_epochs = 5", "max_epochs = 2");
    cfg = replace_all(cfg, "n_trials = 16", "n_trials = 8");
    cfg = replace_all(cfg, "n_jobs = 1", "n_jobs = " + std::to_string(jobs));
    auto r = testing::run_chop(d.args(d.write(cfg)));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const Json log = d.log();
    ASSERT_EQ(log.size(), 8u);
    for (auto& [k, row] : log.items())
      rows[jobs - 1] += k + " " + row["user_attrs_sampled_config"].dump() + " " +
                        row["user_attrs_software_metrics"].dump() + " " + row["value"].dump() +
                        "\n";
  }
  EXPECT_EQ(rows[1], rows[0]);
}

// MASE lab 4's seeds as the lab writes them (name = output_only|both|input_only,
// channel_multiplier_in/out, parent_block_name): every layer's input follows its parent's output,
// so the 9 (a, b) choices give 9 consistent networks 16 -> 16a -> 16b -> 5.
TEST(CliNas, Lab4SeedsAsWrittenResizeEachLayerAndItsConsumer) {
  testing::SearchDir d("nas_lab4_as_written");
  auto r = testing::run_chop(
      d.args(std::string(CHOP_SOURCE_DIR) + "/configs/jsc_three_linear_lab4.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Json log = d.log();
  ASSERT_EQ(log.size(), 9u);
  std::set<int64_t> params, expected;
  for (int a : {1, 2, 4})
    for (int b : {1, 2, 4}) expected.insert(37 + 272 * a + 256 * a * b + 96 * b);
  for (auto& [k, row] : log.items()) {
    EXPECT_EQ(row["state"], "COMPLETE") << k;
    params.insert(row["user_attrs_hardware_metrics"]["params"].get<int64_t>());
  }
  EXPECT_EQ(params, expected);
}

TEST(CliNas, OverBudgetCandidatesAreNeverTrained) {
  for (const char* sampler : {"bruteforce", "tpe"}) {
    testing::SearchDir d(std::string("nas_budget_") + sampler);
    std::string cfg = replace_all(nas_config(), "max_epochs = 5", "max_epochs = 2");
    cfg =
        replace_all(cfg, "sampler = \"bruteforce\"", std::string("sampler = \"") + sampler + "\"");
    cfg += "\n[search.strategy.constraints]\nmax_params = 1500\n";
    auto r = testing::run_chop(d.args(d.write(cfg)));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("infeasible: max_params"), std::string::npos) << r.output;
    auto epochs = trained_epochs(d.ckpts() + "/study.db");
    int n_infeasible = 0, n_trained = 0;
    const Json log = d.log();  // items() must not outlive it
    for (auto& [k, row] : log.items()) {
      const int64_t number = row["number"];
      const bool reused = row.contains("system_attrs_reused_from");
      const double params = row["user_attrs_constraint_metrics"]["params"].get<double>();
      if (params > 1500) {
        ++n_infeasible;
        EXPECT_EQ(row["state"], "PRUNED") << number;
        EXPECT_EQ(row["user_attrs_infeasible"], true) << number;
        EXPECT_EQ(row["user_attrs_violated_constraints"]["max_params"]["limit"], 1500.0);
        EXPECT_TRUE(row["user_attrs_software_metrics"].is_null()) << number;
        if (!reused) {
          EXPECT_EQ(epochs.at(number), 0) << "over-budget trial " << number << " trained";
          // Optuna's constraint values for the samplers: params / limit - 1 > 0.
          EXPECT_GT(row["system_attrs_constraints"][0].get<double>(), 0) << number;
        }
      } else {
        EXPECT_EQ(row["state"], "COMPLETE") << number;
        EXPECT_FALSE(row.contains("user_attrs_infeasible")) << number;
        if (!reused) {
          EXPECT_EQ(epochs.at(number), 2) << number;
          ++n_trained;
        }
      }
    }
    EXPECT_GT(n_infeasible, 0) << sampler;
    EXPECT_GT(n_trained, 0) << sampler;
    if (std::string(sampler) == "bruteforce") {
      // params(a, b) = 37 + 272a + 256ab + 96b <= 1500 for (1,1), (1,2), (1,3), (2,1) only.
      EXPECT_EQ(n_trained, 4);
      EXPECT_EQ(n_infeasible, 12);
    }
  }
}

TEST(CliNas, HyperbandTrainsFewerEpochsThanNoPruner) {
  std::map<std::string, int64_t> epochs;
  std::map<std::string, int> pruned;
  for (const char* pruner : {"nop", "hyperband"}) {
    testing::SearchDir d(std::string("nas_prune_") + pruner);
    std::string cfg = replace_all(nas_config(), "max_epochs = 5", "max_epochs = 9");
    cfg = replace_all(cfg, "sampler = \"bruteforce\"",
                      std::string("sampler = \"random\"\npruner = \"") + pruner + "\"");
    // 36 networks, from a quarter of the widths to four times: a spread hyperband can use.
    cfg = replace_all(cfg, "channel_multiplier = [1, 2, 3, 4]",
                      "channel_multiplier = [0.25, 0.5, 1, 2, 3, 4]");
    if (std::string(pruner) == "hyperband")
      cfg += "\n[search.strategy.setup.pruner_options]\nmin_resource = 1\nmax_resource = 9\n";
    auto r = testing::run_chop(d.args(d.write(cfg)));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    epochs[pruner] = total(trained_epochs(d.ckpts() + "/study.db"));
    const Json log = d.log();  // items() must not outlive it
    for (auto& [k, row] : log.items()) pruned[pruner] += row["state"] == "PRUNED";
  }
  EXPECT_EQ(pruned["nop"], 0);
  EXPECT_GT(pruned["hyperband"], 0);
  // Same 16 sampled networks (random sampling does not depend on the history): measured 117
  // epochs without a pruner, 72 with hyperband (9 trials pruned).
  EXPECT_LT(epochs["hyperband"], 0.8 * epochs["nop"]);
  EXPECT_GE(pruned["hyperband"], 3);
  std::printf("[ measured ] training epochs: no pruner %lld, hyperband %lld (%d pruned)\n",
              static_cast<long long>(epochs["nop"]), static_cast<long long>(epochs["hyperband"]),
              pruned["hyperband"]);
}

TEST(CliNas, DominancePrunerGetsExactHardwareObjectives) {
  testing::SearchDir d("nas_dominance");
  std::string cfg = replace_all(nas_config(), "max_epochs = 5", "max_epochs = 4");
  cfg = replace_all(cfg, "sampler = \"bruteforce\"",
                    "sampler = \"bruteforce\"\npruner = \"dominance\"");
  cfg = replace_all(cfg, "sum_scaled_metrics = true\ndirection = \"maximize\"",
                    "sum_scaled_metrics = false\n[search.strategy.setup.pruner_options]\n"
                    "n_startup_trials = 1");
  cfg = replace_all(cfg, "accuracy.scale = 1.0",
                    "accuracy.scale = 1.0\naccuracy.direction = \"maximize\"\n"
                    "model_size.scale = 0.001\nmodel_size.direction = \"minimize\"");
  auto r = testing::run_chop(d.args(d.write(cfg)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int n_pruned = 0;
  std::map<int64_t, std::string> states;
  const auto epochs = trained_epochs(d.ckpts() + "/study.db");
  const Json log = d.log();  // items() must not outlive it
  for (auto& [k, row] : log.items()) {
    // Objective 1 (model_size, scaled) is known before training.
    const double size = row["user_attrs_hardware_metrics"]["model_size"].get<double>();
    ASSERT_TRUE(row.contains("system_attrs_exact_objectives")) << row.dump();
    EXPECT_DOUBLE_EQ(row["system_attrs_exact_objectives"]["1"].get<double>(), 0.001 * size);
    n_pruned += row["state"] == "PRUNED";
    states[row["number"].get<int64_t>()] = row["state"];
  }
  // Measured: 13 of 16 pruned (a bigger network whose accuracy so far is below that of a smaller
  // completed one at the same epoch is dominated); each stopped before its last epoch.
  EXPECT_GT(n_pruned, 0);
  for (const auto& [n, e] : epochs) {
    if (states[n] == "PRUNED") {
      EXPECT_LT(e, 4) << n;
    }
  }
  std::printf("[ measured ] dominance pruner: %d of 16 trials pruned\n", n_pruned);
}

TEST(CliNas, JointWidthAndQuantizationSpace) {
  testing::SearchDir d("nas_joint");
  auto r = testing::run_chop(
      d.args(std::string(CHOP_SOURCE_DIR) + "/configs/jsc_three_linear_joint.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json log = d.log();  // items() must not outlive it
  for (auto& [k, row] : log.items()) {
    ASSERT_EQ(row["state"], "COMPLETE") << row.dump();
    const Json& sc = row["user_attrs_sampled_config"];
    const double m2 = sc["channels"]["seq_blocks_2"]["config"]["channel_multiplier"];
    const double m4 = sc["channels"]["seq_blocks_4"]["config"]["channel_multiplier"];
    const double params =
        32 + (16 * 16 * m2 + 16 * m2) + (16 * m2 * 16 * m4 + 16 * m4) + (16 * m4 * 5 + 5);
    EXPECT_EQ(row["user_attrs_hardware_metrics"]["params"].get<double>(), params);
    // Size at the sampled precision: BN float, each Linear's weights at its sampled width.
    double bits = 32 * 32.0;
    const double w[3][2] = {{16, 16 * m2}, {16 * m2, 16 * m4}, {16 * m4, 5}};
    const char* names[3] = {"seq_blocks_2", "seq_blocks_4", "seq_blocks_6"};
    for (int i = 0; i < 3; ++i)
      bits += w[i][0] * w[i][1] * sc["quantize"][names[i]]["config"]["weight_width"].get<double>() +
              w[i][1] * 8;
    EXPECT_DOUBLE_EQ(row["user_attrs_hardware_metrics"]["model_size"].get<double>(), bits / 8);
    EXPECT_GT(row["user_attrs_software_metrics"]["accuracy"].get<double>(), 0.3);
  }
}

TEST(CliNas, Vgg7Cifar10ConfigRunsOnTheSharedImages) {
  const std::string data = std::string(CHOP_SHARED_DIR) + "/data/cifar10";
  if (!fs::exists(data + "/test_batch_first932.bin")) GTEST_SKIP() << "no CIFAR-10 images";
  testing::SearchDir d("nas_vgg7");
  std::string cfg = read_file(std::string(CHOP_SOURCE_DIR) + "/configs/vgg7_cifar10_nas.toml");
  ASSERT_NE(cfg.find("n_trials = 12"), std::string::npos);
  cfg = replace_all(cfg, "n_trials = 12", "n_trials = 3");
  // --max-epochs scales basic_train's budget from the command line (here: down to 1 epoch).
  auto r = testing::run_chop("search --config " + d.write(cfg) + " --project-dir " +
                             (d.dir / "out").string() + " --project p --num-workers 2 " +
                             "--data-path " + data + " --max-epochs 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json log = d.log();
  ASSERT_EQ(log.size(), 3u);
  auto epochs = trained_epochs(d.ckpts() + "/study.db");
  const std::vector<std::string> convs = {"feature_layers_0",  "feature_layers_3",
                                          "feature_layers_7",  "feature_layers_10",
                                          "feature_layers_14", "feature_layers_17"};
  const std::vector<int64_t> conv_width = {128, 128, 256, 256, 512, 512};
  for (auto& [k, row] : log.items()) {
    const Json& sc = row["user_attrs_sampled_config"];
    auto width = [&](const std::string& node, int64_t base) {
      const double m = sc[node]["config"]["channel_multiplier"];
      return std::max<int64_t>(1, std::llround(base * m));
    };
    // Hand count: 3x3 convs with bias and BN (2 per channel), view(-1, C*4*4), two Linears.
    int64_t params = 0, c_in = 3;
    for (size_t i = 0; i < convs.size(); ++i) {
      const int64_t c = width(convs[i], conv_width[i]);
      params += c_in * c * 9 + c + 2 * c;
      c_in = c;
    }
    const int64_t h1 = width("classifier_0", 1024), h2 = width("classifier_2", 1024);
    params += (c_in * 16 * h1 + h1) + (h1 * h2 + h2) + (h2 * 10 + 10);
    if (row["state"] == "PRUNED" && row.contains("user_attrs_infeasible")) {
      EXPECT_GT(params, 400000);
      EXPECT_EQ(row["user_attrs_constraint_metrics"]["params"].get<int64_t>(), params);
      EXPECT_EQ(epochs.at(row["number"].get<int64_t>()), 0);
      continue;
    }
    ASSERT_EQ(row["state"], "COMPLETE") << row.dump();
    EXPECT_LE(params, 400000);
    EXPECT_EQ(row["user_attrs_hardware_metrics"]["params"].get<int64_t>(), params);
    EXPECT_EQ(epochs.at(row["number"].get<int64_t>()), 1);  // --max-epochs 1
    EXPECT_GT(row["value"].get<double>(), 0.0);
  }
}

TEST(CliNas, ConfigErrors) {
  struct Case {
    std::string from, to, must_mention;
  };
  const std::vector<Case> cases = {
      {"[search.strategy.sw_runner.basic_train]\nmax_epochs = 5\noptimizer = \"adam\"\n"
       "learning_rate = 1e-2\nlr_scheduler = \"constant\"\n",
       "[search.strategy.sw_runner.basic_evaluation]\nnum_samples = 512\n", "basic_train"},
      {"[search.search_space.seed.default.config]",
       "[search.search_space.seed.seq_blocks_9.config]", "search.search_space.seed.seq_blocks_9"},
      {"mode = \"per_layer\"", "mode = \"layerwise\"", "search.search_space.setup.mode"},
      {"[search.strategy.hw_runner.model_size]",
       "[search.strategy.constraints]\nmax_parms = 100\n[search.strategy.hw_runner.model_size]",
       "search.strategy.constraints.max_parms"},
  };
  for (const auto& c : cases) {
    testing::SearchDir d("nas_bad");
    std::string cfg = replace_all(nas_config(), c.from, c.to);
    ASSERT_NE(cfg, nas_config()) << c.from;
    auto r = testing::run_chop(d.args(d.write(cfg)));
    EXPECT_NE(r.exit_code, 0) << c.must_mention;
    EXPECT_NE(r.output.find(c.must_mention), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("search.toml:"), std::string::npos) << r.output;
    EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
  }
}

}  // namespace
}  // namespace chop
