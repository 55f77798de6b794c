// Mean softmax cross-entropy of float32 CPU logits [N, C] against int64 labels, on chop's kernel
// (kernels/cross_entropy.h) with its own autograd node: the LibTorch path's training loss, so
// its logit gradients are the same bits as the fused engine's. Other devices and types use
// at::cross_entropy_loss.
#pragma once

#include <ATen/ATen.h>

namespace chop::runtime {

/// The mean cross-entropy (a 0-dim float tensor), differentiable in `logits`. A label outside
/// [0, C) throws UserError naming it.
at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& labels);

}  // namespace chop::runtime
