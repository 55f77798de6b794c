// linear_cpu: see linear_cpu.h. All three products of a linear layer (forward, grad_x, grad_W)
// map to one kernel C[M, n] = A[M, K] * B[K, n] with B row-major and A read with any strides,
// computed in 4-row x 16-column register blocks (8 AVX2 accumulators, FMA over K).
#include "runtime/linear_cpu.h"

#include <array>

#include <ATen/Parallel.h>
#include <immintrin.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstring>
#include <vector>

#include "core/error.h"

namespace chop::runtime {
namespace {

// Column mask for the last partial 8-wide block: lanes < n are active.
__attribute__((target("avx2,fma"))) inline __m256i tail_mask(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

/// C[M, n] (row stride ldc) = A * B (+ bias per column when bias != null), where
/// A(i, k) = a[i * a_row + k * a_col] and B(k, j) = b[k * ldb + j].
__attribute__((target("avx2,fma"))) void gemm(int64_t M, int64_t n, int64_t K, const float* a,
                                              int64_t a_row, int64_t a_col, const float* b,
                                              int64_t ldb, const float* bias, float* c,
                                              int64_t ldc) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m256 bias0 = bias ? _mm256_loadu_ps(bias + j) : _mm256_setzero_ps();
    const __m256 bias1 = bias ? _mm256_loadu_ps(bias + j + 8) : _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 4 <= M; i += 4) {
      __m256 c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1;
      __m256 c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
      const float* a0 = a + i * a_row;
      for (int64_t k = 0; k < K; ++k) {
        const float* bk = b + k * ldb + j;
        const __m256 b0 = _mm256_loadu_ps(bk), b1 = _mm256_loadu_ps(bk + 8);
        const float* ak = a0 + k * a_col;
        __m256 x = _mm256_broadcast_ss(ak);
        c00 = _mm256_fmadd_ps(x, b0, c00);
        c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(ak + a_row);
        c10 = _mm256_fmadd_ps(x, b0, c10);
        c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(ak + 2 * a_row);
        c20 = _mm256_fmadd_ps(x, b0, c20);
        c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(ak + 3 * a_row);
        c30 = _mm256_fmadd_ps(x, b0, c30);
        c31 = _mm256_fmadd_ps(x, b1, c31);
      }
      float* ci = c + i * ldc + j;
      _mm256_storeu_ps(ci, c00);
      _mm256_storeu_ps(ci + 8, c01);
      _mm256_storeu_ps(ci + ldc, c10);
      _mm256_storeu_ps(ci + ldc + 8, c11);
      _mm256_storeu_ps(ci + 2 * ldc, c20);
      _mm256_storeu_ps(ci + 2 * ldc + 8, c21);
      _mm256_storeu_ps(ci + 3 * ldc, c30);
      _mm256_storeu_ps(ci + 3 * ldc + 8, c31);
    }
    for (; i < M; ++i) {
      __m256 c0 = bias0, c1 = bias1;
      for (int64_t k = 0; k < K; ++k) {
        const __m256 x = _mm256_broadcast_ss(a + i * a_row + k * a_col);
        c0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b + k * ldb + j), c0);
        c1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(b + k * ldb + j + 8), c1);
      }
      _mm256_storeu_ps(c + i * ldc + j, c0);
      _mm256_storeu_ps(c + i * ldc + j + 8, c1);
    }
  }
  // Remaining columns in (masked) 8-wide blocks.
  for (; j < n; j += 8) {
    const int64_t w = std::min<int64_t>(8, n - j);
    const __m256i mask = tail_mask(w);
    const __m256 bias0 = bias ? _mm256_maskload_ps(bias + j, mask) : _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 4 <= M; i += 4) {
      __m256 c0 = bias0, c1 = bias0, c2 = bias0, c3 = bias0;
      const float* a0 = a + i * a_row;
      for (int64_t k = 0; k < K; ++k) {
        const __m256 b0 = _mm256_maskload_ps(b + k * ldb + j, mask);
        const float* ak = a0 + k * a_col;
        c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak), b0, c0);
        c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + a_row), b0, c1);
        c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 2 * a_row), b0, c2);
        c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(ak + 3 * a_row), b0, c3);
      }
      float* ci = c + i * ldc + j;
      _mm256_maskstore_ps(ci, mask, c0);
      _mm256_maskstore_ps(ci + ldc, mask, c1);
      _mm256_maskstore_ps(ci + 2 * ldc, mask, c2);
      _mm256_maskstore_ps(ci + 3 * ldc, mask, c3);
    }
    for (; i < M; ++i) {
      __m256 c0 = bias0;
      for (int64_t k = 0; k < K; ++k)
        c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + i * a_row + k * a_col),
                             _mm256_maskload_ps(b + k * ldb + j, mask), c0);
      _mm256_maskstore_ps(c + i * ldc + j, mask, c0);
    }
  }
}

