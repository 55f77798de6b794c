// Per-epoch training metrics and their log files (metrics.csv for people, metrics.jsonl with
// full-precision numbers for programs), rewritten atomically after every epoch.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace chop::train {

struct EpochReport {
  int64_t epoch = 0;                              // counts from 0, like Lightning
  int64_t global_step = 0;                        // optimizer steps so far
  double learning_rate = 0.0;                     // used during this epoch
  double train_loss = 0.0, train_accuracy = 0.0;  // running means over the epoch's batches
  double val_loss = 0.0, val_accuracy = 0.0;      // on the validation split after the epoch
  bool is_best = false;                           // lowest validation loss so far
  double train_seconds = 0.0;                     // wall clock of the epoch's training steps
  double samples_per_s = 0.0;
};

nlohmann::ordered_json to_json(const EpochReport& r);

/// Writes <dir>/metrics.csv and <dir>/metrics.jsonl. Only the last two columns (train_s,
/// samples_per_s) depend on the machine; every other value is reproducible for a fixed seed.
class MetricsLog {
 public:
  explicit MetricsLog(std::string dir) : dir_(std::move(dir)) {}
  void append(const EpochReport& r);
  const std::vector<EpochReport>& rows() const { return rows_; }

 private:
  std::string dir_;
  std::vector<EpochReport> rows_;
  std::string csv_, jsonl_;
};

}  // namespace chop::train
