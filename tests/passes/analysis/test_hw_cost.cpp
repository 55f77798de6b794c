// The hardware-cost passes against tools/gen_hw_cost_reference.py (QONNX inference_cost, QONNX
// L0 resources, HGQ EBOPs, hls4ml accumulator formats) for jsc-tiny, jsc-s, the 16-64-32-32-5 jet
// tagger and vgg7, float and at two integer configs; plus hand-checked cases and option errors.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/files.h"
#include "passes/analysis/hw_cost_case.h"
#include "passes/analysis/hw_operands.h"
#include "quant/config.h"

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
        run_pass("inference_cost", g,
                 Json{{"discount_sparsity", mode == std::string("dense") ? false : true}}, ctx)
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

// jsc-tiny at MASE's 8/4 with four non-zero weights (0.75, -0.5, 3, 0.0625) and one bias 0.5:
// every figure below is worked out by hand in the comments.
graph::Graph hand_case() {
  graph::Graph g = testing::script_model("jsc-tiny", nullptr);
  {
    at::NoGradGuard no_grad;
    graph::Node& lin = g.node("seq_blocks_2");
    lin.param("weight")->zero_();
    lin.param("bias")->zero_();
    (*lin.param("weight"))[0][0] = 0.75;
    (*lin.param("weight"))[1][1] = -0.5;
    (*lin.param("weight"))[2][2] = 3.0;
    (*lin.param("weight"))[3][3] = 0.0625;
    (*lin.param("bias"))[0] = 0.5;
    graph::Node& bn = g.node("seq_blocks_0");  // a fresh batch norm: x / sqrt(1 + eps)
    bn.param("weight")->fill_(1);
    bn.param("bias")->zero_();
    bn.buffer("running_mean")->zero_();
    bn.buffer("running_var")->fill_(1);
  }
  quantize_like_script(g, "A");
  return g;
}

