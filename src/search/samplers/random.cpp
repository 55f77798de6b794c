// RandomSampler.
#include "search/samplers/random.h"

#include "search/options.h"

namespace chop::search {

double RandomSampler::sample_independent(const StudyView& view, const FrozenTrial& trial,
                                         const std::string& param_name, const Distribution& dist) {
  Rng rng = rng_for(trial.number, param_name);
  return sample_uniform(dist, rng);
}

std::unique_ptr<Sampler> make_random_sampler(const Json& options, uint64_t seed) {
  Options o(options, "sampler options (random)");
  o.finish();
  return std::make_unique<RandomSampler>(seed);
}

}  // namespace chop::search
