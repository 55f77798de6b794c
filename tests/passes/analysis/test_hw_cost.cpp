// The hardware-cost passes against tools/gen_hw_cost_reference.py (QONNX inference_cost, QONNX
// L0 resources, HGQ EBOPs, hls4ml accumulator formats) for jsc-tiny, jsc-s, the 16-64-32-32-5 jet
// tagger and vgg7, float and at two integer configs; plus hand-checked cases and option errors.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/files.h"
#include "passes/analysis/hw_cost_case.h"
#include "passes/analysis/hw_operands.h"

namespace chop::passes {
namespace {

using testing::quantize_like_script;
using testing::script_model;

const Json& golden() {
  static const Json j = Json::parse(
      read_file(std::string(CHOP_SOURCE_DIR) + "/tests/passes/golden/hw_cost_golden.json"));
  return j;
}

void expect_close(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-9 * std::max(1.0, std::fabs(want))) << what;
}

void check_case(const Json& c) {
  const std::string label = c["model"].get<std::string>() + "/" + c["config"].get<std::string>();
  SCOPED_TRACE(label);
  graph::Graph g = script_model(c["zoo"], c["hidden_features"]);
  quantize_like_script(g, c["config"]);
  PassContext ctx;
  // QONNX inference cost, with and without discounting zero weights.
  for (const char* mode : {"discount_sparsity", "dense"}) {
    const Json want = c["inference_cost"][mode];
    const Json got =
        run_pass("inference_cost", g, Json{{"discount_sparsity", mode == std::string("dense") ? false : true}}, ctx)
            .info;
    ASSERT_EQ(got["per_node"].size(), want["per_node"].size()) << mode;
    for (auto it = want["per_node"].begin(); it != want["per_node"].end(); ++it)
      for (auto kv = it.value().begin(); kv != it.value().end(); ++kv) {
        ASSERT_TRUE(got["per_node"][it.key()].contains(kv.key())) << it.key() << " " << kv.key();
        expect_close(got["per_node"][it.key()][kv.key()].get<double>(), kv.value().get<double>(),
                     std::string(mode) + " " + it.key() + "." + kv.key());
      }
    for (auto kv = want["total"].begin(); kv != want["total"].end(); ++kv)
      expect_close(got["total"][kv.key()].get<double>(), kv.value().get<double>(),
                   std::string(mode) + " total." + kv.key());
  }
  // L0 resources under every option set of the script.
  for (const Json& r : c["resources"]) {
    const Json got = run_pass("resources", g, r["options"], ctx).info;
    const std::string o = r["options"].dump();
    for (auto it = r["per_node"].begin(); it != r["per_node"].end(); ++it) {
      const Json& node = got["per_node"][it.key()];
      for (const char* key : {"luts", "dsps", "bram", "uram", "luts_memory"})
        expect_close(node.value(key, 0.0), it.value()[key].get<double>(),
                     o + " " + it.key() + "." + key);
      EXPECT_EQ(node["reuse_factor"], it.value()["reuse_factor"]) << o << " " << it.key();
    }
    for (const char* key : {"luts", "luts_core", "luts_memory", "dsps", "bram", "uram"})
      expect_close(got["total"][key].get<double>(), r["total"][key].get<double>(),
                   o + " total." + key);
  }
  // EBOPs.
  for (const Json& e : c["ebops"]) {
    const Json got = run_pass("ebops", g, e["options"], ctx).info;
    const std::string o = e["options"].dump();
    for (auto it = e["per_node"].begin(); it != e["per_node"].end(); ++it)
      expect_close(got["per_node"][it.key()]["ebops"].get<double>(), it.value().get<double>(),
                   o + " " + it.key());
    expect_close(got["total"].get<double>(), e["total"].get<double>(), o + " total");
  }
  // hls4ml accumulator formats.
  const Json acc = run_pass("accumulator_widths", g, Json::object(), ctx).info;
  ASSERT_EQ(acc["per_node"].size(), c["accumulators"].size());
  for (auto it = c["accumulators"].begin(); it != c["accumulators"].end(); ++it) {
    const Json& got = acc["per_node"][it.key()];
    EXPECT_EQ((Json::array({got["k"], got["i"], got["f"]})), it.value()) << it.key();
  }
}

class HwCostGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(HwCostGolden, MatchesTheReferenceScript) {
  int n = 0;
  for (const Json& c : golden()["cases"])
    if (c["model"] == GetParam()) {
      check_case(c);
      ++n;
    }
  EXPECT_EQ(n, 3);  // float, A, B
}

INSTANTIATE_TEST_SUITE_P(Models, HwCostGolden,
                         ::testing::Values("jsc-tiny", "jsc-s", "jet-tagger-16-64-32-32-5",
                                           "vgg7"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace chop::passes
