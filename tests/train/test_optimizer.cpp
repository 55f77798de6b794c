// FlatOptimizer against LibTorch's own torch::optim (same arithmetic, so equal to rounding), and
// the flat-buffer bookkeeping (leaves, gradients, release).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "models/zoo.h"
#include "runtime/executor.h"
#include "train/optimizer.h"
#include "train_test_util.h"

namespace chop::train {
namespace {

std::unique_ptr<torch::optim::Optimizer> reference_optimizer(OptimizerKind kind,
                                                             std::vector<at::Tensor> params,
                                                             double lr, double wd) {
  switch (kind) {
    case OptimizerKind::kAdam:
      return std::make_unique<torch::optim::Adam>(params,
                                                  torch::optim::AdamOptions(lr).weight_decay(wd));
    case OptimizerKind::kAdamW:
      return std::make_unique<torch::optim::AdamW>(params,
                                                   torch::optim::AdamWOptions(lr).weight_decay(wd));
    case OptimizerKind::kSgd:
      return std::make_unique<torch::optim::SGD>(
          params, torch::optim::SGDOptions(lr).momentum(0.9).nesterov(true).weight_decay(wd));
  }
  return nullptr;
}

void compare_with_torch_optim(OptimizerKind kind, double lr, double wd) {
  models::ModelOptions mo;
  mo.seed = 3;
  graph::Graph ours = models::build_jsc_s(mo);
  graph::Graph ref = ours.clone();
  std::vector<at::Tensor> ref_params;
  for (auto& [name, p] : ref.named_parameters()) ref_params.push_back(p);
  auto ref_opt = reference_optimizer(kind, ref_params, lr, wd);
  OptimizerOptions oo;
  oo.kind = kind;
  oo.learning_rate = lr;
  oo.weight_decay = wd;
  FlatOptimizer opt(ours, oo);
  auto data = testing::small_splits(64, 1, 7).train;
  runtime::RunOptions train_mode;
  train_mode.training = true;
  for (int step = 0; step < 6; ++step) {
    auto batch = data.slice(step * 8 % 56, step * 8 % 56 + 8 + step);
    opt.zero_grad();
    at::cross_entropy_loss(runtime::forward(ours, batch.x, train_mode), batch.y).backward();
    opt.step();
    ref_opt->zero_grad();
    at::cross_entropy_loss(runtime::forward(ref, batch.x, train_mode), batch.y).backward();
    ref_opt->step();
  }
  auto a = ours.state_dict(), b = ref.state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(at::allclose(a[i].second.to(at::kDouble), b[i].second.to(at::kDouble), 1e-5, 1e-6))
        << optimizer_name(kind) << " " << a[i].first << " max diff "
        << (a[i].second - b[i].second).abs().max().item<double>();
  }
}

TEST(FlatOptimizer, AdamMatchesTorchOptim) {
  compare_with_torch_optim(OptimizerKind::kAdam, 1e-2, 0);
}
TEST(FlatOptimizer, AdamWithL2MatchesTorchOptim) {
  compare_with_torch_optim(OptimizerKind::kAdam, 1e-2, 1e-2);
}
TEST(FlatOptimizer, AdamWMatchesTorchOptim) {
  compare_with_torch_optim(OptimizerKind::kAdamW, 1e-2, 5e-2);
}
TEST(FlatOptimizer, NesterovSgdMatchesTorchOptim) {
  compare_with_torch_optim(OptimizerKind::kSgd, 5e-2, 5e-4);
}

TEST(FlatOptimizer, ParametersBecomeLeafViewsAndAreReleased) {
  graph::Graph g = models::build_jsc_tiny({});
  graph::Graph before = g.clone();
  {
    FlatOptimizer opt(g, {});
    EXPECT_EQ(opt.num_elements(), g.num_parameters());
    for (auto& [name, p] : g.named_parameters()) {
      EXPECT_TRUE(p.is_leaf()) << name;
      EXPECT_TRUE(p.requires_grad()) << name;
      EXPECT_TRUE(p.grad().defined()) << name;
    }
    testing::expect_same_state(g, before);  // values unchanged by the move into the buffer
  }
  // After release every parameter owns its storage again, values intact, no gradient.
  testing::expect_same_state(g, before);
  auto params = g.named_parameters();
  for (size_t i = 0; i + 1 < params.size(); ++i) {
    EXPECT_NE(params[i].second.data_ptr(), params[i + 1].second.data_ptr());
    EXPECT_FALSE(params[i].second.grad().defined());
    EXPECT_TRUE(params[i].second.requires_grad());
  }
}

TEST(FlatOptimizer, RejectsBadLearningRate) {
  graph::Graph g = models::build_jsc_tiny({});
  OptimizerOptions oo;
  oo.learning_rate = -1;
  EXPECT_THROW(FlatOptimizer(g, oo), UserError);
}

TEST(Optimizer, ParsesNamesWithSuggestion) {
  EXPECT_EQ(parse_optimizer("AdamW"), OptimizerKind::kAdamW);
  EXPECT_EQ(parse_optimizer("sgd"), OptimizerKind::kSgd);
  try {
    parse_optimizer("adan");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chop::train
