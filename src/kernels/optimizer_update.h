// One optimizer update over flat float buffers: MASE's adam / adamw / sgd (Nesterov momentum),
// element for element the sequence of ATen ops torch.optim (1.13) runs, with the scalars
// rounded to float as ATen rounds them. Shared by train::FlatOptimizer (the LibTorch path) and
// the fused engine, so both update parameters to the same bits.
#pragma once

#include <cstdint>

#include "kernels/kernels.h"

namespace chop::kernels {

struct AdamUpdate {
  double lr = 1e-3, weight_decay = 0.0, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool decoupled = false;  // adamw: p *= 1 - lr * wd; adam: g += wd * p
  int64_t step = 1;        // 1-based, for the bias corrections
};

struct SgdUpdate {
  double lr = 1e-3, weight_decay = 0.0, momentum = 0.9;
  bool nesterov = true;
  int64_t step = 1;  // step 1 starts the momentum buffer from the gradient
};

/// g may be modified (as the ATen sequence modifies it in place).
void adam_update(const KernelTable& kt, float* p, float* g, float* m, float* v, int64_t n,
                 const AdamUpdate& u);
void sgd_update(const KernelTable& kt, float* p, float* g, float* momentum_buffer, int64_t n,
                const SgdUpdate& u);

}  // namespace chop::kernels
