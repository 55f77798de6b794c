// Analysis passes: metadata layout, MASE's lab-2 FLOP figures, goldens for every zoo model
// (tools/gen_flops_golden.py), BitOPs, model size, average bit width, latency, reports.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "passes/common.h"
#include "passes/registry.h"

namespace chop::passes {
namespace {

using testing::context;
using testing::zoo;

Json golden() {
  return Json::parse(
      read_file(std::string(CHOP_SOURCE_DIR) + "/tests/passes/golden/analysis_golden.json"));
}

TEST(CommonMetadata, MaseLayoutForJscTiny) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  run_pass("add_common_metadata", g, Json::object(), ctx);
  const Json& c = g.node("seq_blocks_2").meta["common"];
  EXPECT_EQ(c["mase_type"], "module_related_func");
  EXPECT_EQ(c["mase_op"], "linear");
  EXPECT_EQ(c["args"]["data_in_0"]["shape"], Json::array({8, 16}));
  EXPECT_EQ(c["args"]["data_in_0"]["torch_dtype"], "torch.float32");
  EXPECT_EQ(c["args"]["data_in_0"]["type"], "float");
  EXPECT_EQ(c["args"]["data_in_0"]["precision"], Json::array({32}));
  EXPECT_EQ(c["args"]["weight"]["shape"], Json::array({5, 16}));
  EXPECT_EQ(c["args"]["bias"]["shape"], Json::array({5}));
  EXPECT_TRUE(c["args"]["weight"].contains("from"));
  EXPECT_EQ(c["results"]["data_out_0"]["shape"], Json::array({8, 5}));
  EXPECT_EQ(g.meta()["common"]["nodes_in"], Json::array({"x"}));
  EXPECT_EQ(g.meta()["common"]["nodes_out"], Json::array({"seq_blocks_3"}));
  // The placeholder has no args; flatten/view keep their non-tensor args by name.
  EXPECT_TRUE(g.node("x").meta["common"]["args"].empty());
  graph::Graph v = zoo("vgg7");
  PassContext vctx = context(2);
  run_pass("add_common_metadata", v, Json::object(), vctx);
  EXPECT_EQ(v.node("view").meta["common"]["args"]["shape"], Json::array({-1, 8192}));
  EXPECT_EQ(v.node("view").meta["common"]["results"]["data_out_0"]["shape"],
            Json::array({2, 8192}));
}

TEST(CommonMetadata, AddValueStoresTensors) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(2);
  run_pass("add_common_metadata", g, Json{{"add_value", true}}, ctx);
  const Json& w = g.node("seq_blocks_2").meta["common"]["args"]["weight"]["value"];
  ASSERT_EQ(w.size(), 5u);
  EXPECT_FLOAT_EQ(w[1][3].get<float>(),
                  (*g.node("seq_blocks_2").param("weight"))[1][3].item<float>());
}

TEST(SoftwareMetadata, StatTablesPerArg) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context();
  run_pass("add_software_metadata", g, Json::object(), ctx);
  const Json& bn = g.node("seq_blocks_0").meta["software"];
  for (const char* k : {"data_in_0", "weight", "bias", "running_mean", "running_var"})
    EXPECT_TRUE(bn["args"].contains(k)) << k;
  EXPECT_FALSE(bn["args"].contains("num_batches_tracked"));
  EXPECT_TRUE(bn["results"]["data_out_0"]["stat"].empty());
}

TEST(Flops, Lab2FiguresForJscTiny) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  PassResult r = run_pass("flops", g, Json::object(), ctx);
  EXPECT_EQ(r.info["per_node"]["seq_blocks_0"]["computations"], 512);
  EXPECT_EQ(r.info["per_node"]["seq_blocks_1"]["computations"], 128);
  EXPECT_EQ(r.info["per_node"]["seq_blocks_2"]["computations"], 640);
  EXPECT_EQ(r.info["per_node"]["seq_blocks_3"]["computations"], 40);
  EXPECT_EQ(r.info["total"], 1320);
  EXPECT_EQ(g.node("seq_blocks_2").meta["software"]["flops"]["computations"], 640);
}

TEST(Golden, EveryZooModelMatchesIndependentPythonCounts) {
  const Json gold = golden();
  const int64_t batch = gold["batch_size"].get<int64_t>();
  for (const auto& e : models::model_registry()) {
    SCOPED_TRACE(e.name);
    ASSERT_TRUE(gold["models"].contains(e.name)) << "rerun tools/gen_flops_golden.py";
    const Json& want = gold["models"][e.name];
    graph::Graph g = zoo(e.name);
    PassContext ctx = context(batch);
    PassResult f = run_pass("flops", g, Json::object(), ctx);
    PassResult b = run_pass("bitops", g, Json::object(), ctx);
    PassResult s = run_pass("model_size", g, Json::object(), ctx);
    EXPECT_EQ(f.info["total"], want["flops"]);
    EXPECT_EQ(f.info["total_backward"], want["flops_backward"]);
    EXPECT_EQ(b.info["total"], want["bitops"]);
    EXPECT_EQ(s.info["params"], want["params"]);
    EXPECT_DOUBLE_EQ(s.info["size_bytes"].get<double>(), want["size_bytes"].get<double>());
    for (auto it = want["nodes"].begin(); it != want["nodes"].end(); ++it)
      EXPECT_EQ(f.info["per_node"][it.key()]["computations"], it.value()) << it.key();
    EXPECT_EQ(f.info["per_node"].size(), want["nodes"].size());
  }
}

