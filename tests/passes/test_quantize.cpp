// The quantize transform: MASE's config lookup (type, name, regex_name, default, "NA"),
// quantized jsc-toy logits against plain LibTorch on the same quantized tensors, the real conv
// bias, metadata updates, the summary, errors naming node and key, attach_quantizers.
#include <gtest/gtest.h>

#include "core/error.h"
#include "graph/builder.h"
#include "graph/text.h"
#include "passes/common.h"
#include "passes/registry.h"
#include "passes/transforms/quantize.h"
#include "runtime/executor.h"

namespace chop::passes {
namespace {

using testing::context;
using testing::zoo;

// MASE's integer quantizer written out with plain ATen ops (independent of chop_quant).
at::Tensor fixed(const at::Tensor& x, int w, int f, bool is_signed = true) {
  double lo = is_signed ? -std::pow(2.0, w - 1) : 0.0;
  double hi = is_signed ? std::pow(2.0, w - 1) - 1 : std::pow(2.0, w) - 1;
  double scale = std::pow(2.0, f);
  return at::clamp(at::round(x * scale), lo, hi) / scale;
}

Json integer_config(int din, int dinf, int w, int wf, int b = 0, int bf = 0) {
  Json c{{"name", "integer"},
         {"data_in_width", din},
         {"data_in_frac_width", dinf},
         {"weight_width", w},
         {"weight_frac_width", wf}};
  if (b) {
    c["bias_width"] = b;
    c["bias_frac_width"] = bf;
  }
  return c;
}

Json by_type_linear() {
  return Json{{"by", "type"},
              {"default", {{"config", {{"name", nullptr}}}}},
              {"linear", {{"config", integer_config(8, 4, 8, 4, 8, 4)}}}};
}

int operand_width_of(const graph::Graph& g, const std::string& node) {
  return g.node(node).meta["common"]["args"]["weight"]["precision"][0].get<int>();
}

at::Tensor input(int64_t batch, int64_t features, uint64_t seed) {
  at::manual_seed(seed);
  return at::randn({batch, features}) * 3;
}

TEST(Quantize, JscToyLogitsEqualPlainLibTorch) {
  graph::Graph g = zoo("jsc-toy");
  // Non-trivial BatchNorm statistics so every layer matters.
  for (auto& n : g.nodes())
    if (n.mase_op == "batch_norm1d") {
      n.buffer("running_mean")->uniform_(-0.5, 0.5);
      n.buffer("running_var")->uniform_(0.5, 2.0);
    }
  PassContext ctx = context(8);
  Json q{{"by", "type"},
         {"default", {{"config", {{"name", nullptr}}}}},
         {"linear", {{"config", integer_config(8, 4, 6, 3, 8, 4)}}},
         {"relu",
          {{"config", {{"name", "integer"}, {"data_in_width", 6}, {"data_in_frac_width", 2}}}}}};
  PassResult r = run_pass("quantize", g, q, ctx);
  EXPECT_EQ(r.info["n_changed"], 7);  // 3 Linear + 4 ReLU
  at::Tensor x = input(32, 16, 7);
  at::Tensor got;
  {
    at::NoGradGuard ng;
    got = runtime::forward(g, x);
  }
  at::NoGradGuard ng;
  at::Tensor h = x;
  for (const auto& n : g.nodes()) {
    if (n.mase_op == "batch_norm1d") {
      h = at::batch_norm(h, *n.param("weight"), *n.param("bias"), n.buffers[0].second,
                         n.buffers[1].second, false, 0.1, 1e-5, false);
    } else if (n.mase_op == "relu") {
      h = at::relu(fixed(h, 6, 2, /*is_signed=*/false));
    } else if (n.mase_op == "linear") {
      h = at::linear(fixed(h, 8, 4), fixed(*n.param("weight"), 6, 3),
                     fixed(*n.param("bias"), 8, 4));
    }
  }
  ASSERT_EQ(got.sizes(), h.sizes());
  EXPECT_LE((got - h).abs().max().item<double>(), 1e-6);
  // Quantization really changed the result.
  graph::Graph plain = zoo("jsc-toy");
  for (size_t i = 0; i < g.nodes().size(); ++i) {
    plain.nodes()[i].params = g.nodes()[i].params;
    plain.nodes()[i].buffers = g.nodes()[i].buffers;
  }
  EXPECT_GT((runtime::forward(plain, x) - got).abs().max().item<double>(), 1e-3);
}

// Weight quantizers remember their last result: the same tensor again while the parameter is
// unchanged, a fresh one after an in-place update or for a tensor that needs a gradient.
TEST(Quantize, WeightQuantizerIsRecomputedOnlyWhenTheWeightChanges) {
  graph::Graph g = zoo("jsc-toy");
  PassContext ctx = context(8);
  run_pass("quantize", g, by_type_linear(), ctx);
  graph::Node& lin = g.node("seq_blocks_2");
  at::Tensor& w = *lin.param("weight");
  at::NoGradGuard ng;
  const at::Tensor q1 = lin.quant->weight(w);
  EXPECT_TRUE(q1.is_same(lin.quant->weight(w)));
  EXPECT_TRUE(at::equal(q1, fixed(w, 8, 4)));
  w.mul_(1.5);  // in place: same tensor, new version
  const at::Tensor q2 = lin.quant->weight(w);
  EXPECT_FALSE(q2.is_same(q1));
  EXPECT_TRUE(at::equal(q2, fixed(w, 8, 4)));
  const at::Tensor other = w.clone();
  EXPECT_FALSE(lin.quant->weight(other).is_same(q2));
  {
    at::AutoGradMode grad(true);
    const at::Tensor trainable = w.detach().clone().set_requires_grad(true);
    const at::Tensor a = lin.quant->weight(trainable);
    EXPECT_TRUE(a.requires_grad());
    EXPECT_FALSE(a.is_same(lin.quant->weight(trainable)));
  }
}

TEST(Quantize, ConvUsesTheRealBias) {
  graph::GraphBuilder b("conv", 3);
  std::string x = b.input("x", {3, 6, 6});
  x = b.module("conv", "conv2d", x,
               Json{{"in_channels", 3}, {"out_channels", 4}, {"kernel_size", 3}, {"padding", 1}});
  graph::Graph g = b.finish(x);
  at::Tensor& bias = *g.node("conv").param("bias");
  {
    at::NoGradGuard ng;
    bias.copy_(at::tensor({0.5f, -1.25f, 2.0f, 3.3f}));
  }
  const void* bias_ptr = bias.data_ptr();
  PassContext ctx = context(2);
  Json q{{"by", "type"},
         {"default", {{"config", {{"name", nullptr}}}}},
         {"conv2d", {{"config", integer_config(8, 4, 8, 5, 8, 2)}}}};
  run_pass("quantize", g, q, ctx);
  EXPECT_EQ(g.node("conv").param("bias")->data_ptr(), bias_ptr);
  at::NoGradGuard ng;
  at::manual_seed(1);
  at::Tensor in = at::randn({2, 3, 6, 6});
  at::Tensor got = runtime::forward(g, in);
  at::Tensor want = at::conv2d(fixed(in, 8, 4), fixed(*g.node("conv").param("weight"), 8, 5),
                               fixed(at::tensor({0.5f, -1.25f, 2.0f, 3.3f}), 8, 2), {1, 1}, {1, 1});
  EXPECT_LE((got - want).abs().max().item<double>(), 1e-6);
  // Bias 3.3 at frac 2 is 3.25: visible in a zero input's output.
  at::Tensor zero_out = runtime::forward(g, at::zeros({1, 3, 6, 6}));
  EXPECT_FLOAT_EQ(zero_out[0][3][2][2].item<float>(), 3.25f);
}

TEST(Quantize, ByTypeMetadataAndSummary) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  PassResult r = run_pass("quantize", g, by_type_linear(), ctx);
  EXPECT_EQ(r.info["n_changed"], 1);
  EXPECT_EQ(r.info["changed_nodes"], Json::array({"seq_blocks_2"}));
  EXPECT_TRUE(r.changed);
  const Json& args = g.node("seq_blocks_2").meta["common"]["args"];
  EXPECT_EQ(args["data_in_0"]["type"], "integer");
  EXPECT_EQ(args["data_in_0"]["precision"], Json::array({8, 4}));
  EXPECT_EQ(args["weight"]["precision"], Json::array({8, 4}));
  EXPECT_EQ(args["bias"]["precision"], Json::array({8, 4}));
  EXPECT_EQ(g.node("seq_blocks_2").meta["common"]["results"]["data_out_0"]["type"], "float");
  EXPECT_FALSE(g.node("seq_blocks_1").is_quantized());
  // MASE's histogram: grouped by original type, sorted.
  const Json& h = r.info["histogram"];
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h[0]["original_type"], "BatchNorm1d");
  EXPECT_EQ(h[1]["original_type"], "Linear");
  EXPECT_EQ(h[1]["op"], "linear");
  EXPECT_EQ(h[1]["changed"], 1);
  EXPECT_EQ(h[2]["original_type"], "ReLU");
  EXPECT_EQ(h[2]["total"], 2);
  EXPECT_EQ(h[2]["unchanged"], 2);
  EXPECT_EQ(h[3]["original_type"], "output");
  EXPECT_EQ(h[4]["original_type"], "x");
  EXPECT_EQ(quantized_type_name(g.node("seq_blocks_2")), "LinearInteger");
}

