// Per-op gradients of the fused engine against LibTorch autograd on the runtime's kernels: one
// training step (loss, every parameter gradient, the input gradient, batch-norm statistics)
// for each op kind, float and fake-quantized (straight-through), and the ops the engine leaves
// to LibTorch.
#include <gtest/gtest.h>

#include "engine_test_util.h"
#include "graph/builder.h"
#include "graph/ops.h"

namespace chop::engine {
namespace {

using namespace testing;
using graph::GraphBuilder;

// x [rows, sample] -> body -> flatten -> output.
template <typename Body>
graph::Graph single(const std::vector<int64_t>& sample, Body body) {
  GraphBuilder b("single", 3);
  std::string x = b.input("x", sample);
  x = body(b, x);
  if (sample.size() > 1)
    x = b.function("flatten", "flatten", {x}, Json{{"start_dim", 1}, {"end_dim", -1}});
  return b.finish(x);
}

TEST(EngineOps, Linear) {
  for (bool bias : {true, false}) {
    graph::Graph g = single({12}, [&](GraphBuilder& b, const std::string& x) {
      return b.module("fc", "linear", x,
                      Json{{"in_features", 12}, {"out_features", 7}, {"bias", bias}});
    });
    expect_same_step(g, randn({33, 12}, 1), labels(33, 7, 2));
  }
}

TEST(EngineOps, LinearIntegerQuantized) {
  graph::Graph g = single({12}, [](GraphBuilder& b, const std::string& x) {
    return b.module("fc", "linear", x, Json{{"in_features", 12}, {"out_features", 7}});
  });
  quantize_node(g, "fc", integer_linear(8, 4, 6, 4, 8, 5));
  expect_same_step(g, randn({40, 12}, 3, 2.0), labels(40, 7, 4));
  Json with_out = integer_linear(5, 2, 4, 3, 6, 3);
  with_out["data_out_width"] = 8;
  with_out["data_out_frac_width"] = 3;
  quantize_node(g, "fc", with_out);
  expect_same_step(g, randn({40, 12}, 5, 2.0), labels(40, 7, 6));
}

TEST(EngineOps, LinearHostedQuantizers) {
  // Families without a native kernel run chop_quant's own function on the engine's buffers.
  graph::Graph g = single({12}, [](GraphBuilder& b, const std::string& x) {
    return b.module("fc", "linear", x, Json{{"in_features", 12}, {"out_features", 7}});
  });
  quantize_node(g, "fc",
                Json{{"name", "minifloat_ieee"},
                     {"data_in_width", 8},
                     {"data_in_exponent_width", 4},
                     {"data_in_exponent_bias", nullptr},
                     {"weight_width", 6},
                     {"weight_exponent_width", 3},
                     {"weight_exponent_bias", nullptr}});
  expect_same_step(g, randn({16, 12}, 7), labels(16, 7, 8));
  quantize_node(g, "fc",
                Json{{"name", "block_fp"},
                     {"data_in_width", 6},
                     {"data_in_exponent_width", 4},
                     {"data_in_exponent_bias", nullptr},
                     {"data_in_block_size", {1, 4}},
                     {"weight_width", 6},
                     {"weight_exponent_width", 4},
                     {"weight_exponent_bias", nullptr},
                     {"weight_block_size", {2, 4}}});
  expect_same_step(g, randn({16, 12}, 9), labels(16, 7, 10));
}

TEST(EngineOps, ReluFamily) {
  for (const std::string op : {"relu", "relu6", "hardtanh"}) {
    SCOPED_TRACE(op);
    graph::Graph g = single({9}, [&](GraphBuilder& b, const std::string& x) {
      std::string h = b.module("fc", "linear", x, Json{{"in_features", 9}, {"out_features", 9}});
      Json attrs = op == "hardtanh" ? Json{{"min_val", -0.5}, {"max_val", 0.7}} : Json::object();
      return b.module("act", op, h, attrs);
    });
    expect_same_step(g, randn({30, 9}, 11, 3.0), labels(30, 9, 12));
  }
}

TEST(EngineOps, LinearWithItsReluFused) {
  // The ReLU runs in the linear layer's GEMM store and its mask in the bias-gradient pass:
  // with and without a bias, narrow (natural W) and wide (W^T kept) outputs.
  for (bool bias : {true, false})
    for (int64_t out : {7, 40}) {
      SCOPED_TRACE(std::to_string(out) + (bias ? " with bias" : " without bias"));
      graph::Graph g = single({12}, [&](GraphBuilder& b, const std::string& x) {
        std::string h = b.module("fc", "linear", x,
                                 Json{{"in_features", 12}, {"out_features", out}, {"bias", bias}});
        return b.module("act", "relu", h);
      });
      expect_same_step(g, randn({33, 12}, 21), labels(33, out, 22));
    }
  // The linear layer's output is read by the ReLU and by an add: the ReLU stays its own op.
  GraphBuilder b("shared", 3);
  std::string x = b.input("x", {12});
  std::string h = b.module("fc", "linear", x, Json{{"in_features", 12}, {"out_features", 12}});
  std::string r = b.module("act", "relu", h);
  graph::Graph g = b.finish(b.function("add", "add", {r, h}));
  expect_same_step(g, randn({33, 12}, 23), labels(33, 12, 24));
}

TEST(EngineOps, ReluUnsignedQuantized) {
  graph::Graph g = single({9}, [](GraphBuilder& b, const std::string& x) {
    std::string h = b.module("fc", "linear", x, Json{{"in_features", 9}, {"out_features", 9}});
    return b.module("act", "relu", h);
  });
  quantize_node(g, "act",
                Json{{"name", "integer"}, {"data_in_width", 4}, {"data_in_frac_width", 2}});
  expect_same_step(g, randn({30, 9}, 13, 2.0), labels(30, 9, 14));
}

TEST(EngineOps, BatchNormTrainingAndStatistics) {
  graph::Graph g1 = single({6}, [](GraphBuilder& b, const std::string& x) {
    return b.module("bn", "batch_norm1d", x, Json{{"num_features", 6}});
  });
  expect_same_step(g1, randn({25, 6}, 15, 2.0) + 1.0, labels(25, 6, 16));
  graph::Graph g3 = single({4, 5}, [](GraphBuilder& b, const std::string& x) {  // [N, C, L]
    return b.module("bn", "batch_norm1d", x, Json{{"num_features", 4}, {"momentum", 0.3}});
  });
  expect_same_step(g3, randn({6, 4, 5}, 17), labels(6, 20, 18));
  graph::Graph g2 = single({3, 4, 4}, [](GraphBuilder& b, const std::string& x) {
    return b.module("bn", "batch_norm2d", x, Json{{"num_features", 3}, {"affine", false}});
  });
  expect_same_step(g2, randn({5, 3, 4, 4}, 19), labels(5, 48, 20));
}

TEST(EngineOps, BatchNormWithItsReluFused) {
  // The ReLU runs in the affine store and its mask (recomputed from x) in the gradient sums and
  // the input gradient: [N, C], [N, C, L] and [N, C, H, W], affine or not.
  graph::Graph g1 = single({6}, [](GraphBuilder& b, const std::string& x) {
    return b.module("act", "relu", b.module("bn", "batch_norm1d", x, Json{{"num_features", 6}}));
  });
  expect_same_step(g1, randn({25, 6}, 31, 2.0) + 0.5, labels(25, 6, 32));
  graph::Graph g3 = single({4, 5}, [](GraphBuilder& b, const std::string& x) {
    return b.module(
        "act", "relu",
        b.module("bn", "batch_norm1d", x, Json{{"num_features", 4}, {"affine", false}}));
  });
  expect_same_step(g3, randn({6, 4, 5}, 33), labels(6, 20, 34));
  graph::Graph g2 = single({3, 4, 4}, [](GraphBuilder& b, const std::string& x) {
    return b.module("act", "relu", b.module("bn", "batch_norm2d", x, Json{{"num_features", 3}}));
  });
  expect_same_step(g2, randn({5, 3, 4, 4}, 35), labels(5, 48, 36));
}

TEST(EngineOps, Conv2dAndConv1d) {
  struct C {
    int64_t k, stride, pad, dil;
    bool bias;
  };
  for (C c :
       {C{3, 1, 1, 1, true}, C{3, 2, 1, 2, false}, C{1, 1, 0, 1, true}, C{2, 2, 0, 1, true}}) {
    SCOPED_TRACE("k" + std::to_string(c.k) + " s" + std::to_string(c.stride));
    graph::Graph g = single({3, 7, 6}, [&](GraphBuilder& b, const std::string& x) {
      return b.module("conv", "conv2d", x,
                      Json{{"in_channels", 3},
                           {"out_channels", 4},
                           {"kernel_size", c.k},
                           {"stride", c.stride},
                           {"padding", c.pad},
                           {"dilation", c.dil},
                           {"bias", c.bias}});
    });
    const int64_t oh = (7 + 2 * c.pad - c.dil * (c.k - 1) - 1) / c.stride + 1;
    const int64_t ow = (6 + 2 * c.pad - c.dil * (c.k - 1) - 1) / c.stride + 1;
    expect_same_step(g, randn({4, 3, 7, 6}, 21), labels(4, 4 * oh * ow, 22));
  }
  graph::Graph g1 = single({3, 10}, [](GraphBuilder& b, const std::string& x) {
    return b.module("conv", "conv1d", x,
                    Json{{"in_channels", 3},
                         {"out_channels", 5},
                         {"kernel_size", 3},
                         {"stride", 2},
                         {"padding", 1}});
  });
  expect_same_step(g1, randn({4, 3, 10}, 23), labels(4, 25, 24));
}

TEST(EngineOps, Conv2dIntegerQuantized) {
  graph::Graph g = single({2, 5, 5}, [](GraphBuilder& b, const std::string& x) {
    return b.module(
        "conv", "conv2d", x,
        Json{{"in_channels", 2}, {"out_channels", 3}, {"kernel_size", 3}, {"padding", 1}});
  });
  quantize_node(g, "conv", integer_linear(8, 4, 6, 4, 8, 5));
  expect_same_step(g, randn({3, 2, 5, 5}, 25, 2.0), labels(3, 75, 26));
}

TEST(EngineOps, Pooling) {
  const std::vector<std::pair<std::string, Json>> pools = {
      {"max_pool2d", Json{{"kernel_size", 2}, {"stride", 2}}},
      {"max_pool2d", Json{{"kernel_size", 3}, {"stride", 2}, {"padding", 1}}},
      {"avg_pool2d", Json{{"kernel_size", 3}, {"stride", 2}, {"padding", 1}}},
      {"avg_pool2d", Json{{"kernel_size", 2}}},
      {"adaptive_avg_pool2d", Json{{"output_size", {3, 2}}}},
  };
  for (const auto& pool : pools) {
    const std::string& op = pool.first;  // named, not a structured binding: lambdas capture it
    const Json& attrs = pool.second;
    SCOPED_TRACE(op + " " + attrs.dump());
    graph::Graph g = single({2, 7, 5}, [&](GraphBuilder& b, const std::string& x) {
      std::string h = b.module("conv", "conv2d", x,
                               Json{{"in_channels", 2}, {"out_channels", 2}, {"kernel_size", 1}});
      return b.module("pool", op, h, attrs);
    });
    std::vector<graph::Shape> in{{3, 2, 7, 5}};
    graph::Node tmp = g.node("pool");
    const graph::Shape out = graph::op_spec(op).infer_shape(tmp, in);
    expect_same_step(g, randn({3, 2, 7, 5}, 27), labels(3, out[1] * out[2] * out[3], 28));
  }
}

TEST(EngineOps, ResidualAddAndViewAndQuantizedAdd) {
  auto build = [] {
    GraphBuilder b("residual", 5);
    std::string x = b.input("x", {2, 4});
    std::string f = b.function("view", "view", {x}, Json{{"shape", {-1, 8}}});
    std::string h = b.module("fc1", "linear", f, Json{{"in_features", 8}, {"out_features", 8}});
    std::string r = b.module("act", "relu", h);
    std::string h2 = b.module("fc2", "linear", r, Json{{"in_features", 8}, {"out_features", 8}});
    std::string s = b.function("add", "add", {h2, r});
    std::string s2 = b.function("add_1", "add", {s, f});  // the input path joins too
    return b.finish(b.module("head", "linear", s2, Json{{"in_features", 8}, {"out_features", 3}}));
  };
  graph::Graph g = build();
  expect_same_step(g, randn({20, 2, 4}, 29), labels(20, 3, 30));
  quantize_node(g, "add",
                Json{{"name", "integer"}, {"data_in_width", 8}, {"data_in_frac_width", 4}});
  expect_same_step(g, randn({20, 2, 4}, 31), labels(20, 3, 32));
}

TEST(EngineOps, SaysWhyWhenAGraphIsNotCovered) {
  GraphBuilder b("ln", 1);
  std::string x = b.input("x", {6});
  x = b.module("norm", "layer_norm", x, Json{{"normalized_shape", {6}}});
  graph::Graph g = b.finish(x);
  std::string why;
  EXPECT_EQ(Engine::compile(g, {6}, EngineOptions{}, &why), nullptr);
  EXPECT_NE(why.find("node norm (layer_norm)"), std::string::npos) << why;

  GraphBuilder b2("drop", 1);
  x = b2.input("x", {6});
  x = b2.module("drop", "dropout", x, Json{{"p", 0.2}});
  graph::Graph g2 = b2.finish(x);
  EXPECT_EQ(Engine::compile(g2, {6}, EngineOptions{}, &why), nullptr);
  EXPECT_NE(why.find("dropout"), std::string::npos) << why;
  EngineOptions eval;
  eval.training = false;
  EXPECT_NE(Engine::compile(g2, {6}, eval, &why), nullptr) << "inference dropout is the identity";
}

}  // namespace
}  // namespace chop::engine
