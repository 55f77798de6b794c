// Learning-rate schedules; see schedule.h.
#include "train/schedule.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/strings.h"

namespace chop::train {

ScheduleKind parse_step_schedule(const std::string& name) {
  const std::string n = to_lower(trim(name));
  if (n == "constant") return ScheduleKind::kConstant;
  if (n == "linear") return ScheduleKind::kLinear;
  if (n == "cosine") return ScheduleKind::kCosine;
  const std::vector<std::string> names{"constant", "linear", "cosine"};
  throw UserError("unknown learning-rate schedule '" + name + "'" + did_you_mean(n, names) +
                  "; expected one of " + list_of(names));
}

LearningRateSchedule::LearningRateSchedule(const ScheduleOptions& options, OptimizerKind optimizer,
                                           double base_lr, int64_t max_epochs,
                                           int64_t total_steps)
    : options_(options),
      base_lr_(base_lr),
      total_steps_(total_steps),
      per_epoch_(mase_schedule(optimizer, base_lr, max_epochs)) {}

double LearningRateSchedule::at_step(int64_t step) const {
  if (options_.kind == ScheduleKind::kMaseCosine) return per_epoch_.learning_rate();
  const int64_t warmup = options_.num_warmup_steps;
  double factor = 1.0;
  if (step < warmup) {
    factor = static_cast<double>(step + 1) / static_cast<double>(warmup + 1);
  } else if (options_.kind != ScheduleKind::kConstant) {
    const double span = static_cast<double>(std::max<int64_t>(1, total_steps_ - warmup));
    const double progress = std::min(1.0, static_cast<double>(step - warmup) / span);
    factor = options_.kind == ScheduleKind::kLinear ? 1.0 - progress
                                                    : 0.5 * (1.0 + std::cos(M_PI * progress));
  }
  return base_lr_ * factor;
}

double LearningRateSchedule::epoch_rate() const {
  return options_.kind == ScheduleKind::kMaseCosine ? per_epoch_.learning_rate() : base_lr_;
}

void LearningRateSchedule::end_epoch() { per_epoch_.step(); }

}  // namespace chop::train
