// The base-model training `chop train` runs, shared with `chop search --train-base` so both
// train with the same options (epochs, batch, optimizer, lr, weight decay, seed) and write the
// same checkpoints to <project>/software/training_ckpts.
#pragma once

#include <c10/core/Device.h>

#include <string>

#include "cli/action.h"
#include "data/dataset.h"
#include "graph/graph.h"

namespace chop::cli {

struct BaseTraining {
  std::string best_checkpoint;  // <project>/software/training_ckpts/best.ckpt
  std::string last_checkpoint;
};

/// Trains `g` in place on `splits` with the resolved training options (--max-epochs,
/// --max-steps, --batch-size, --training-optimizer, --learning-rate, --weight-decay, --seed,
/// on `device`) into the project folder `project_root`, printing what `chop train` prints.
BaseTraining train_base_model(const ActionContext& ctx, const std::string& model, graph::Graph& g,
                              const data::Splits& splits, const std::string& project_root,
                              const c10::Device& device);

}  // namespace chop::cli
