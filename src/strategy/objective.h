// MASE's search objective for one trial: sample one value per space choice, build the candidate
// graph, check the hardware budgets (over budget: PRUNED, never trained), run the hardware then
// the software runners, and return the scaled metrics (summed, or one per metric).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <functional>

#include "data/dataset.h"
#include "search/study.h"
#include "space/graph_space.h"
#include "strategy/strategy_config.h"

namespace chop::strategy {

/// What the objective reads; everything must outlive the optimize() call it is used in.
struct ObjectiveInputs {
  const StrategyConfig* strategy = nullptr;
  const space::GraphSpace* space = nullptr;
  const data::Splits* data = nullptr;
  at::Device device = at::kCPU;
  uint64_t seed = 0;  // trial k's candidate and runners use seed + k
  int64_t batch_size = 128;
  /// Receives each scored candidate (trial number, graph); null: candidates are dropped.
  std::function<void(int64_t, graph::Graph&&)> keep_candidate;
};

/// The objective. Trials run their runners concurrently when n_jobs > 1 (basic_train on one
/// fused engine per trial, one kernel thread each; its LibTorch fallback one trial at a time).
search::Objective make_objective(const ObjectiveInputs& in);

}  // namespace chop::strategy
