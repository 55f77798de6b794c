// End to end through the chop binary: `chop analyze` metrics, `chop list passes`,
// `chop transform` with MASE's jsc_toy_by_type config, and clear errors for bad pass configs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/run_chop.h"

namespace chop {
namespace {

namespace fs = std::filesystem;

std::string temp_dir(const std::string& name) {
  // One folder per process: suites of several checkouts may run at once on one machine.
  std::string d =
      ::testing::TempDir() + "/chop_passes_e2e_" + name + "_" + std::to_string(getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
  std::string p = dir + "/" + name;
  std::ofstream(p) << text;
  return p;
}

bool has(const std::string& out, const std::string& s) {
  return out.find(s) != std::string::npos;
}

TEST(CliAnalyze, JscTinyLab2Metrics) {
  auto r = testing::run_chop("analyze jsc-tiny --batch-size 8");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "FLOPs: 1,320")) << r.output;
  EXPECT_TRUE(has(r.output, "BitOPs: 42,240")) << r.output;
  EXPECT_TRUE(has(r.output, "Model size: 468 bytes")) << r.output;
}

TEST(CliList, OneLinePerPass) {
  auto r = testing::run_chop("list passes");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* p : {"add_common_metadata", "flops", "bitops", "quantize", "profile_statistics",
                        "latency", "average_bitwidth", "model_size", "report_graph"})
    EXPECT_TRUE(has(r.output, std::string("| ") + p + " ")) << p << "\n" << r.output;
}

const char* kByType = R"(model = "jsc-tiny"
dataset = "jsc"
task = "cls"
batch_size = 8
project = "e2e"
[passes.quantize]
by = "type"
[passes.quantize.default.config]
name = "NA"
[passes.quantize.linear.config]
name = "integer"
"data_in_width" = 8
"data_in_frac_width" = 4
"weight_width" = 8
"weight_frac_width" = 4
"bias_width" = 8
"bias_frac_width" = 4
[passes.average_bitwidth]
compare_to = 32
)";

TEST(CliTransform, MaseJscToyByType) {
  std::string d = temp_dir("by_type");
  std::string cfg = std::string(CHOP_SOURCE_DIR) + "/configs/jsc_toy_by_type.toml";
  auto r = testing::run_chop("transform --config '" + cfg + "' --project-dir '" + d +
                             "' --dataset-size 2000 --batch-size 8");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "| Linear ")) << r.output;
  std::string save = d + "/jsc-tiny/software/transform";
  std::ifstream hist(save + "/quantize/quantize_histogram.csv");
  std::string text((std::istreambuf_iterator<char>(hist)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(has(text, "Linear,linear,1,1,0")) << text;
  EXPECT_TRUE(has(text, "ReLU,relu,2,0,2")) << text;
  EXPECT_TRUE(has(r.output, "average_bitwidth: 8")) << r.output;
  EXPECT_TRUE(has(r.output, "memory_density: 4")) << r.output;
  for (const char* f : {"transformed_ckpt/graph.txt", "transformed_ckpt/node_meta.toml",
                        "transformed_ckpt/state.pt", "transformed_ckpt/transformed.ckpt",
                        "quantize/quantize_table.csv", "metrics.json"})
    EXPECT_TRUE(fs::exists(save + "/" + f)) << f;
}

TEST(CliTransform, ExtraPassesRunInFileOrderAndReload) {
  std::string d = temp_dir("order");
  std::string text = std::string(kByType) + "[passes.flops]\n[passes.bitops]\n";
  std::string cfg = write(d, "cfg.toml", text);
  auto r = testing::run_chop("transform --config '" + cfg + "' --project-dir '" + d +
                             "' --dataset-size 2000");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto pq = r.output.find("Quantized graph histogram");
  auto pb = r.output.find("average_bitwidth: 8");
  auto pf = r.output.find("FLOPs per layer");
  ASSERT_NE(pq, std::string::npos);
  EXPECT_LT(pq, pb);
  EXPECT_LT(pb, pf);
  // BitOPs after quantization: BN, ReLUs float; Linear 640 MACs x 8 x 8.
  EXPECT_TRUE(has(r.output, "62,720")) << r.output;
  // A second transform from the saved checkpoint keeps the quantized linear.
  std::string cfg2 = write(d, "cfg2.toml",
                           "model = \"jsc-tiny\"\ndataset = \"jsc\"\nproject = \"again\"\n"
                           "batch_size = 8\n[passes.average_bitwidth]\n");
  auto r2 = testing::run_chop("transform --config '" + cfg2 + "' --project-dir '" + d +
                              "' --dataset-size 2000 --load '" + d +
                              "/e2e/software/transform/transformed_ckpt'");
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_TRUE(has(r2.output, "average_bitwidth: 8")) << r2.output;
}

struct BadCase {
  std::string name, replace_from, replace_to;
  std::vector<std::string> expect;
};

TEST(CliTransform, BadConfigsGiveClearErrors) {
  std::string d = temp_dir("bad");
  const std::vector<BadCase> cases = {
      {"unknown_pass",
       "[passes.average_bitwidth]",
       "[passes.average_bitwidht]",
       {"unknown pass 'average_bitwidht'", "did you mean 'average_bitwidth'", "known passes",
        "cfg.toml:"}},
      {"missing_weight_width",
       "\"weight_width\" = 8\n",
       "",
       {"seq_blocks_2", "weight_width", "passes.quantize.linear.config"}},
      {"zero_width",
       "\"data_in_width\" = 8",
       "\"data_in_width\" = 0",
       {"seq_blocks_2", "data_in_width", "positive"}},
      {"negative_width",
       "\"weight_width\" = 8",
       "\"weight_width\" = -2",
       {"seq_blocks_2", "weight_width"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string text = kByType;
    auto at = text.find(c.replace_from);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, c.replace_from.size(), c.replace_to);
    std::string cfg = write(d, "cfg.toml", text);
    auto r = testing::run_chop("transform --config '" + cfg + "' --project-dir '" + d +
                               "' --dataset-size 2000");
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.exit_code, 3) << r.output;  // ConfigError
    for (const auto& e : c.expect) EXPECT_TRUE(has(r.output, e)) << e << "\n" << r.output;
    EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
  }
  auto r = testing::run_chop("transform jsc-tiny jsc --project-dir '" + d + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.output, "--config")) << r.output;
}

}  // namespace
}  // namespace chop