TEST(Quantize, ByNameAndRegexNameWithDefault) {
  graph::Graph g = zoo("jsc-toy");
  PassContext ctx = context(8);
  Json by_name{{"by", "name"},
               {"default", {{"config", {{"name", nullptr}}}}},
               {"seq_blocks_5", {{"config", integer_config(4, 2, 4, 2)}}}};
  run_pass("quantize", g, by_name, ctx);
  EXPECT_FALSE(g.node("seq_blocks_2").is_quantized());
  EXPECT_TRUE(g.node("seq_blocks_5").is_quantized());

  graph::Graph r = zoo("jsc-toy");
  Json by_regex{{"by", "regex_name"},
                {"default", {{"config", integer_config(8, 4, 8, 4)}}},
                {"seq_blocks_[25]", {{"config", integer_config(4, 2, 2, 1)}}},
                {"seq_blocks_.*", {{"config", {{"name", nullptr}}}}}};
  run_pass("quantize", r, by_regex, ctx);
  // Without a TOML document the patterns keep their JSON order: [25] first.
  EXPECT_EQ(operand_width_of(r, "seq_blocks_2"), 2);
  EXPECT_EQ(operand_width_of(r, "seq_blocks_5"), 2);
  EXPECT_FALSE(r.node("seq_blocks_8").is_quantized());
  EXPECT_FALSE(r.node("seq_blocks_1").is_quantized());
}

