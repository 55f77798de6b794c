// Progress display; see progress.h. The ETA extrapolates the mean step time of this run.
#include "train/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ostream>

#include "core/strings.h"

namespace chop::train {

bool stdout_is_terminal() {
  return isatty(fileno(stdout)) != 0;
}

Progress::Progress(ProgressMode mode, int64_t max_epochs, int64_t steps_per_epoch,
                   int64_t total_steps, std::ostream& out, double line_interval_s)
    : mode_(mode == ProgressMode::kAuto
                ? (stdout_is_terminal() ? ProgressMode::kTerminal : ProgressMode::kLines)
                : mode),
      max_epochs_(max_epochs),
      steps_per_epoch_(steps_per_epoch),
      total_steps_(total_steps),
      out_(out),
      line_interval_s_(line_interval_s),
      t_start_(Clock::now()),
      t_epoch_(t_start_),
      t_last_print_(t_start_) {}

std::string Progress::format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  auto total = static_cast<int64_t>(std::llround(s));
  char buf[32];
  if (total >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(total / 3600),
                  static_cast<long long>(total % 3600 / 60));
  else if (total >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  else
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(total));
  return buf;
}

void Progress::start_epoch(int64_t epoch) {
  epoch_ = epoch;
  t_epoch_ = Clock::now();
}

std::string Progress::status_line(int64_t step_in_epoch, int64_t global_step,
                                  int64_t samples_in_epoch, double loss, double accuracy) const {
  auto now = Clock::now();
  double t_epoch_s = std::chrono::duration<double>(now - t_epoch_).count();
  double t_run_s = std::chrono::duration<double>(now - t_start_).count();
  double samples_per_s = t_epoch_s > 0 ? samples_in_epoch / t_epoch_s : 0.0;
  int64_t steps_done = global_step - first_global_step_;
  double eta_s = steps_done > 0 ? t_run_s / steps_done * (total_steps_ - global_step) : -1;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "epoch %lld/%lld  step %lld/%lld  loss %.4f  acc %.4f  %s samples/s  ETA %s",
                static_cast<long long>(epoch_ + 1), static_cast<long long>(max_epochs_),
                static_cast<long long>(step_in_epoch), static_cast<long long>(steps_per_epoch_),
                loss, accuracy, with_thousands(std::llround(samples_per_s)).c_str(),
                format_duration(eta_s).c_str());
  return buf;
}

void Progress::on_step(int64_t step_in_epoch, int64_t global_step, int64_t samples_in_epoch,
                       double loss, double accuracy) {
  if (first_global_step_ < 0) first_global_step_ = global_step - 1;
  if (mode_ == ProgressMode::kQuiet) return;
  auto now = Clock::now();
  double since = std::chrono::duration<double>(now - t_last_print_).count();
  bool last_of_epoch = step_in_epoch == steps_per_epoch_;
  if (mode_ == ProgressMode::kTerminal) {
    if (since < 0.1 && !last_of_epoch) return;
    std::string line = status_line(step_in_epoch, global_step, samples_in_epoch, loss, accuracy);
    std::string pad = line.size() < live_len_ ? std::string(live_len_ - line.size(), ' ') : "";
    out_ << '\r' << line << pad << std::flush;
    live_len_ = line.size();
    live_line_ = true;
  } else {
    if (since < line_interval_s_) return;
    out_ << status_line(step_in_epoch, global_step, samples_in_epoch, loss, accuracy) << '\n'
         << std::flush;
  }
  t_last_print_ = now;
}

void Progress::print_line(const std::string& line) {
  if (live_line_) {
    out_ << '\r' << std::string(live_len_, ' ') << '\r';
    live_line_ = false;
    live_len_ = 0;
  }
  out_ << line << '\n' << std::flush;
}

}  // namespace chop::train
