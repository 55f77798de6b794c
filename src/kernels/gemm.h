// The shared matrix product C = A * B (+ bias, or += C) in cache blocks over a per-ISA
// micro-kernel (kernels.h), with A and B read through any strides (x W^T, g^T x and g W of a
// linear layer are all one call). Each element of C is summed over k in order by one thread,
// so the result does not depend on the blocking or on the number of threads.
#pragma once

#include <cstdint>

#include "kernels/kernels.h"

namespace chop::kernels {

struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;  // A(i, l) = a[i * a_rs + l * a_cs]
  int64_t a_rs = 0, a_cs = 0;
  const float* b = nullptr;  // B(l, j) = b[l * b_rs + j * b_cs]
  int64_t b_rs = 0, b_cs = 0;
  float* c = nullptr;  // C(i, j) = c[i * ldc + j]
  int64_t ldc = 0;
  GemmInit init = GemmInit::kZero;
  const float* bias = nullptr;  // n values (kBiasPerColumn) or m values (kBiasPerRow)
  bool relu = false;            // store relu(C): a linear layer with its ReLU fused
  /// All of A (m x k) already packed as gemm() packs it (pack_a_columns): no packing pass. Null:
  /// A is read through a / a_rs / a_cs and packed when that pays.
  const float* a_packed = nullptr;
  /// B's values pass through this integer quantizer as they are packed (B is then always
  /// packed, each block once, before the rows that use it): a linear layer's input quantizer
  /// without a pass of its own. Null: B as it is.
  const IntQuant* b_quant = nullptr;
};

/// Runs tasks [0, n_tasks) on some threads; each task runs exactly once. Null: serially.
struct TaskRunner {
  void* ctx = nullptr;
  void (*run)(void* ctx, int64_t n_tasks, void* task_ctx,
              void (*task)(void* task_ctx, int64_t begin, int64_t end)) = nullptr;
};

/// Floats of scratch gemm() needs for any product up to these sizes (packed blocks of A and B).
int64_t gemm_scratch_floats(const KernelTable& kt, int64_t m, int64_t n, int64_t k);

/// Floats of a packed copy of a whole m x k A (for GemmArgs::a_packed): round_up(m, mr) * k.
int64_t packed_a_floats(const KernelTable& kt, int64_t m, int64_t k);
/// Writes columns [l, l + count) of an m x k A (column c: m contiguous values at columns + c * ld,
/// one batch row of x for the x^T of a weight gradient) where gemm() reads them in a packed copy
/// of the whole of A, with the rows past m of the last panel zero. Filling every column gives
/// what gemm() would pack.
void pack_a_columns(const KernelTable& kt, const float* columns, int64_t ld, int64_t m, int64_t k,
                    int64_t l, int64_t count, float* packed);

/// C = A * B as `g.init` says. `scratch` holds gemm_scratch_floats() floats (64-byte aligned
/// for speed). k == 0 gives the init value (zero, bias or C unchanged).
void gemm(const KernelTable& kt, const GemmArgs& g, float* scratch,
          const TaskRunner* threads = nullptr);

}  // namespace chop::kernels
