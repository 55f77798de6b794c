// RandomSampler: independent uniform draws (Optuna's transforms), one stream per
// (seed, trial number, parameter name).
#pragma once

#include "config/table_reader.h"

#include <memory>

#include "search/sampler.h"

namespace chop::search {

class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(uint64_t seed = 0) : Sampler(seed) {}
  std::string name() const override { return "random"; }
  double sample_independent(const StudyView& view, const FrozenTrial& trial,
                            const std::string& param_name, const Distribution& dist) override;
};

/// Its options, documented ([search.strategy.setup.sampler_options]).
const config::TableDoc& random_sampler_options();
std::unique_ptr<Sampler> make_random_sampler(const Json& options, uint64_t seed,
                                             const config::Locate& locate = {});

}  // namespace chop::search
