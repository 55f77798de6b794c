// Learning-rate schedules of the one training loop: MASE's per-epoch cosine annealing (`chop
// train`) or a HuggingFace-style per-step schedule with linear warm-up (search's basic_train).
#pragma once

#include <cstdint>
#include <string>

#include "train/optimizer.h"

namespace chop::train {

enum class ScheduleKind {
  kMaseCosine,  // CosineAnnealingLR per epoch (mase_schedule), no warm-up
  kConstant,    // per step: warm-up, then the base rate
  kLinear,      // per step: warm-up, then linear decay to 0 at the last step
  kCosine,      // per step: warm-up, then half a cosine to 0 at the last step
};

/// "constant" | "linear" | "cosine" (the per-step kinds, basic_train's lr_scheduler).
ScheduleKind parse_step_schedule(const std::string& name);

struct ScheduleOptions {
  ScheduleKind kind = ScheduleKind::kMaseCosine;
  int64_t num_warmup_steps = 0;  // per-step kinds only
};

/// The learning rate of every optimizer update of one training run.
class LearningRateSchedule {
 public:
  LearningRateSchedule(const ScheduleOptions& options, OptimizerKind optimizer, double base_lr,
                       int64_t max_epochs, int64_t total_steps);
  /// The rate of the update that ends on batch `step` (0-based over the whole run).
  double at_step(int64_t step) const;
  /// The rate the current epoch starts with (reports and progress lines).
  double epoch_rate() const;
  void end_epoch();  // advances the per-epoch schedule

 private:
  ScheduleOptions options_;
  double base_lr_;
  int64_t total_steps_;
  CosineAnnealingSchedule per_epoch_;
};

}  // namespace chop::train
