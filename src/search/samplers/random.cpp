// RandomSampler.
#include "search/samplers/random.h"

#include "config/table_reader.h"

namespace chop::search {

double RandomSampler::sample_independent(const StudyView& view, const FrozenTrial& trial,
                                         const std::string& param_name, const Distribution& dist) {
  Rng rng = rng_for(trial.number, param_name);
  return sample_uniform(dist, rng);
}

const config::TableDoc& random_sampler_options() {
  static const config::TableDoc doc{
      "search.strategy.setup.sampler_options (random)", "no options", {}};
  return doc;
}

std::unique_ptr<Sampler> make_random_sampler(const Json& options, uint64_t seed,
                                             const config::Locate& locate) {
  const config::TableReader o(options, random_sampler_options(), locate);
  return std::make_unique<RandomSampler>(seed);
}

}  // namespace chop::search
