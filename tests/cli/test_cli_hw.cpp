// Hardware cost end to end through the chop binary: configs/jsc_jet_tagger_luts.toml's
// LUT-budgeted search never trains an over-budget candidate and prints its Pareto front in
// LUTs; `chop analyze` / `chop transform` show the cost tables; basic_evaluation's bit_exact
// option gives the float path's accuracy with 0 mismatches; bad options fail clearly.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/run_chop.h"
#include "common/search_dir.h"
#include "common/study_db.h"
#include "core/files.h"
#include "core/strings.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kLutConfig = std::string(CHOP_SOURCE_DIR) + "/configs/jsc_jet_tagger_luts.toml";

bool has(const std::string& out, const std::string& s) {
  return out.find(s) != std::string::npos;
}

// [passes.quantize]: every Linear layer to integers, 8-bit inputs and biases (4 fraction bits).
std::string quantize_linear_toml(int weight_width, int weight_frac_width) {
  return "[passes.quantize]\nby = \"type\"\n[passes.quantize.default.config]\nname = \"NA\"\n"
         "[passes.quantize.linear.config]\nname = \"integer\"\ndata_in_width = 8\n"
         "data_in_frac_width = 4\nweight_width = " +
         std::to_string(weight_width) +
         "\nweight_frac_width = " + std::to_string(weight_frac_width) +
         "\nbias_width = 8\nbias_frac_width = 4\n";
}

TEST(CliHw, LutBudgetedSearchNeverTrainsAnOverBudgetCandidate) {
  testing::SearchDir d("hw_luts");
  std::string cfg = replace_all(read_file(kLutConfig), "n_trials = 24", "n_trials = 12");
  auto r = testing::run_chop(d.args(d.write(cfg)) + " --max-epochs 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "infeasible: max_luts")) << r.output;
  const auto epochs = testing::trained_epochs(d.ckpts() + "/study.db");
  const Json log = d.log();
  int n_infeasible = 0, n_trained = 0;
  std::map<int64_t, std::pair<double, double>> feasible;  // number -> (accuracy, luts)
  for (auto& [k, row] : log.items()) {
    const int64_t number = row["number"];
    const double luts = row["user_attrs_constraint_metrics"]["luts"].get<double>();
    if (luts > 100000) {
      ++n_infeasible;
      EXPECT_EQ(row["state"], "PRUNED") << number;
      EXPECT_EQ(row["user_attrs_infeasible"], true) << number;
      EXPECT_EQ(row["user_attrs_violated_constraints"]["max_luts"]["limit"], 100000.0);
      EXPECT_TRUE(row["user_attrs_software_metrics"].is_null()) << number;
      if (epochs.count(number)) {
        EXPECT_EQ(epochs.at(number), 0) << "over-budget trial " << number << " was trained";
      }
    } else {
      ++n_trained;
      EXPECT_EQ(row["state"], "COMPLETE") << number;
      if (epochs.count(number)) {
        EXPECT_EQ(epochs.at(number), 1) << number;
      }
      // The luts runner measures what the budget measured (same resources options).
      EXPECT_DOUBLE_EQ(row["user_attrs_hardware_metrics"]["luts"].get<double>(), luts) << number;
      feasible[number] = {row["user_attrs_software_metrics"]["accuracy"].get<double>(), luts};
    }
  }
  EXPECT_GT(n_infeasible, 0);
  EXPECT_GT(n_trained, 0);
  // The Pareto front (printed, and in best.json) is in LUTs and holds exactly the
  // non-dominated feasible trials.
  ASSERT_TRUE(has(r.output, "Best trial(s):")) << r.output;
  EXPECT_TRUE(has(r.output.substr(r.output.find("Best trial(s):")), "'luts': ")) << r.output;
  std::set<int64_t> want, got;
  for (const auto& [number, v] : feasible) {
    bool dominated = false;
    for (const auto& [other, w] : feasible)
      dominated |=
          w.first >= v.first && w.second <= v.second && (w.first > v.first || w.second < v.second);
    if (!dominated) want.insert(number);
  }
  const Json best = Json::parse(read_file(d.ckpts() + "/best.json"));
  for (auto& [k, row] : best.items()) {
    got.insert(row["number"].get<int64_t>());
    EXPECT_LE(row["hardware_metrics"]["luts"].get<double>(), 100000.0);
  }
  EXPECT_EQ(got, want);
}

TEST(CliHw, AnalyzeShowsTheHardwareCostOfFloatAndQuantizedModels) {
  auto r = testing::run_chop("analyze mlp --hidden-features 64,32,32");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s :
       {"Inference cost per layer (QONNX", "FPGA resources per layer", "EBOPs per layer (HGQ",
        "FLOAT32 x FLOAT32", "Hardware cost per inference: 4,256 MACs"})
    EXPECT_TRUE(has(r.output, s)) << s << "\n" << r.output;
  testing::SearchDir d("hw_analyze");
  const std::string toml = d.write(
      "model = \"mlp\"\ndataset = \"jsc\"\n[model_config]\nhidden_features = [64, 32, 32]\n" +
      quantize_linear_toml(8, 4));
  auto q = testing::run_chop("analyze mlp --config " + toml);
  ASSERT_EQ(q.exit_code, 0) << q.output;
  for (const char* s : {"SCALEDINT<8> x SCALEDINT<8>", "Accumulator widths (hls4ml", "ap_fixed<",
                        "widest accumulator", "DSP48"})
    EXPECT_TRUE(has(q.output, s)) << s << "\n" << q.output;
}

