// The training loop on its two step backends: the fused engine and the LibTorch path give the
// same run (weights, batch-norm statistics, every epoch's losses and accuracies, checkpoints)
// for float and fake-quantized graphs, for any thread count; evaluate() on an engine equals
// the LibTorch path's evaluation.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include "core/log.h"
#include "graph/builder.h"
#include "models/zoo.h"
#include "passes/transforms/quantize.h"
#include "quant/config.h"
#include "train/evaluate.h"
#include "train/trainer.h"
#include "train_test_util.h"

namespace chop::train {
namespace {

TrainOptions options(bool engine) {
  TrainOptions o;
  o.max_epochs = 3;
  o.batch_size = 48;  // the last batch of 400 rows is short (16 rows)
  o.learning_rate = 5e-3;
  o.seed = 11;
  o.fused_engine = engine;
  return o;
}

void expect_same_runs(const graph::Graph& g0, TrainOptions o) {
  auto s = testing::small_splits(400, 120, 3);
  graph::Graph a = g0.clone(), b = g0.clone();
  o.fused_engine = true;
  TrainResult ra = train(a, s.train, s.val, o);
  o.fused_engine = false;
  TrainResult rb = train(b, s.train, s.val, o);
  EXPECT_NE(ra.backend.find("fused engine"), std::string::npos) << ra.backend;
  EXPECT_EQ(rb.backend, "LibTorch");
  testing::expect_same_state(a, b);
  ASSERT_EQ(ra.epochs.size(), rb.epochs.size());
  for (size_t e = 0; e < ra.epochs.size(); ++e) {
    EXPECT_EQ(ra.epochs[e].train_loss, rb.epochs[e].train_loss) << e;
    EXPECT_EQ(ra.epochs[e].train_accuracy, rb.epochs[e].train_accuracy) << e;
    EXPECT_EQ(ra.epochs[e].val_loss, rb.epochs[e].val_loss) << e;
    EXPECT_EQ(ra.epochs[e].val_accuracy, rb.epochs[e].val_accuracy) << e;
  }
}

TEST(TrainSteps, EngineAndLibTorchPathGiveTheSameRun) {
  at::set_num_threads(1);
  for (const char* model : {"jsc-s", "jsc-toy", "jsc-tiny"}) {
    SCOPED_TRACE(model);
    models::ModelOptions mo;
    mo.seed = 4;
    expect_same_runs(models::build_model(model, mo), options(true));
  }
  models::ModelOptions mo;
  mo.seed = 4;
  TrainOptions sgd = options(true);
  sgd.optimizer = OptimizerKind::kSgd;
  sgd.weight_decay = 5e-4;
  expect_same_runs(models::build_model("jsc-s", mo), sgd);
}

TEST(TrainSteps, QuantizedGraphGivesTheSameRun) {
  at::set_num_threads(1);
  models::ModelOptions mo;
  graph::Graph g = models::build_model("jsc-toy", mo);
  for (auto& n : g.nodes()) {
    if (n.mase_op != "linear" && n.mase_op != "relu") continue;
    graph::Json c =
        n.mase_op == "linear"
            ? graph::Json{{"name", "integer"},       {"data_in_width", 8},
                          {"data_in_frac_width", 4}, {"weight_width", 6},
                          {"weight_frac_width", 4},  {"bias_width", 8},
                          {"bias_frac_width", 4}}
            : graph::Json{{"name", "integer"}, {"data_in_width", 6}, {"data_in_frac_width", 3}};
    n.quant = passes::make_node_quant(quant::parse_node_quant_config(c, n.mase_op, "test"), c, 0,
                                      n.mase_op);
  }
  expect_same_runs(g, options(true));
}

TEST(TrainSteps, EngineRunIsTheSameForAnyThreadCount) {
  auto s = testing::small_splits(400, 120, 3);
  models::ModelOptions mo;
  graph::Graph a = models::build_model("mlp", mo), b = a.clone();
  at::set_num_threads(1);
  TrainResult ra = train(a, s.train, s.val, options(true));
  at::set_num_threads(2);
  TrainResult rb = train(b, s.train, s.val, options(true));
  at::set_num_threads(1);
  testing::expect_same_state(a, b);
  EXPECT_EQ(ra.epochs.back().val_loss, rb.epochs.back().val_loss);
}

TEST(TrainSteps, EvaluateOnAnEngineEqualsTheLibTorchPath) {
  at::set_num_threads(1);
  auto s = testing::small_splits(100, 1000, 8);
  models::ModelOptions mo;
  graph::Graph g = models::build_model("jsc-s", mo);
  for (auto& n : g.nodes())
    if (n.mase_op == "batch_norm1d") {
      n.buffer("running_mean")->uniform_(-0.5, 0.5);
      n.buffer("running_var")->uniform_(0.5, 2.0);
    }
  for (int64_t num_samples : {int64_t{-1}, int64_t{300}}) {
    EvalResult a = evaluate(g, s.val, 64, num_samples);  // the engine
    EvalResult b = evaluate_in_forwards(g, s.val, 64, num_samples, at::kCPU, 1);
    EXPECT_EQ(a.loss, b.loss);
    EXPECT_EQ(a.accuracy, b.accuracy);
    EXPECT_EQ(a.n_samples, b.n_samples);
  }
}

// A graph with an op the fused engine does not cover (layer_norm) trains on the LibTorch path and
// says so once per process, not once per epoch or per evaluation.
TEST(TrainSteps, UncoveredOpFallsBackAndSaysSoOnce) {
  at::set_num_threads(1);
  const LogLevel level_before = log_level();
  set_log_level(LogLevel::kInfo);
  auto s = testing::small_splits(200, 60, 5);
  graph::GraphBuilder b("fallback_once_net", 3);
  std::string x = b.input("x", {16});
  x = b.module("seq_blocks.0", "linear", x, graph::Json{{"in_features", 16}, {"out_features", 8}});
  x = b.module("seq_blocks.1", "layer_norm", x, graph::Json{{"normalized_shape", {8}}});
  x = b.module("seq_blocks.2", "relu", x);
  x = b.module("seq_blocks.3", "linear", x, graph::Json{{"in_features", 8}, {"out_features", 5}});
  graph::Graph g = b.finish(x);
  ::testing::internal::CaptureStderr();
  TrainResult r1 = train(g, s.train, s.val, options(true));
  TrainResult r2 = train(g, s.train, s.val, options(true));  // a second run in the same process
  const std::string err = ::testing::internal::GetCapturedStderr();
  set_log_level(level_before);
  EXPECT_EQ(r1.backend, "LibTorch");
  EXPECT_EQ(r2.backend, "LibTorch");
  EXPECT_EQ(r1.epochs.size(), 3u);
  const std::string said = "training model fallback_once_net runs on the LibTorch path";
  size_t n_said = 0;
  for (size_t at = err.find(said); at != std::string::npos; at = err.find(said, at + 1)) ++n_said;
  EXPECT_EQ(n_said, 1u) << err;
  EXPECT_NE(err.find("node seq_blocks_1 (layer_norm)"), std::string::npos) << err;
}

}  // namespace
}  // namespace chop::train
