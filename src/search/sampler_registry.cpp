// The sampler table. To add a sampler: write samplers/<name>.{h,cpp} with a
// make_<name>_sampler(const Json& options, uint64_t seed) factory, include it here and fill
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

const std::vector<SamplerInfo>& sampler_registry() {
  // clang-format off
  static const std::vector<SamplerInfo> table = {
      // name, aliases, summary, options, multi-objective, factory
      {"random", {}, "independent uniform sampling (log/step aware)", "", true,
       make_random_sampler},
      {"tpe", {}, "tree-structured Parzen estimator (Optuna 3.x defaults)",
       "n_startup_trials (10), n_ei_candidates (24), gamma (\"default\" or \"hyperopt\"), "
       "multivariate (false), group (false), constant_liar (\"auto\": acts when n_jobs > 1), "
       "consider_prior (true), prior_weight (1.0), consider_magic_clip (true), "
       "consider_endpoints (false), constraints (false), warn_independent_sampling (true), "
       "exact_density (false: Optuna 3.0-3.4 scoring)", true,
       make_tpe_sampler},
      {"nsgaii", {"nsga2"}, "NSGA-II genetic algorithm for multi-objective studies",
       "population_size (50), mutation_prob (1/n_params), crossover (\"uniform\"), "
       "crossover_prob (0.9), swapping_prob (0.5), constraints (false)", true,
       make_nsgaii_sampler},
      {"nsgaiii", {"nsga3"}, "NSGA-III (reference-point niching) for many objectives",
       "as nsgaii, plus reference_points (Das-Dennis) and dividing_parameter (3)", true,
       make_nsgaiii_sampler},
      {"qmc", {}, "quasi-Monte Carlo points (scrambled Sobol or Halton)",
       "qmc_type (\"sobol\" or \"halton\"), scramble (true)", true, make_qmc_sampler},
      {"grid", {"gridsearch"}, "every grid point once in a seeded order, then stop",
       "search_space ({name = [values...]}; default: the declared space)", true,
       make_grid_sampler},
      {"bruteforce", {"exhaustive"},
       "every configuration of a finite space exactly once, then stop", "", true,
       make_bruteforce_sampler},
  };
  // clang-format on
  return table;
}

std::string normalize_sampler_name(const std::string& name) {
  std::string out;
  for (char c : name)
    if (c != '-' && c != '_' && !std::isspace(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const SamplerInfo* find_sampler(const std::string& name) {
  const std::string n = normalize_sampler_name(name);
  for (const auto& info : sampler_registry()) {
    if (normalize_sampler_name(info.name) == n) return &info;
    for (const auto& a : info.aliases)
      if (normalize_sampler_name(a) == n) return &info;
  }
  return nullptr;
}

std::vector<std::string> sampler_names() {
  std::vector<std::string> out;
  for (const auto& info : sampler_registry()) out.push_back(info.name);
  return out;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const Json& options, uint64_t seed) {
  const SamplerInfo* info = find_sampler(name);
  if (!info)
    throw UserError("unknown sampler '" + name + "'" + did_you_mean(name, sampler_names()) +
                    "; available: " + list_of(sampler_names()));
  if (!info->factory)
    throw UserError("sampler '" + info->name + "' is not available in this build");
  return info->factory(options, seed);
}

}  // namespace chop::search