TEST(CliHw, TransformRunsTheCostPassesWithOptionsAndSavesTheirTables) {
  testing::SearchDir d("hw_transform");
  const std::string toml = d.write("model = \"jsc-s\"\ndataset = \"jsc\"\nproject = \"hw\"\n" +
                                   quantize_linear_toml(4, 3) + R"([passes.resources]
dsp_type = "dsp58"
memory = "uram"
reuse_factor = {default = 4, module_list_11 = 5}
[passes.ebops]
activation_bits = "calibrated"
batch_norm = "fold"
)");
  auto r = testing::run_chop("transform --config " + toml + " --project-dir " +
                             (d.dir / "out").string() + " --dataset-size 2000");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "dsp58, weights in uram")) << r.output;
  EXPECT_TRUE(has(r.output, "input bits from calibrated, batch norm folded")) << r.output;
  // The pipeline's own tables are not printed again by the summary (which adds the rest).
  size_t n = 0;
  for (size_t p = r.output.find("FPGA resources per layer"); p != std::string::npos;
       p = r.output.find("FPGA resources per layer", p + 1))
    ++n;
  EXPECT_EQ(n, 1u) << r.output;
  EXPECT_TRUE(has(r.output, "Inference cost per layer")) << r.output;
  EXPECT_TRUE(has(r.output, "Accumulator widths (hls4ml")) << r.output;
  const fs::path save = d.dir / "out" / "hw" / "software" / "transform";
  for (const char* f :
       {"resources.csv", "ebops.csv", "inference_cost.csv", "accumulator_widths.csv"})
    EXPECT_TRUE(fs::exists(save / f)) << f;
  const std::string csv = read_file((save / "resources.csv").string());
  EXPECT_TRUE(has(csv, "module_list_11")) << csv;
}

TEST(CliHw, BitExactEvaluationGivesTheFloatPathsAccuracy) {
  testing::SearchDir d("hw_bitexact");
  const std::string base =
      read_file(std::string(CHOP_SOURCE_DIR) + "/configs/jsc_toy_by_type.toml");
  std::string cfg = replace_all(base, "n_trials = 20", "n_trials = 6");
  cfg = replace_all(cfg, "sampler = \"tpe\"", "sampler = \"random\"");
  cfg = replace_all(cfg, "accelerator = \"gpu\"", "accelerator = \"cpu\"");
  const std::string exact =
      replace_all(cfg, "num_samples = 512", "num_samples = 512\nbit_exact = true");
  auto f = testing::run_chop(d.args(d.write(cfg, "float.toml"), "float"));
  auto e = testing::run_chop(d.args(d.write(exact, "exact.toml"), "exact"));
  ASSERT_EQ(f.exit_code, 0) << f.output;
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const Json lf = d.log("float"), le = d.log("exact");
  ASSERT_EQ(lf.size(), le.size());
  for (auto& [k, row] : le.items()) {
    const Json& sw = row["user_attrs_software_metrics"];
    EXPECT_EQ(sw["bit_exact_mismatches"], 0) << k;
    EXPECT_EQ(sw["bit_exact_overflows"], 0) << k;
    EXPECT_GT(sw["max_accumulator_bits"].get<int>(), 0) << k;
    EXPECT_EQ(sw["accuracy"], lf[k]["user_attrs_software_metrics"]["accuracy"]) << k;
    EXPECT_NEAR(sw["loss"].get<double>(),
                lf[k]["user_attrs_software_metrics"]["loss"].get<double>(), 1e-5)
        << k;
  }
}

struct Bad {
  std::string name, text;
  std::vector<std::string> expect;
};

