// QMCSampler: scrambled Sobol (Joe-Kuo direction numbers, 53 dimensions) or scrambled Halton
// points over the declared space (or the first finished trial's space, as Optuna). Trial n takes
// point n, so parallel workers never share a point and the sequence does not depend on timing.
#pragma once

#include "config/table_reader.h"

#include <memory>
#include <vector>

#include "search/sampler.h"

namespace chop::search {

/// Low-discrepancy sequences in [0, 1)^dims; scrambling is seeded.
class QmcSequence {
 public:
  enum class Type { kSobol, kHalton };
  QmcSequence(Type type, size_t dims, bool scramble, uint64_t seed);
  /// The point with the given index.
  std::vector<double> point(uint64_t index) const;
  size_t dims() const { return dims_; }
  static size_t max_sobol_dims();

 private:
  Type type_;
  size_t dims_;
  std::vector<std::vector<uint32_t>> directions_;  // Sobol: 32 scrambled direction numbers/dim
  std::vector<uint32_t> shift_;                    // Sobol digital shift
  std::vector<std::vector<std::vector<uint32_t>>> perms_;  // Halton: per dim, per digit position
};

class QmcSampler : public Sampler {
 public:
  QmcSampler(QmcSequence::Type type, bool scramble, uint64_t seed);
  std::string name() const override { return "qmc"; }
  ParamSpace infer_relative_search_space(const StudyView& view, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const StudyView& view, const FrozenTrial& trial,
                                                const ParamSpace& space) override;
  double sample_independent(const StudyView& view, const FrozenTrial& trial,
                            const std::string& param_name, const Distribution& dist) override;

 private:
  QmcSequence::Type type_;
  bool scramble_;
};

/// Its options, documented ([search.strategy.setup.sampler_options]).
const config::TableDoc& qmc_sampler_options();
std::unique_ptr<Sampler> make_qmc_sampler(const Json& options, uint64_t seed,
                                          const config::Locate& locate = {});

}  // namespace chop::search
