// BruteForceSampler: every configuration of a finite space exactly once, then the study stops.
// The space is the declared one (Study::declare_search_space) or, define-by-run, the one the
// first finished trial used. Configurations are enumerated in mixed-radix order over the
// name-sorted parameters (first name fastest); each trial takes the first configuration that no
// trial in its history (finished, running or planned) holds.
#pragma once

#include "config/table_reader.h"

#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "search/sampler.h"

namespace chop::search {

class BruteForceSampler : public Sampler {
 public:
  explicit BruteForceSampler(uint64_t seed = 0) : Sampler(seed) {}
  std::string name() const override { return "bruteforce"; }
  ParamSpace infer_relative_search_space(const StudyView& view, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const StudyView& view, const FrozenTrial& trial,
                                                const ParamSpace& space) override;
  double sample_independent(const StudyView& view, const FrozenTrial& trial,
                            const std::string& param_name, const Distribution& dist) override;
  bool exhausted(const StudyView& view) const override;
  bool claims_at_ask() const override { return true; }

 private:
  /// Finite space to enumerate (declared, else learned from the first finished trial).
  static ParamSpace space_of(const StudyView& view);
  /// Mixed-radix index of a trial's configuration in `space`, or -1 if it holds another one.
  static int64_t index_of(const FrozenTrial& t, const ParamSpace& space);
  /// Indices held by the view's unfinished tail and not in finished_ (updates finished_).
  std::unordered_set<uint64_t> visited(const StudyView& view, const ParamSpace& space) const;
  mutable std::mutex mu_;
  mutable ParamSpace cached_space_;
  mutable std::unordered_set<uint64_t> finished_;  // indices of the leading finished trials
  mutable size_t prefix_ = 0;                      // view entries folded into finished_
  mutable uint64_t first_free_ = 0;                // smallest index not in finished_
};

/// Its options, documented ([search.strategy.setup.sampler_options]).
const config::TableDoc& bruteforce_sampler_options();
std::unique_ptr<Sampler> make_bruteforce_sampler(const Json& options, uint64_t seed,
                                                 const config::Locate& locate = {});

}  // namespace chop::search