TEST(CliHw, BadHardwareOptionsFailWithTheirKey) {
  testing::SearchDir d("hw_bad");
  const std::string head =
      "model = \"mlp\"\ndataset = \"jsc\"\n[model_config]\n"
      "hidden_features = [64, 32, 32]\n";
  const std::string quant =
      "[passes.quantize]\nby = \"type\"\n[passes.quantize.default.config]\nname = \"NA\"\n"
      "[passes.quantize.linear.config]\nname = \"integer\"\ndata_in_width = 8\n"
      "data_in_frac_width = 4\nweight_width = 8\nweight_frac_width = 4\nbias_width = 8\n"
      "bias_frac_width = 4\n";
  const std::vector<Bad> transforms = {
      {"rf_zero",
       "[passes.resources]\nreuse_factor = 0\n",
       {"passes.resources.reuse_factor", "positive integer"}},
      {"rf_fraction", "[passes.resources]\nreuse_factor = 2.5\n", {"positive integer"}},
      {"rf_node",
       "[passes.resources]\nreuse_factor = {seq_blocks_9 = 2}\n",
       {"seq_blocks_9", "not a multiply-accumulate layer", "seq_blocks_0"}},
      {"rf_strict",
       "[passes.resources]\nreuse_factor = 7\nreuse_factor_rule = \"strict\"\n",
       {"reuse factor 7 is not valid for seq_blocks_0", "valid values", "closest"}},
      {"dsp_type",
       "[passes.resources]\ndsp_type = \"dsp49\"\n",
       {"dsp_type = \"dsp49\"", "did you mean 'dsp48'"}},
      {"uram_fraction",
       "[passes.resources]\nmemory = \"mixed\"\nuram_fraction = 1.5\n",
       {"uram_fraction", "strictly between 0 and 1"}},
      {"limits",
       "[passes.resources]\nbwidth_lower_limit = 16\nbwidth_upper_limit = 8\n",
       {"bwidth_upper_limit", "must not be below"}},
      {"unknown_key",
       "[passes.resources]\nreuse = 2\n",
       {"unknown key 'reuse' in [passes.resources]", "reuse_factor"}},
      {"wrong_type",
       "[passes.inference_cost]\ndiscount_sparsity = \"yes\"\n",
       {"discount_sparsity", "true or false"}},
      {"ebops_mode",
       "[passes.ebops]\nactivation_bits = \"exact\"\n",
       {"activation_bits", "quantizer, interval, calibrated"}},
      {"ebops_bn", "[passes.ebops]\nbatch_norm = \"merge\"\n", {"batch_norm", "fold"}},
      {"ebops_batches", "[passes.ebops]\nn_batches = 0\n", {"n_batches", "at least 1"}},
      {"rounding",
       "[passes.accumulator_widths]\nrounding = \"nearest\"\n",
       {"rounding", "half_even"}},
  };
  for (const Bad& b : transforms) {
    const std::string toml = d.write(head + quant + b.text, b.name + ".toml");
    auto r = testing::run_chop("analyze mlp --config " + toml);
    EXPECT_EQ(r.exit_code, 3) << b.name << "\n" << r.output;
    EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
    EXPECT_TRUE(has(r.output, b.name + ".toml:")) << b.name << "\n" << r.output;
    for (const auto& s : b.expect)
      EXPECT_TRUE(has(r.output, s)) << b.name << ": " << s << "\n" << r.output;
  }
  // Search runners and budgets reject bad options before any trial.
  const std::string search = replace_all(read_file(kLutConfig), "n_trials = 24", "n_trials = 2");
  const std::vector<Bad> searches = {
      {"runner_option",
       replace_all(search, "[search.strategy.hw_runner.dsps]\ndsp_type = \"dsp48\"",
                   "[search.strategy.hw_runner.dsps]\ndsp_type = \"dsp49\""),
       {"search.strategy.hw_runner.dsps.dsp_type", "did you mean 'dsp48'"}},
      {"runner_name",
       replace_all(search, "[search.strategy.hw_runner.ebops]", "[search.strategy.hw_runner.ebop]"),
       {"unknown hw_runner 'ebop'", "did you mean 'ebops'"}},
      {"runner_key",
       replace_all(search, "[search.strategy.hw_runner.ebops]",
                   "[search.strategy.hw_runner.ebops]\nbits = 4"),
       {"search.strategy.hw_runner.ebops.bits", "unknown key 'bits'"}},
      {"budget_value",
       replace_all(search, "max_luts = 100000", "max_luts = -5"),
       {"max_luts must be a positive number"}},
      {"budget_name",
       replace_all(search, "max_luts = 100000", "max_lut = 5"),
       {"unknown key 'max_lut'", "did you mean 'max_luts'"}},
      {"budget_options",
       replace_all(
           search,
           "[search.strategy.constraints.resources]\ndsp_type = \"dsp48\"\nmemory = \"bram\"",
           "[search.strategy.constraints.resources]\ndsp_type = \"dsp48\"\nmemory = \"ddr\""),
       {"search.strategy.constraints.resources.memory", "memory = \"ddr\""}},
  };
  for (const Bad& b : searches) {
    auto r = testing::run_chop(d.args(d.write(b.text, b.name + ".toml"), b.name));
    EXPECT_EQ(r.exit_code, 3) << b.name << "\n" << r.output;
    EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
    EXPECT_FALSE(has(r.output, "[trial 1/")) << b.name << ": a trial ran\n" << r.output;
    EXPECT_TRUE(has(r.output, b.name + ".toml:")) << b.name << "\n" << r.output;
    for (const auto& s : b.expect)
      EXPECT_TRUE(has(r.output, s)) << b.name << ": " << s << "\n" << r.output;
  }
  // The integer engine's options need bit_exact.
  std::string ptq = read_file(std::string(CHOP_SOURCE_DIR) + "/configs/jsc_toy_by_type.toml");
  ptq = replace_all(ptq, "num_samples = 512", "num_samples = 512\nrounding = \"truncate\"");
  auto r = testing::run_chop(d.args(d.write(ptq, "no_bit_exact.toml"), "nbe"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(has(r.output, "set bit_exact = true")) << r.output;
}

}  // namespace
}  // namespace chop
