// Metrics files; see metrics_log.h.
#include "train/metrics_log.h"

#include <cstdio>

#include "core/files.h"

namespace chop::train {

nlohmann::ordered_json to_json(const EpochReport& r) {
  return {{"epoch", r.epoch},
          {"step", r.global_step},
          {"lr", r.learning_rate},
          {"train_loss", r.train_loss},
          {"train_acc", r.train_accuracy},
          {"val_loss", r.val_loss},
          {"val_acc", r.val_accuracy},
          {"best", r.is_best},
          {"train_s", r.train_seconds},
          {"samples_per_s", r.samples_per_s}};
}

void MetricsLog::append(const EpochReport& r) {
  rows_.push_back(r);
  if (csv_.empty())
    csv_ = "epoch,step,lr,train_loss,train_acc,val_loss,val_acc,best,train_s,samples_per_s\n";
  char line[512];
  std::snprintf(line, sizeof line, "%lld,%lld,%.9g,%.9g,%.9g,%.9g,%.9g,%d,%.3f,%.1f\n",
                static_cast<long long>(r.epoch), static_cast<long long>(r.global_step),
                r.learning_rate, r.train_loss, r.train_accuracy, r.val_loss, r.val_accuracy,
                r.is_best ? 1 : 0, r.train_seconds, r.samples_per_s);
  csv_ += line;
  jsonl_ += to_json(r).dump() + "\n";
  if (dir_.empty()) return;
  write_file_atomic(dir_ + "/metrics.csv", csv_);
  write_file_atomic(dir_ + "/metrics.jsonl", jsonl_);
}

}  // namespace chop::train
