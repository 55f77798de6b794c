// Shared sampling transforms (Optuna's _SearchSpaceTransform semantics).
#include "search/sampler.h"

#include <cmath>

#include "core/error.h"

namespace chop::search {

double from_unit(const Distribution& d, double u) {
  if (d.is_categorical()) {
    const double n = static_cast<double>(d.choices().size());
    return std::min(std::floor(u * n), n - 1.0);
  }
  if (d.single()) return d.low();
  const double half = d.step() > 0 ? d.step() / 2 : 0.0;
  if (d.log()) {
    // int log: cells [v-0.5, v+0.5] in ln-space; float log: plain ln-space.
    const double lo = std::log(d.is_int() ? d.low() - 0.5 : d.low());
    const double hi = std::log(d.is_int() ? d.high() + 0.5 : d.high());
    const double x = std::exp(lo + u * (hi - lo));
    return d.snap(d.is_int() ? std::round(x) : x);
  }
  const double lo = d.low() - half, hi = d.high() + half;
  double x = lo + u * (hi - lo);
  if (d.step() > 0) x = std::floor((x - d.low()) / d.step() + 0.5) * d.step() + d.low();
  return d.snap(x);
}

double sample_uniform(const Distribution& d, Rng& rng) {
  return from_unit(d, rng.uniform());
}

void record_constraints(const ConstraintsFunc& func, FrozenTrial& trial) {
  if (!func || (trial.state != TrialState::kComplete && trial.state != TrialState::kPruned)) return;
  const std::vector<double> c = func(trial);
  for (double v : c)
    if (std::isnan(v))
      throw UserError("constraint values must not be NaN (trial " + std::to_string(trial.number) +
                      ")");
  trial.system_attrs["constraints"] = c;
}

}  // namespace chop::search
