// Registry of samplers: name -> factory(options JSON, seed). Used by config parsing, --help and
// `chop list samplers`. Matching ignores case, '-' and '_' (bruteforce = brute_force =
// brute-force = BruteForce). Add a sampler with one table entry in sampler_registry.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/table_reader.h"
#include "core/registry.h"
#include "search/distribution.h"
#include "search/sampler.h"

namespace chop::search {

using SamplerFactory = std::function<std::unique_ptr<Sampler>(const Json& options, uint64_t seed,
                                                              const config::Locate& locate)>;

struct SamplerInfo {
  std::string name;                  // canonical name
  std::vector<std::string> aliases;  // extra accepted spellings (after normalisation)
  std::string summary;               // one line for --help / chop list samplers
  const config::TableDoc* options = nullptr;  // its documented options
  bool multi_objective = false;      // handles several objectives natively
  /// Ranks infeasible trials last from each trial's "constraints" system attr (Optuna's
  /// constraints_func); the strategy turns it on when the search has hardware budgets.
  bool supports_constraints = false;
  SamplerFactory factory;  // empty: not available in this build
};

/// The table, in display order.
const Registry<SamplerInfo>& sampler_registry();
/// nullptr when unknown (registry spelling rule: case, '-', '_' and spaces do not matter).
const SamplerInfo* find_sampler(const std::string& name);
/// Canonical names, in display order.
std::vector<std::string> sampler_names();
/// Builds a sampler; UserError for an unknown name (with did-you-mean and the list of names) or
/// one not available in this build; ConfigError for bad options.
/// `locate` places option keys in the config file (null: the documented table path).
std::unique_ptr<Sampler> make_sampler(const std::string& name, const Json& options = Json::object(),
                                      uint64_t seed = 0, const config::Locate& locate = {});

}  // namespace chop::search
