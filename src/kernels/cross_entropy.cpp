// Softmax cross-entropy; see loss.h. Per row: log-sum-exp in double (ATen sums in float; the
// double sum is the exact value ATen's rounds towards), log-probabilities in float.
#include "kernels/cross_entropy.h"

#include <cmath>

#include "core/error.h"

namespace chop::kernels {

LossSums softmax_cross_entropy(const float* logits, const int64_t* labels, int64_t rows,
                               int64_t classes, float grad_scale, float* dlogits) {
  LossSums out;
  const float go = -grad_scale;  // nll's gradient at the label
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = logits + r * classes;
    const int64_t t = labels[r];
    if (t < 0 || t >= classes)
      throw UserError("label " + std::to_string(t) + " is out of range for " +
                      std::to_string(classes) + " classes (row " + std::to_string(r) +
                      " of the batch)");
    int64_t arg = 0;
    float m = row[0];
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > m || (std::isnan(row[c]) && !std::isnan(m))) {
        m = row[c];
        arg = c;
      }
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c) sum += static_cast<double>(std::exp(row[c] - m));
    const float log_sum = static_cast<float>(std::log(sum));
    out.loss_sum -= static_cast<double>((row[t] - m) - log_sum);
    out.correct += arg == t;
    if (!dlogits) continue;
    float* d = dlogits + r * classes;
    for (int64_t c = 0; c < classes; ++c) {
      const float logp = (row[c] - m) - log_sum;
      d[c] = (c == t ? go : 0.0f) - std::exp(logp) * go;
    }
  }
  return out;
}

}  // namespace chop::kernels
