// Training progress on stdout: one updating line on a terminal, plain lines otherwise (logs,
// pipes, CI), showing epoch, step, loss, accuracy, samples/s and the estimated time left.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace chop::train {

enum class ProgressMode {
  kAuto,      // kTerminal when stdout is a terminal, else kLines
  kTerminal,  // one line rewritten in place (\r), at most 10 times a second
  kLines,     // a plain line every `line_interval_s` seconds and at each epoch end
  kQuiet      // epoch summaries only
};

class Progress {
 public:
  Progress(ProgressMode mode, int64_t max_epochs, int64_t steps_per_epoch, int64_t total_steps,
           std::ostream& out, double line_interval_s = 10.0);

  void start_epoch(int64_t epoch);  // epoch counts from 0
  /// After each optimizer step; loss/accuracy are the epoch's running means so far.
  void on_step(int64_t step_in_epoch, int64_t global_step, int64_t samples_in_epoch, double loss,
               double accuracy);
  /// Prints a finished line (clearing a terminal's live line first).
  void print_line(const std::string& line);
  ProgressMode mode() const { return mode_; }

  /// "1h02m", "3m05s", "12s".
  static std::string format_duration(double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  std::string status_line(int64_t step_in_epoch, int64_t global_step, int64_t samples_in_epoch,
                          double loss, double accuracy) const;

  ProgressMode mode_;
  int64_t max_epochs_, steps_per_epoch_, total_steps_;
  std::ostream& out_;
  double line_interval_s_;
  int64_t epoch_ = 0, first_global_step_ = -1;
  Clock::time_point t_start_, t_epoch_, t_last_print_;
  bool live_line_ = false;
  size_t live_len_ = 0;
};

/// True when stdout is a terminal.
bool stdout_is_terminal();

}  // namespace chop::train
