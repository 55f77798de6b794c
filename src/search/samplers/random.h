// RandomSampler: independent uniform draws (Optuna's transforms), one stream per
// (seed, trial number, parameter name).
#pragma once

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

std::unique_ptr<Sampler> make_random_sampler(const Json& options, uint64_t seed);

}  // namespace chop::search
