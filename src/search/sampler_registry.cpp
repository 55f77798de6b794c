// The sampler table. To add a sampler: write samplers/<name>.{h,cpp} with a documented options
// table and a make_<name>_sampler(options, seed, locate) factory, include it here and fill
// its entry (an entry with an empty factory is listed but reported as not available).
#include "search/sampler_registry.h"

#include <cctype>

#include "core/error.h"
#include "core/strings.h"
#include "search/samplers/bruteforce.h"
#include "search/samplers/grid.h"
#include "search/samplers/nsga_sampler.h"
#include "search/samplers/qmc.h"
#include "search/samplers/random.h"
#include "search/samplers/tpe_sampler.h"

namespace chop::search {

const Registry<SamplerInfo>& sampler_registry() {
  // clang-format off
  static const Registry<SamplerInfo> table{{"sampler", "samplers", "chop list samplers"}, {
      // name, aliases, summary, options, multi-objective, supports constraints, factory
      {"random", {}, "independent uniform sampling (log/step aware)", &random_sampler_options(),
       true, false, make_random_sampler},
      {"tpe", {}, "tree-structured Parzen estimator (Optuna 3.x defaults)",
       &tpe_sampler_options(), true, true, make_tpe_sampler},
      {"nsgaii", {"nsga2"}, "NSGA-II genetic algorithm for multi-objective studies",
       &nsgaii_sampler_options(), true, true, make_nsgaii_sampler},
      {"nsgaiii", {"nsga3"}, "NSGA-III (reference-point niching) for many objectives",
       &nsgaiii_sampler_options(), true, true, make_nsgaiii_sampler},
      {"qmc", {}, "quasi-Monte Carlo points (scrambled Sobol or Halton)",
       &qmc_sampler_options(), true, false, make_qmc_sampler},
      {"grid", {"gridsearch"}, "every grid point once in a seeded order, then stop",
       &grid_sampler_options(), true, false, make_grid_sampler},
      {"bruteforce", {"exhaustive"},
       "every configuration of a finite space exactly once, then stop",
       &bruteforce_sampler_options(), true, false, make_bruteforce_sampler},
  }};;
  // clang-format on
  return table;
}

const SamplerInfo* find_sampler(const std::string& name) {
  return sampler_registry().find(name);
}

std::vector<std::string> sampler_names() {
  return sampler_registry().names();
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const Json& options, uint64_t seed,
                                      const config::Locate& locate) {
  const SamplerInfo* info = &sampler_registry().get(name);
  if (!info->factory)
    throw UserError("sampler '" + info->name + "' is not available in this build");
  return info->factory(options, seed, locate);
}

}  // namespace chop::search
