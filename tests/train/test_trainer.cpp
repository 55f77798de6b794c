// The training loop: learning, determinism, early stops, NaN handling with intact checkpoints,
// metrics files, evaluation semantics, and the progress display.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include <ATen/Parallel.h>
#include "core/error.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/strings.h"

#include "models/zoo.h"
#include "passes/pass.h"
#include "passes/transforms/quantize.h"
#include "runtime/executor.h"
#include "train/checkpoint/ckpt_file.h"
#include "train/evaluate.h"
#include "train/project.h"
#include "train/trainer.h"
#include "train_test_util.h"

namespace chop::train {
namespace {

using testing::TempDir;

TrainOptions quick_options() {
  TrainOptions o;
  o.max_epochs = 4;
  o.batch_size = 32;
  o.learning_rate = 1e-2;
  o.seed = 5;
  return o;
}

TEST(Trainer, LearnsAndWritesCheckpointsAndMetrics) {
  at::set_num_threads(1);
  TempDir dir("learn");
  auto s = testing::small_splits(1000, 300, 1);
  graph::Graph g = models::build_jsc_s({});
  double acc_before = evaluate(g, s.val, 64).accuracy;
  TrainOptions o = quick_options();
  o.checkpoint_dir = dir.path + "/ckpts";
  o.checkpoint_meta = {{"dataset", "small"}};
  TrainResult r = train(g, s.train, s.val, o);
  ASSERT_EQ(r.epochs.size(), 4u);
  EXPECT_EQ(r.global_step, 4 * 32);  // ceil(1000 / 32) = 32 steps per epoch
  EXPECT_EQ(r.samples_seen, 4000);
  EXPECT_GT(r.samples_per_s, 0);
  EXPECT_LT(r.epochs.back().train_loss, r.epochs.front().train_loss);
  EvalResult after = evaluate(g, s.val, 32);
  EXPECT_GT(after.accuracy, 0.6) << "before " << acc_before;  // chance: 0.2
  EXPECT_GT(after.accuracy, acc_before + 0.3);
  EXPECT_DOUBLE_EQ(after.loss, r.epochs.back().val_loss);  // graph holds the last weights

  // best.ckpt = lowest validation loss; last.ckpt = final weights.
  ASSERT_GE(r.best_epoch, 0);
  double best = 1e9;
  for (const auto& e : r.epochs) best = std::min(best, e.val_loss);
  EXPECT_DOUBLE_EQ(r.best_val_loss, best);
  checkpoint::CheckpointInfo info = checkpoint::read_checkpoint_info(r.best_checkpoint);
  EXPECT_EQ(info.meta["epoch"].get<int64_t>(), r.best_epoch);
  EXPECT_EQ(info.meta["dataset"], "small");
  EXPECT_DOUBLE_EQ(info.meta["val_loss"].get<double>(), best);
  graph::Graph last = checkpoint::load_checkpoint(r.last_checkpoint);
  testing::expect_same_state(last, g);

  std::string csv = read_file(o.checkpoint_dir + "/metrics.csv");
  EXPECT_EQ(split(trim(csv), '\n').size(), 5u) << csv;  // header + 4 epochs
  EXPECT_TRUE(starts_with(csv, "epoch,step,lr,train_loss,train_acc,val_loss,val_acc,best"));
  std::string jsonl = read_file(o.checkpoint_dir + "/metrics.jsonl");
  EXPECT_EQ(split(trim(jsonl), '\n').size(), 4u);
  auto row = nlohmann::json::parse(split(jsonl, '\n')[3]);
  EXPECT_DOUBLE_EQ(row["val_loss"].get<double>(), r.epochs[3].val_loss);
  // Cosine schedule per epoch: lr decreases from the base.
  EXPECT_DOUBLE_EQ(r.epochs[0].learning_rate, 1e-2);
  EXPECT_LT(r.epochs[3].learning_rate, r.epochs[2].learning_rate);
}

TEST(Trainer, SameSeedGivesIdenticalWeightsAndMetrics) {
  at::set_num_threads(1);
  auto s = testing::small_splits(500, 100, 2);
  auto run = [&](uint64_t seed, const std::string& dir) {
    graph::Graph g = models::build_jsc_s({});
    TrainOptions o = quick_options();
    o.seed = seed;
    o.checkpoint_dir = dir;
    TrainResult r = train(g, s.train, s.val, o);
    return std::make_pair(std::move(g), r);
  };
  TempDir d1("det1"), d2("det2"), d3("det3");
  auto [g1, r1] = run(11, d1.path);
  auto [g2, r2] = run(11, d2.path);
  auto [g3, r3] = run(12, d3.path);
  testing::expect_same_state(g1, g2);
  for (size_t e = 0; e < r1.epochs.size(); ++e) {
    EXPECT_EQ(r1.epochs[e].train_loss, r2.epochs[e].train_loss);
    EXPECT_EQ(r1.epochs[e].val_loss, r2.epochs[e].val_loss);
    EXPECT_EQ(r1.epochs[e].val_accuracy, r2.epochs[e].val_accuracy);
  }
  EXPECT_EQ(read_file(d1.path + "/best.ckpt"), read_file(d2.path + "/best.ckpt"));
  EXPECT_EQ(read_file(d1.path + "/last.ckpt"), read_file(d2.path + "/last.ckpt"));
  EXPECT_NE(r1.epochs[0].train_loss, r3.epochs[0].train_loss);  // the seed matters
}

TEST(Trainer, MaxStepsAndCallbackStopEarly) {
  auto s = testing::small_splits(320, 64, 3);
  graph::Graph g = models::build_jsc_tiny({});
  TrainOptions o = quick_options();
  o.max_steps = 15;  // 10 steps per epoch: epoch 0 full, epoch 1 partial
  TrainResult r = train(g, s.train, s.val, o);
  EXPECT_EQ(r.global_step, 15);
  ASSERT_EQ(r.epochs.size(), 2u);
  EXPECT_EQ(r.epochs[1].global_step, 15);
  EXPECT_EQ(r.samples_seen, 15 * 32);

  std::vector<int64_t> seen;
  o.max_steps = -1;
  o.on_epoch_end = [&](const EpochReport& e) {
    seen.push_back(e.epoch);
    return e.epoch < 1;  // stop after the second epoch
  };
  r = train(g, s.train, s.val, o);
  EXPECT_TRUE(r.stopped_early);
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(r.epochs.size(), 2u);
}

TEST(Trainer, NanLossIsAClearRunErrorAndKeepsCheckpoints) {
  TempDir dir("nan");
  auto s = testing::small_splits(200, 50, 4);
  graph::Graph g = models::build_jsc_s({});
  TrainOptions o = quick_options();
  o.checkpoint_dir = dir.path;
  o.on_epoch_end = [&](const EpochReport&) {
    at::NoGradGuard no_grad;
    g.node("module_list_2").param("weight")->fill_(std::nan(""));  // diverges in epoch 1
    return true;
  };
  try {
    train(g, s.train, s.val, o);
    FAIL() << "expected a RunError";
  } catch (const RunError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("nan at epoch 1 (step 1 of 7"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--learning-rate"), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir.path), std::string::npos) << msg;
  }
  // Epoch 0's checkpoints are complete and finite.
  graph::Graph last = checkpoint::load_checkpoint(dir.path + "/last.ckpt");
  for (auto& [name, t] : last.state_dict()) {
    if (t.is_floating_point()) {
      EXPECT_TRUE(at::isfinite(t).all().item<bool>()) << name;
    }
  }
  EXPECT_EQ(checkpoint::read_checkpoint_info(dir.path + "/best.ckpt").meta["epoch"], 0);
}

// Ctrl-C (interrupt.h) stops training before the next step with exit code 130; the finished
// epochs' checkpoints stay intact and the message says where they are.
TEST(Trainer, InterruptStopsBeforeTheNextStepAndKeepsCheckpoints) {
  TempDir dir("interrupt");
  auto s = testing::small_splits(200, 50, 4);
  graph::Graph g = models::build_jsc_s({});
  TrainOptions o = quick_options();
  o.checkpoint_dir = dir.path;
  o.on_epoch_end = [&](const EpochReport& e) {
    if (e.epoch == 1) request_interrupt();
    return true;
  };
  try {
    train(g, s.train, s.val, o);
    clear_interrupt_request();
    FAIL() << "expected an InterruptedError";
  } catch (const InterruptedError& e) {
    clear_interrupt_request();
    EXPECT_EQ(e.code(), ExitCode::kInterrupted);
    std::string msg = e.what();
    EXPECT_NE(msg.find("epoch 3 before step 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir.path + "/last.ckpt (epoch 2)"), std::string::npos) << msg;
  }
  EXPECT_EQ(checkpoint::read_checkpoint_info(dir.path + "/last.ckpt").meta["epoch"], 1);
  EXPECT_FALSE(interrupt_requested());
}

TEST(Trainer, AbsurdLearningRateDiverges) {
  auto s = testing::small_splits(512, 64, 5);
  graph::Graph g = models::build_jsc_tiny({});
  TrainOptions o = quick_options();
  o.optimizer = OptimizerKind::kSgd;
  o.learning_rate = 1e30;
  EXPECT_THROW(train(g, s.train, s.val, o), RunError);
}

TEST(Trainer, RejectsBadOptions) {
  auto s = testing::small_splits(64, 8, 6);
  graph::Graph g = models::build_jsc_tiny({});
  TrainOptions o = quick_options();
  o.batch_size = 0;
  EXPECT_THROW(train(g, s.train, s.val, o), UserError);
  o = quick_options();
  o.max_epochs = 0;
  EXPECT_THROW(train(g, s.train, s.val, o), UserError);
  o = quick_options();
  EXPECT_THROW(train(g, {}, s.val, o), UserError);
}

TEST(Evaluate, MatchesADirectComputationAndHonoursNumSamples) {
  auto s = testing::small_splits(10, 100, 7);
  graph::Graph g = models::build_jsc_toy({});
  EvalResult all = evaluate(g, s.val, 32);
  at::NoGradGuard no_grad;
  at::Tensor logits = runtime::forward(g, s.val.x);
  EXPECT_NEAR(all.loss, at::cross_entropy_loss(logits, s.val.y).item<double>(), 1e-6);
  EXPECT_DOUBLE_EQ(all.accuracy,
                   logits.argmax(1).eq(s.val.y).to(at::kDouble).mean().item<double>());
  EXPECT_EQ(all.n_samples, 100);
  // MASE: ceil(num_samples / batch_size) whole batches.
  EXPECT_EQ(evaluate(g, s.val, 32, 33).n_samples, 64);
  EXPECT_EQ(evaluate(g, s.val, 32, 1000).n_samples, 100);
  EXPECT_THROW(evaluate(g, {}, 32), UserError);
}

using Json = nlohmann::ordered_json;

// The fused loss (vectorized exp) against ATen's cross-entropy on large, spread logits too.
TEST(Evaluate, FusedLossMatchesAtenOnLargeLogits) {
  auto s = testing::small_splits(10, 777, 4);
  graph::Graph g = models::build_jsc_toy({});
  for (double scale : {1.0, 40.0, 400.0}) {
    graph::Graph scaled = g.clone();
    {
      at::NoGradGuard no_grad;
      for (auto& n : scaled.nodes())
        if (n.mase_op == "linear") n.param("weight")->mul_(std::cbrt(scale));
    }
    EvalResult r = evaluate(scaled, s.val, 64);
    at::NoGradGuard no_grad;
    at::Tensor logits = runtime::forward(scaled, s.val.x);
    const double want = at::cross_entropy_loss(logits, s.val.y).item<double>();
    EXPECT_NEAR(r.loss, want, 1e-6 * std::max(1.0, std::abs(want))) << "scale " << scale;
    EXPECT_DOUBLE_EQ(r.accuracy,
                     logits.argmax(1).eq(s.val.y).to(at::kDouble).mean().item<double>());
  }
}

// Several batches per forward (row-independent graphs) must give exactly the batch-by-batch
// numbers, for float and integer-quantized jsc-toy with non-trivial batch-norm statistics and a
// short last batch; a graph with a batch-dependent quantizer is not merged.
TEST(Evaluate, MergedBatchesAreBitIdenticalToOneBatchPerForward) {
  auto s = testing::small_splits(10, 1000, 3);
  graph::Graph g = models::build_jsc_toy({});
  {
    at::NoGradGuard no_grad;
    for (auto& n : g.nodes())
      if (n.mase_op == "batch_norm1d") {
        n.buffer("running_mean")->uniform_(-0.5, 0.5);
        n.buffer("running_var")->uniform_(0.5, 2.0);
      }
  }
  EXPECT_TRUE(runtime::rows_independent_in_inference(g));
  auto same = [&](graph::Graph& model, int64_t batch, int64_t num_samples) {
    EvalResult one = evaluate_in_forwards(model, s.val, batch, num_samples, at::kCPU, 1);
    EvalResult merged = evaluate(model, s.val, batch, num_samples);
    EXPECT_EQ(one.loss, merged.loss) << batch << " " << num_samples;
    EXPECT_EQ(one.accuracy, merged.accuracy);
    EXPECT_EQ(one.n_samples, merged.n_samples);
  };
  same(g, 64, -1);  // 1000 = 15 * 64 + 40
  same(g, 256, 512);
  passes::PassContext ctx;
  passes::quantize_graph(g,
                         Json{{"by", "type"},
                              {"default", {{"config", {{"name", nullptr}}}}},
                              {"linear",
                               {{"config",
                                 {{"name", "integer"},
                                  {"data_in_width", 4},
                                  {"data_in_frac_width", 2},
                                  {"weight_width", 4},
                                  {"weight_frac_width", 2}}}}}},
                         ctx);
  EXPECT_TRUE(runtime::rows_independent_in_inference(g));
  same(g, 64, -1);
  passes::quantize_graph(g,
                         Json{{"by", "type"},
                              {"default", {{"config", {{"name", nullptr}}}}},
                              {"linear",
                               {{"config",
                                 {{"name", "block_fp"},
                                  {"data_in_width", 8},
                                  {"data_in_exponent_width", 4},
                                  {"data_in_exponent_bias", nullptr},
                                  {"data_in_block_size", Json::array({16})},
                                  {"weight_width", 8},
                                  {"weight_exponent_width", 4},
                                  {"weight_exponent_bias", nullptr},
                                  {"weight_block_size", Json::array({16})}}}}}},
                         ctx);
  EXPECT_FALSE(runtime::rows_independent_in_inference(g));
}

TEST(Progress, LinesModePrintsEpochSummaries) {
  auto s = testing::small_splits(100, 20, 8);
  graph::Graph g = models::build_jsc_tiny({});
  std::ostringstream out;
  TrainOptions o = quick_options();
  o.max_epochs = 2;
  o.progress = ProgressMode::kLines;
  o.progress_interval_s = 0.0;  // a line for every step
  o.out = &out;
  train(g, s.train, s.val, o);
  std::string text = out.str();
  EXPECT_NE(text.find("epoch 1/2  step 1/4  loss "), std::string::npos) << text;
  EXPECT_NE(text.find("samples/s  ETA "), std::string::npos) << text;
  EXPECT_NE(text.find("epoch 2/2  train loss "), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST(Progress, TerminalModeRewritesOneLine) {
  auto s = testing::small_splits(100, 20, 8);
  graph::Graph g = models::build_jsc_tiny({});
  std::ostringstream out;
  TrainOptions o = quick_options();
  o.max_epochs = 1;
  o.progress = ProgressMode::kTerminal;
  o.out = &out;
  train(g, s.train, s.val, o);
  std::string text = out.str();
  EXPECT_NE(text.find("\repoch 1/1  step 4/4"), std::string::npos) << text;
  EXPECT_NE(text.find("epoch 1/1  train loss"), std::string::npos) << text;
}

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(Progress::format_duration(12.4), "12s");
  EXPECT_EQ(Progress::format_duration(185), "3m05s");
  EXPECT_EQ(Progress::format_duration(3720), "1h02m");
  EXPECT_EQ(Progress::format_duration(-1), "?");
}

TEST(Project, MaseFolderNaming) {
  std::string name = default_project_name("facebook/opt-125m", "cls", "jsc");
  EXPECT_TRUE(starts_with(name, "facebook-opt-125m_cls_jsc_20")) << name;
  EXPECT_EQ(name.size(), std::string("facebook-opt-125m_cls_jsc_2024-01-14").size());
  TempDir dir("project");
  std::string root = setup_project_folder(dir.path + "/out", "p");
  EXPECT_TRUE(std::filesystem::is_directory(root + "/software"));
  EXPECT_TRUE(std::filesystem::is_directory(root + "/hardware"));
  EXPECT_EQ(training_checkpoint_dir(root), dir.path + "/out/p/software/training_ckpts");
}

}  // namespace
}  // namespace chop::train