TEST(Bitops, FloatJscTinyAndQuantizedLinear) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  EXPECT_EQ(run_pass("bitops", g, Json::object(), ctx).info["total"], 42240);
  Json q = Json::parse(R"({"by": "type", "default": {"config": {"name": null}},
    "linear": {"config": {"name": "integer", "data_in_width": 6, "data_in_frac_width": 3,
                          "weight_width": 4, "weight_frac_width": 2}}})");
  run_pass("quantize", g, q, ctx);
  // BN 512 + ReLU 128 + ReLU 40 float (x32), Linear 640 MACs x 6 x 4.
  EXPECT_EQ(run_pass("bitops", g, Json::object(), ctx).info["total"],
            (512 + 128 + 40) * 32 + 640 * 24);
}

TEST(ModelSize, QuantizedWeightsAtTheirWidth) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  EXPECT_DOUBLE_EQ(run_pass("model_size", g, Json::object(), ctx).info["size_bytes"].get<double>(),
                   468.0);
  Json q = Json::parse(R"({"by": "type", "default": {"config": {"name": null}},
    "linear": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                          "weight_width": 4, "weight_frac_width": 2, "bias_width": 8,
                          "bias_frac_width": 4}}})");
  run_pass("quantize", g, q, ctx);
  // BN weight+bias 32 floats, Linear weight 80 x 4 bits, bias 5 x 8 bits.
  PassResult r = run_pass("model_size", g, Json::object(), ctx);
  EXPECT_EQ(r.info["size_bits"], 32 * 32 + 80 * 4 + 5 * 8);
  EXPECT_EQ(r.info["params"], 117);
}

TEST(AverageBitwidth, MaseRunnerSemantics) {
  graph::Graph g = zoo("jsc-toy");
  PassContext ctx = context(8);
  PassResult none = run_pass("average_bitwidth", g, Json::object(), ctx);
  EXPECT_DOUBLE_EQ(none.info["average_bitwidth"].get<double>(), 32.0);
  EXPECT_DOUBLE_EQ(none.info["memory_density"].get<double>(), 1.0);
  // seq_blocks_2 (16x8 = 128 weights) at 2 bits, seq_blocks_5 (64) at 8, seq_blocks_8 float.
  Json q = Json::parse(R"({"by": "name", "default": {"config": {"name": null}},
    "seq_blocks_2": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                                "weight_width": 2, "weight_frac_width": 1}},
    "seq_blocks_5": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                                "weight_width": 8, "weight_frac_width": 4}}})");
  run_pass("quantize", g, q, ctx);
  PassResult r = run_pass("average_bitwidth", g, Json{{"compare_to", 32}}, ctx);
  const double avg = (128.0 * 2 + 64.0 * 8) / 192.0;
  EXPECT_DOUBLE_EQ(r.info["average_bitwidth"].get<double>(), avg);
  EXPECT_DOUBLE_EQ(r.info["memory_density"].get<double>(), 32.0 / avg);
}

TEST(AverageBitwidth, CountsConv2d) {
  graph::Graph g = zoo("vgg7");
  PassContext ctx = context(1);
  Json q = Json::parse(R"({"by": "type", "default": {"config": {"name": null}},
    "conv2d": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                          "weight_width": 4, "weight_frac_width": 2}}})");
  run_pass("quantize", g, q, ctx);
  EXPECT_DOUBLE_EQ(
      run_pass("average_bitwidth", g, Json::object(), ctx).info["average_bitwidth"].get<double>(),
      4.0);
}

TEST(Latency, ReportsMedianAndP90) {
  graph::Graph g = zoo("jsc-s");
  PassContext ctx = context(16);
  PassResult r = run_pass("latency", g, Json{{"warmup", 1}, {"n_batches", 5}, {"threads", 1}}, ctx);
  EXPECT_GT(r.info["median_ms"].get<double>(), 0.0);
  EXPECT_GE(r.info["p90_ms"].get<double>(), r.info["median_ms"].get<double>());
  EXPECT_EQ(r.info["batch_size"], 16);
  EXPECT_EQ(r.info["threads"], 1);
}

TEST(Reports, GraphAndNodeMetaTables) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  std::ostringstream os;
  ctx.out = &os;
  PassResult r = run_pass("report_graph", g, Json::object(), ctx);
  EXPECT_EQ(r.info["network_overview"]["placeholder"], 1);
  EXPECT_EQ(r.info["network_overview"]["call_module"], 4);
  EXPECT_EQ(r.info["network_overview"]["output"], 1);
  EXPECT_NE(os.str().find("Linear(in_features=16, out_features=5, bias=True)"), std::string::npos)
      << os.str();
  run_pass("add_common_metadata", g, Json::object(), ctx);
  os.str("");
  run_pass("report_node_meta_param", g, Json{{"which", Json::array({"common"})}}, ctx);
  EXPECT_NE(os.str().find("| Node name"), std::string::npos);
  EXPECT_NE(os.str().find("Common Param"), std::string::npos);
  EXPECT_EQ(os.str().find("Software Param"), std::string::npos);
  EXPECT_THROW(run_pass("report_node_meta_param", g, Json{{"which", "sofware"}}, ctx), ConfigError);
}

}  // namespace
}  // namespace chop::passes
