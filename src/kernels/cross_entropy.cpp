// Softmax cross-entropy; see cross_entropy.h. Per row: the maximum m, e = exp(x - m) once for
// the whole batch (the table's vector exp), log-sum-exp with the sum in double, then
// p = e / sum for the gradient (p - onehot) * grad_scale.
#include "kernels/cross_entropy.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace chop::kernels {

LossSums softmax_cross_entropy(const KernelTable& kt, const float* logits, const int64_t* labels,
                               int64_t rows, int64_t classes, float grad_scale, float* dlogits,
                               float* scratch) {
  LossSums out;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t t = labels[r];
    if (t < 0 || t >= classes)
      throw UserError("label " + std::to_string(t) + " is out of range for " +
                      std::to_string(classes) + " classes (row " + std::to_string(r) +
                      " of the batch)");
    const float* row = logits + r * classes;
    int64_t arg = 0;
    float m = row[0];
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > m || (std::isnan(row[c]) && !std::isnan(m))) {  // first maximum; NaN wins
        m = row[c];
        arg = c;
      }
    out.correct += arg == t;
    out.loss_sum -= static_cast<double>(row[t] - m);  // + log(sum) below
    float* e = scratch + r * classes;
    for (int64_t c = 0; c < classes; ++c) e[c] = row[c] - m;
  }
  kt.exp_inplace(scratch, rows * classes);
  const float go = -grad_scale;  // nll's gradient at the label
  for (int64_t r = 0; r < rows; ++r) {
    const float* e = scratch + r * classes;
    const int64_t t = labels[r];
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c) sum += static_cast<double>(e[c]);
    out.loss_sum += std::log(sum);  // -log softmax(row)[t] = log(sum) - (row[t] - max)
    if (!dlogits) continue;
    const float inv = static_cast<float>(1.0 / sum);
    float* d = dlogits + r * classes;
    for (int64_t c = 0; c < classes; ++c) {
      const float p = e[c] * inv;  // e may be d itself: read before writing
      d[c] = (c == t ? go : 0.0f) - p * go;
    }
  }
  return out;
}

}  // namespace chop::kernels
