// Softmax cross-entropy over logit rows, with its gradient and the argmax hits: the training loss
// of both the fused engine and the LibTorch path (runtime/cross_entropy), so their logit
// gradients are the same bits. Mean over the batch, as at::cross_entropy_loss.
#pragma once

#include <cstdint>

#include "kernels/kernels.h"

namespace chop::kernels {

struct LossSums {
  double loss_sum = 0.0;  // sum over rows of -log softmax(row)[label]
  int64_t correct = 0;    // rows whose first maximum is the label
};

/// logits [rows, classes]. Writes dlogits = d(grad_scale * sum of losses)/d(logits) when
/// dlogits is not null. `scratch` holds rows * classes floats (it may be dlogits). A label
/// outside [0, classes) throws UserError naming it.
LossSums softmax_cross_entropy(const KernelTable& kt, const float* logits, const int64_t* labels,
                               int64_t rows, int64_t classes, float grad_scale, float* dlogits,
                               float* scratch);

}  // namespace chop::kernels
