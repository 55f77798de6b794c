// Optuna's HyperbandPruner (3.x): several successive-halving brackets; a trial's bracket is
// crc32("<study>_<number>") modulo the total allocation budget, and each bracket only sees its
// own trials (also what model-based samplers see, via filter_for_sampler).
#pragma once

#include "config/table_reader.h"

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "search/pruner.h"
#include "search/pruners/successive_halving.h"

namespace chop::search {

class HyperbandPruner : public Pruner {
 public:
  /// max_resource nullopt = "auto": largest last step of COMPLETE trials + 1.
  HyperbandPruner(int64_t min_resource = 1, std::optional<int64_t> max_resource = std::nullopt,
                  int64_t reduction_factor = 3, int64_t bootstrap_count = 0);
  std::string name() const override { return "hyperband"; }
  bool prune(const StudyView& view, FrozenTrial& trial) override;
  void filter_for_sampler(StudyView& view, const FrozenTrial& trial) const override;
  /// Bracket of a trial (0 before the brackets exist).
  int bracket_of(const std::string& study_name, int64_t number) const;
  int n_brackets() const;

 private:
  bool try_init(const StudyView& view);
  mutable std::mutex mu_;
  int64_t min_resource_;
  std::optional<int64_t> max_resource_;
  int64_t reduction_factor_, bootstrap_count_;
  std::vector<std::unique_ptr<SuccessiveHalvingPruner>> pruners_;
  std::vector<int64_t> budgets_;
  int64_t total_budget_ = 0;
};

/// zlib's CRC-32 (as Python's binascii.crc32).
uint32_t crc32(const std::string& s);

const config::TableDoc& hyperband_pruner_options();
std::unique_ptr<Pruner> make_hyperband_pruner(const Json& options,
                                              const config::Locate& locate = {});

}  // namespace chop::search
