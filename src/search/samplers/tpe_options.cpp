// Default gamma and weight schedules of Optuna's TPE; see tpe_options.h.
#include "search/samplers/tpe_options.h"

#include <algorithm>
#include <cmath>

namespace chop::search::samplers {

int default_gamma(int n_trials) {
  return std::min(static_cast<int>(std::ceil(0.1 * n_trials)), 25);
}

int hyperopt_default_gamma(int n_trials) {
  return std::min(static_cast<int>(std::ceil(0.25 * std::sqrt(static_cast<double>(n_trials)))), 25);
}

void default_weights_into(int n, std::vector<double>& out) {
  out.assign(static_cast<size_t>(std::max(n, 0)), 1.0);
  if (n < 25) return;
  // numpy.linspace(1/n, 1, num=n-25): start + i·step, last element pinned to the stop value.
  const int num = n - 25;
  const double start = 1.0 / n;
  if (num == 1) {
    out[0] = start;
    return;
  }
  const double step = (1.0 - start) / (num - 1);
  for (int i = 0; i < num; ++i) out[i] = start + i * step;
  if (num > 1) out[num - 1] = 1.0;
}

std::vector<double> default_weights(int n) {
  std::vector<double> w;
  default_weights_into(n, w);
  return w;
}

}  // namespace chop::search::samplers