/// gemm() with the rows of C (and A) split over LibTorch's intra-op threads. Each element of C
/// is summed by one thread in a fixed order, so results do not depend on the thread count.
void gemm_rows(int64_t M, int64_t n, int64_t K, const float* a, int64_t a_row, int64_t a_col,
               const float* b, int64_t ldb, const float* bias, float* c, int64_t ldc) {
  const int64_t work_per_row = std::max<int64_t>(1, n * K);
  const int64_t grain = std::max<int64_t>(4, (int64_t{1} << 16) / work_per_row / 4 * 4);
  at::parallel_for(0, M, grain, [&](int64_t begin, int64_t end) {
    gemm(end - begin, n, K, a + begin * a_row, a_row, a_col, b, ldb, bias, c + begin * ldc, ldc);
  });
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// W^T [in, out] (B of the forward product) for a contiguous w. The last few small weights'
// transposes are kept per thread while the tensor is unchanged (same object, same in-place
// version): evaluation batches reuse them instead of copying the weight on every call.
at::Tensor transposed(const at::Tensor& w) {
  constexpr int64_t kMaxCachedElements = int64_t{1} << 16;
  if (w.numel() > kMaxCachedElements) return w.t().contiguous();
  struct Entry {
    at::Tensor source;
    uint32_t version = 0;
    at::Tensor value;
  };
  thread_local std::array<Entry, 8> cache;
  thread_local size_t next = 0;
  for (const auto& e : cache)
    if (e.source.defined() && e.source.is_same(w) && e.version == w._version()) return e.value;
  Entry& e = cache[next++ % cache.size()];
  e.source = w;
  e.version = w._version();
  e.value = w.t().contiguous();
  return e.value;
}

// y = x W^T + b for contiguous x and w; b may be undefined (sums start from 0).
at::Tensor linear_forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b_in) {
  const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
  const at::Tensor wt = transposed(w);
  at::Tensor b = b_in.defined() ? b_in.contiguous() : at::Tensor();
  at::Tensor y = at::empty({n, out}, x.options().requires_grad(false));
  gemm_rows(n, out, in, x.data_ptr<float>(), in, 1, wt.data_ptr<float>(), out,
            b.defined() ? b.data_ptr<float>() : nullptr, y.data_ptr<float>(), out);
  return y;
}

struct LinearFunction : public torch::autograd::Function<LinearFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& w_in,
                            const at::Tensor& b_in) {
    at::Tensor x = x_in.contiguous(), w = w_in.contiguous();
    ctx->save_for_backward({x, w});
    return linear_forward(x, w, b_in);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    at::Tensor g = grads[0].contiguous();
    const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
    at::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) {  // [n, in] = g [n, out] * W [out, in]
      gx = at::empty({n, in}, g.options());
      gemm_rows(n, in, out, g.data_ptr<float>(), out, 1, w.data_ptr<float>(), in, nullptr,
                gx.data_ptr<float>(), in);
    }
    if (ctx->needs_input_grad(1)) {  // [out, in] = g^T [out, n] * x [n, in]
      gw = at::empty({out, in}, g.options());
      gemm_rows(out, in, n, g.data_ptr<float>(), 1, out, x.data_ptr<float>(), in, nullptr,
                gw.data_ptr<float>(), in);
    }
    if (ctx->needs_input_grad(2)) gb = g.sum(0);
    return {gx, gw, gb};
  }
};

}  // namespace

bool linear_cpu_available() {
  static const bool ok = [] {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
  }();
  return ok;
}

at::Tensor linear_cpu(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  CHOP_ASSERT(linear_cpu_available(), "linear_cpu needs AVX2 and FMA");
  CHOP_ASSERT(x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1) &&
                  x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat &&
                  x.device().is_cpu() && w.device().is_cpu() &&
                  (!b.defined() ||
                   (b.dim() == 1 && b.size(0) == w.size(0) && b.scalar_type() == at::kFloat)),
              "linear_cpu: unsupported operands");
  // Without gradients (evaluation, post-training quantization) the autograd node is only cost.
  const bool needs_grad = at::GradMode::is_enabled() &&
                          (x.requires_grad() || w.requires_grad() ||
                           (b.defined() && b.requires_grad()));
  if (!needs_grad) return linear_forward(x.contiguous(), w.contiguous(), b);
  // LibTorch 1.13's custom functions cannot take undefined inputs: a bias-free layer gets zeros
  // (the kernel then starts its sums from 0, exactly as without a bias).
  return LinearFunction::apply(
      x, w, b.defined() ? b : at::zeros({w.size(0)}, w.options().requires_grad(false)));
}

}  // namespace chop::runtime
