// GridSampler (Optuna semantics): the Cartesian product of name-sorted value lists, visited in
// an order shuffled once from the seed; each trial takes the first grid point no trial in its
// history holds (grid_id system attr) and the study stops when every point has been used.
// Without a `search_space` option the grid is every value of the declared finite space.
#pragma once

#include "config/table_reader.h"

#include <memory>
#include <mutex>

#include "search/sampler.h"

namespace chop::search {

class GridSampler : public Sampler {
 public:
  /// `grid`: {name: [values...]}; empty = use the study's declared space.
  GridSampler(Json grid, uint64_t seed = 0);
  std::string name() const override { return "grid"; }
  void before_trial(const StudyView& view, FrozenTrial& trial) override;
  double sample_independent(const StudyView& view, const FrozenTrial& trial,
                            const std::string& param_name, const Distribution& dist) override;
  bool exhausted(const StudyView& view) const override;
  /// Number of grid points (after the grid is known).
  uint64_t size() const;

 private:
  void ensure_grid(const StudyView& view) const;
  std::vector<bool> used(const StudyView& view) const;
  mutable std::mutex mu_;
  mutable std::vector<std::string> names_;         // sorted
  mutable std::vector<std::vector<Json>> values_;  // per name
  mutable std::vector<uint64_t> order_;            // shuffled grid ids
  mutable bool ready_ = false;
};

/// Its options, documented ([search.strategy.setup.sampler_options]).
const config::TableDoc& grid_sampler_options();
std::unique_ptr<Sampler> make_grid_sampler(const Json& options, uint64_t seed,
                                           const config::Locate& locate = {});

}  // namespace chop::search
