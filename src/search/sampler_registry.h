// Registry of samplers: name -> factory(options JSON, seed). Used by config parsing, --help and
// `chop list samplers`. Matching ignores case, '-' and '_' (bruteforce = brute_force =
// brute-force = BruteForce). Add a sampler with one table entry in sampler_registry.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "search/distribution.h"
#include "search/sampler.h"

namespace chop::search {

using SamplerFactory = std::function<std::unique_ptr<Sampler>(const Json& options, uint64_t seed)>;

struct SamplerInfo {
  std::string name;                  // canonical name
  std::vector<std::string> aliases;  // extra accepted spellings (after normalisation)
  std::string summary;               // one line for --help / chop list samplers
  std::string options_help;          // "key (default): meaning; ..."
  bool multi_objective = false;      // handles several objectives natively
  SamplerFactory factory;            // empty: not available in this build
};

/// The table, in display order.
const std::vector<SamplerInfo>& sampler_registry();
/// Lower-cases and drops '-', '_' and spaces: "Brute-Force" -> "bruteforce".
std::string normalize_sampler_name(const std::string& name);
/// nullptr when unknown.
const SamplerInfo* find_sampler(const std::string& name);
/// Canonical names, in display order.
std::vector<std::string> sampler_names();
/// Builds a sampler; UserError for an unknown name (with did-you-mean and the list of names) or
/// one not available in this build; ConfigError for bad options.
std::unique_ptr<Sampler> make_sampler(const std::string& name, const Json& options = Json::object(),
                                      uint64_t seed = 0);

}  // namespace chop::search
