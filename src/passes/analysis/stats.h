// MASE's statistical profiler stats (statistical_profiler/stat.py): record, variance_online,
// variance_precise, range_n_sigma, range_min_max, range_quantile, abs_mean. Each is fed one
// sample at a time (an activation batch row kept as [1, ...], or a whole weight) and exports
// MASE's dict of lists, with "NA" where MASE gives up (fewer than 2 values).
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "passes/pass.h"

namespace chop::passes {

class Stat {
 public:
  virtual ~Stat() = default;
  virtual void update_sample(const at::Tensor& sample) = 0;
  /// Feeds the rows of `batch` one by one as [1, ...] samples (MASE's batch[[i], ...]); stats
  /// whose result does not depend on the split override it with a vectorised version.
  virtual void update_batch(const at::Tensor& batch);
  /// MASE's export(): {field: value or list}, "NA" (a string) where undefined.
  virtual Json compute() = 0;
  const std::string& name() const { return name_; }

 protected:
  explicit Stat(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

/// Builds stat `name` from its keyword table (device, dims, abs, quantile, num_sigma,
/// var_mode as MASE). ConfigError at `where` names an unknown stat or keyword.
std::unique_ptr<Stat> make_stat(const std::string& name, const Json& kwargs,
                                const std::string& where);

const std::vector<std::string>& stat_names();

/// A tensor as nested lists of doubles (0-d: a number), as Tensor.tolist().
Json tensor_to_json(const at::Tensor& t);

}  // namespace chop::passes