TEST(HwCost, InferenceCostAndResourcesByHand) {
  graph::Graph g = hand_case();
  PassContext ctx;
  const Json ic = run_pass("inference_cost", g, Json::object(), ctx).info;
  const Json& node = ic["per_node"]["seq_blocks_2"];
  // 80 MACs at density 4/80; SCALEDINT<8> operands (8/4: a scale), SCALEDINT<32> result.
  EXPECT_DOUBLE_EQ(node["op_mac_SCALEDINT<8>_SCALEDINT<8>"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(node["total_bops"].get<double>(), 8 * 8 * 4.0);
  EXPECT_DOUBLE_EQ(node["total_mem_w_bits"].get<double>(), 8 * 4.0);
  EXPECT_DOUBLE_EQ(node["mem_o_SCALEDINT<32>"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(node["total_mem_o_bits"].get<double>(), 160.0);
  EXPECT_EQ(node["zero_weights"], 76);
  EXPECT_EQ(ic["total"]["zero_weights"], 76);
  EXPECT_EQ(ic["zero_cost"], Json::array({"seq_blocks_0", "seq_blocks_1", "seq_blocks_3"}));
  const Json dense = run_pass("inference_cost", g, Json{{"discount_sparsity", false}}, ctx).info;
  EXPECT_DOUBLE_EQ(dense["total"]["total_macs"].get<double>(), 80.0);
  EXPECT_DOUBLE_EQ(dense["total"]["total_bops"].get<double>(), 5120.0);
  // DSP48: INT8 x INT8 -> 0.5 DSP + 100 LUTs per MAC; 32 weight bits in a 36 kb BRAM.
  const Json res = run_pass("resources", g, Json::object(), ctx).info["total"];
  EXPECT_DOUBLE_EQ(res["dsps"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(res["luts"].get<double>(), 400.0);
  EXPECT_DOUBLE_EQ(res["bram"].get<double>(), 32.0 / 36864);
  EXPECT_EQ(res["bram_blocks"], 1);
  // No DSPs: 1.1 x 8 x 8 LUTs per MAC; LUT-RAM: 64 bits per LUT.
  const Json lut =
      run_pass("resources", g, Json{{"dsp_type", "none"}, {"memory", "lut"}}, ctx).info["total"];
  EXPECT_DOUBLE_EQ(lut["luts_core"].get<double>(), 1.1 * 8 * 8 * 4);
  EXPECT_DOUBLE_EQ(lut["luts_memory"].get<double>(), 0.5);
  // 8-bit operands under a lower limit of 9 stay in LUTs even with DSPs available.
  const Json narrow = run_pass("resources", g, Json{{"bwidth_lower_limit", 9}}, ctx).info["total"];
  EXPECT_DOUBLE_EQ(narrow["dsps"].get<double>(), 0.0);
  // Reuse factor 3 is not valid for 16 x 5 (hls4ml: 1, 2, 4, 8, 16, 80): the closest, 2.
  const Json rf = run_pass("resources", g, Json{{"reuse_factor", 3}}, ctx).info;
  EXPECT_EQ(rf["per_node"]["seq_blocks_2"]["reuse_factor"], 2);
  EXPECT_DOUBLE_EQ(rf["total"]["dsps"].get<double>(), 1.0);
  const Json rf40 = run_pass("resources", g, Json{{"reuse_factor", {{"seq_blocks_2", 40}}}}, ctx)
                        .info["per_node"]["seq_blocks_2"];
  EXPECT_EQ(rf40["reuse_factor"], 16);
}

TEST(HwCost, EbopsByHand) {
  graph::Graph g = hand_case();
  PassContext ctx;
  // Effective weight bits: 0.75 -> 2, -0.5 -> 1, 3 -> 2, 0.0625 -> 1; 8-bit inputs: 48.
  // The float batch norm: 16 elements x 32 input bits x 32 scale bits, shift 0: 16,384.
  const Json q = run_pass("ebops", g, Json::object(), ctx).info;
  EXPECT_DOUBLE_EQ(q["per_node"]["seq_blocks_2"]["ebops"].get<double>(), 48.0);
  EXPECT_DOUBLE_EQ(q["per_node"]["seq_blocks_0"]["ebops"].get<double>(), 16384.0);
  EXPECT_DOUBLE_EQ(q["per_node"]["seq_blocks_1"]["ebops"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(q["total"].get<double>(), 16432.0);
  EXPECT_DOUBLE_EQ(q["per_node"]["seq_blocks_2"]["bops"].get<double>(), 5120.0);
  const Json iv = run_pass("ebops", g, Json{{"activation_bits", "interval"}}, ctx).info;
  EXPECT_DOUBLE_EQ(iv["per_node"]["seq_blocks_2"]["ebops"].get<double>(), 48.0);
  // HGQ2's bias term: mean bias bits (8) x 5 outputs.
  const Json b = run_pass("ebops", g, Json{{"include_bias", true}}, ctx).info;
  EXPECT_DOUBLE_EQ(b["per_node"]["seq_blocks_2"]["ebops"].get<double>(), 48.0 + 40.0);
  // Calibrated on inputs (1, 0.5, -3, 0.0625, 0...): after BN, ReLU and the 8/4 quantizer the
  // features are 1, 0.5, 0, 0.0625: HGQ's bits 5, 4, 0, 1 -> 5*2 + 4*1 + 0*2 + 1*1 = 15.
  ctx.input_batch = [](int64_t) {
    at::Tensor x = at::zeros({4, 16});
    x.select(1, 0).fill_(1.0);
    x.select(1, 1).fill_(0.5);
    x.select(1, 2).fill_(-3.0);
    x.select(1, 3).fill_(0.0625);
    return x;
  };
  const Json c = run_pass("ebops", g, Json{{"activation_bits", "calibrated"}}, ctx).info;
  EXPECT_DOUBLE_EQ(c["per_node"]["seq_blocks_2"]["ebops"].get<double>(), 15.0);
}

TEST(HwCost, AccumulatorWidthByHand) {
  graph::Graph g = hand_case();
  PassContext ctx;
  // Inputs in [-8, 7.9375] (fixed<8,4>). Output 0: 0.75 x + 0.5 in [-5.5, 6.453125], f = 4 + 2;
  // output 2: 3x in [-24, 23.8125], i = 5; output 3: x / 16, f = 8; output 4: all zero.
  // hls4ml's accum_t = (max k, max i, max f) = (1, 5, 8): ap_fixed<14,6>.
  const Json a = run_pass("accumulator_widths", g, Json::object(), ctx).info;
  const Json& n = a["per_node"]["seq_blocks_2"];
  EXPECT_EQ(n["k"], 1);
  EXPECT_EQ(n["i"], 5);
  EXPECT_EQ(n["f"], 8);
  EXPECT_EQ(n["type"], "ap_fixed<14,6>");
  EXPECT_EQ(a["max_width"], 14);
  EXPECT_EQ(n["float32_exact"], true);
}

TEST(HwCost, QonnxTypeNames) {
  auto q = [](int w, std::optional<int> f, bool s) {
    quant::OperandQuant o;
    o.width = w;
    o.frac_width = f;
    o.is_signed = s;
    return std::optional<quant::OperandQuant>(o);
  };
  EXPECT_EQ(operand_type(std::nullopt).name, "FLOAT32");
  EXPECT_EQ(operand_type(q(4, 0, true)).name, "INT4");
  EXPECT_EQ(operand_type(q(4, 0, false)).name, "UINT4");
  EXPECT_EQ(operand_type(q(1, 0, true)).name, "BIPOLAR");
  EXPECT_EQ(operand_type(q(1, 0, false)).name, "BINARY");
  EXPECT_EQ(operand_type(q(8, std::nullopt, true)).name, "SCALEDINT<8>");  // frac 4
  quant::OperandQuant mf;
  mf.family = quant::QuantFamily::kMinifloatIeee;
  mf.width = 8;
  mf.exponent_width = 4;
  EXPECT_EQ(operand_type(mf).name, "FLOAT<4,3,7>");
  EXPECT_EQ(operand_type(mf).bits, 8);
  const OperandType i8 = operand_type(q(8, 0, true)), s8 = operand_type(q(8, 4, true));
  EXPECT_EQ(mac_result_type({i8, i8}).name, "INT32");
  EXPECT_EQ(mac_result_type({operand_type(q(8, 0, false)), operand_type(q(4, 0, false))}).name,
            "UINT32");
  EXPECT_EQ(mac_result_type({i8, s8}).name, "SCALEDINT<32>");
  EXPECT_EQ(mac_result_type({i8, OperandType{}}).name, "FLOAT32");
}

TEST(HwCost, OptionErrorsNameTheKey) {
  graph::Graph g = hand_case();
  PassContext ctx;
  ctx.option_path = "passes.resources";
  auto message = [&](const char* pass, const Json& o) {
    try {
      run_pass(pass, g, o, ctx);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("resources", Json{{"reuse_factor", 0}}).find("passes.resources.reuse_factor"),
            std::string::npos);
  EXPECT_NE(message("resources", Json{{"reuse_factor", 3}, {"reuse_factor_rule", "strict"}})
                .find("valid values: 1, 2, 4, 8, 16, 80; the closest is 2"),
            std::string::npos);
  EXPECT_NE(message("resources", Json{{"reuse_factor", {{"seq_blocks_1", 2}}}})
                .find("not a multiply-accumulate layer"),
            std::string::npos);
  EXPECT_NE(message("resources", Json{{"memory", "hbm"}}).find("expected one of"),
            std::string::npos);
  EXPECT_NE(message("resources", Json{{"dsp_type", 48}}).find("must be a string"),
            std::string::npos);
  EXPECT_NE(message("ebops", Json{{"float_width", 0}}).find("float_width"), std::string::npos);
  EXPECT_NE(message("accumulator_widths", Json{{"overflow", "clip"}}).find("saturate or wrap"),
            std::string::npos);
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
                         ::testing::Values("jsc-tiny", "jsc-s", "jet-tagger-16-64-32-32-5", "vgg7"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace chop::passes