TEST(Quantize, BypassCountsAsChangedButRunsFloat) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  Json cfg = integer_config(8, 4, 2, 1);
  cfg["bypass"] = true;
  PassResult r = run_pass("quantize", g,
                          Json{{"by", "type"},
                               {"default", {{"config", {{"name", nullptr}}}}},
                               {"linear", {{"config", cfg}}}},
                          ctx);
  EXPECT_EQ(r.info["n_changed"], 1);
  EXPECT_FALSE(g.node("seq_blocks_2").quant->built());
}

TEST(QuantizeErrors, MissingKeyAndBadWidthNameNodeAndKey) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  ctx.option_path = "passes.quantize";
  Json missing = by_type_linear();
  missing["linear"]["config"].erase("weight_width");
  try {
    run_pass("quantize", g, missing, ctx);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("seq_blocks_2"), std::string::npos) << m;
    EXPECT_NE(m.find("weight_width"), std::string::npos) << m;
    EXPECT_NE(m.find("passes.quantize.linear.config"), std::string::npos) << m;
  }
  Json zero = by_type_linear();
  zero["linear"]["config"]["data_in_width"] = 0;
  try {
    run_pass("quantize", g, zero, ctx);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("seq_blocks_2"), std::string::npos) << m;
    EXPECT_NE(m.find("data_in_width"), std::string::npos) << m;
  }
  Json bad_by = by_type_linear();
  bad_by["by"] = "types";
  EXPECT_THROW(run_pass("quantize", g, bad_by, ctx), ConfigError);
  Json bad_name{{"by", "name"}, {"seq_blocks_9", {{"config", integer_config(8, 4, 8, 4)}}}};
  try {
    run_pass("quantize", g, bad_name, ctx);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("seq_blocks_9"), std::string::npos);
  }
  Json no_default{{"by", "type"}, {"relu", {{"config", {{"name", nullptr}}}}}};
  EXPECT_THROW(run_pass("quantize", g, no_default, ctx), ConfigError);
}

TEST(AttachQuantizers, TextRoundTripGivesTheSameLogits) {
  graph::Graph g = zoo("jsc-toy");
  PassContext ctx = context(8);
  Json q{{"by", "type"},
         {"default", {{"config", {{"name", nullptr}}}}},
         {"linear", {{"config", integer_config(5, 3, 4, 3, 6, 2)}}},
         {"relu",
          {{"config", {{"name", "integer"}, {"data_in_width", 4}, {"data_in_frac_width", 1}}}}}};
  run_pass("quantize", g, q, ctx);
  graph::Graph back = graph::parse_graph(graph::print_graph(g));
  {
    at::NoGradGuard ng;
    for (size_t i = 0; i < g.nodes().size(); ++i) {
      for (size_t k = 0; k < g.nodes()[i].params.size(); ++k)
        back.nodes()[i].params[k].second.copy_(g.nodes()[i].params[k].second);
      for (size_t k = 0; k < g.nodes()[i].buffers.size(); ++k)
        back.nodes()[i].buffers[k].second.copy_(g.nodes()[i].buffers[k].second);
    }
  }
  attach_quantizers(back);
  ASSERT_TRUE(back.node("seq_blocks_5").quant && back.node("seq_blocks_5").quant->built());
  at::NoGradGuard ng;
  at::Tensor x = input(16, 16, 3);
  EXPECT_TRUE(at::equal(runtime::forward(g, x), runtime::forward(back, x)));
}

}  // namespace
}  // namespace chop::passes
