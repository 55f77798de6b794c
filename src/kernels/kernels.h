// chop's per-ISA CPU kernel table: the GEMM micro-kernel and its packing, and the elementwise /
// per-channel loops that dominate a training step. One table per instruction set
// (kernels_portable.cpp, kernels_avx2.cpp, kernels_avx512.cpp), chosen at run time. The fused
// engine and the LibTorch path's own autograd functions (runtime/) both run on them, so the two
// paths compute the same bits for linear layers, batch norm, the loss and the optimizer.
//
// Numbers are the same in every table: elementwise code is compiled with -ffp-contract=off (no
// fused multiply-add unless written), reductions run in a fixed lane order, and the GEMM sums
// each output element over k in order with one fused multiply-add per term (the portable
// table calls fmaf). No LibTorch here.
#pragma once

#include <cstdint>

#include "kernels/isa.h"

namespace chop::kernels {

/// How a GEMM tile starts: from zero, from what C holds, or from a bias broadcast along a row
/// (one value per column: linear layers) or along a column (one value per row: convolutions).
enum class GemmInit : int { kZero = 0, kAccumulate = 1, kBiasPerColumn = 2, kBiasPerRow = 3 };

/// Constants of one optimizer update, already rounded to float as ATen's scalar ops round them.
struct AdamConstants {
  float decay_mul;  // adamw: 1 - lr * wd (1: none)
  float l2;         // adam: wd added to the gradient as g + wd * p (0: none)
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float sqrt_bias_correction2, eps;
  float neg_step_size;  // -(lr / bias_correction1)
};
struct SgdConstants {
  float l2;         // g + wd * p (0: none)
  float momentum;   // 0: plain SGD
  bool first_step;  // momentum buffer starts as the gradient
  bool nesterov;
  float neg_lr;
};

/// MASE's integer quantizer's constants (KernelTable::quantize_int's arguments).
struct IntQuant {
  float scale, inv_scale, lo, hi;
};

struct KernelTable {
  Isa isa;
  int mr, nr;  // GEMM tile: mr rows x nr columns of C

  /// Rows [0, mi) x columns [0, nj) of C (row stride ldc; mi <= mr, nj <= nr) op= A * B over
  /// kc terms, with A(i, l) = a[i * a_rs + l * a_cs] (a packed panel: a_rs 1, a_cs mr) and
  /// B(l, j) = b[l * ldb + j] (a packed panel: ldb nr). Nothing outside the mi x nj corner of C,
  /// the first mi rows of A or the first nj columns of B is read or written. `bias` holds nj
  /// (per column) or mi (per row) values for the bias inits. `relu`: store relu(C) (the relu
  /// kernel's rule), so a linear layer followed by a ReLU writes its activation in one pass.
  void (*gemm_tile)(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b,
                    int64_t ldb, float* c, int64_t ldc, int mi, int nj, GemmInit init,
                    const float* bias, bool relu);
  /// Packs rows [0, m) x columns [0, k) of A(i, l) = a[i * rs + l * cs] into ceil(m / mr)
  /// panels of k x mr (rows past m are zero).
  void (*pack_a)(const float* a, int64_t rs, int64_t cs, int64_t m, int64_t k, float* dst);
  /// Packs B(l, j) = b[l * rs + j * cs], k x n, into ceil(n / nr) panels of k x nr.
  void (*pack_b)(const float* b, int64_t rs, int64_t cs, int64_t k, int64_t n, float* dst);
  /// pack_b with each value passed through quantize_int(q) on the way (null q: pack_b): a
  /// linear layer's input quantizer fused into the copy its product makes anyway.
  void (*pack_b_quantized)(const float* b, int64_t rs, int64_t cs, int64_t k, int64_t n, float* dst,
                           const IntQuant* q);

  // ---- elementwise (x and y may alias where noted) -----------------------------------------
  /// MASE's integer quantizer: clamp(round_half_even(x * scale), lo, hi) * inv_scale (x == y ok).
  void (*quantize_int)(const float* x, float* y, int64_t n, float scale, float inv_scale, float lo,
                       float hi);
  /// y = max(x, 0) with NaN and -0 kept as ATen's relu keeps them (x == y ok).
  void (*relu)(const float* x, float* y, int64_t n);
  /// dx (=, or += when accumulate) dy where y > 0, else 0.
  void (*relu_backward)(const float* y, const float* dy, float* dx, int64_t n, bool accumulate);
  /// y = min(max(x, lo), hi) (hardtanh, relu6).
  void (*clamp)(const float* x, float* y, int64_t n, float lo, float hi);
  /// dx (=|+=) dy where lo < x < hi, else 0 (ATen's hardtanh_backward).
  void (*clamp_backward)(const float* x, const float* dy, float* dx, int64_t n, float lo, float hi,
                         bool accumulate);
  /// x = exp(x) in place: Cephes' single-precision exp (range reduction by ln 2 in two parts,
  /// a degree-5 polynomial; within 2 ulp of the true value), NaN kept, 0 below -87.3,
  /// overflow above 88.37.
  void (*exp_inplace)(float* x, int64_t n);
  /// y = a + b.
  void (*add)(const float* a, const float* b, float* y, int64_t n);
  /// dst += src.
  void (*accumulate)(const float* src, float* dst, int64_t n);

  // ---- per-channel loops over x[N][C][P] (P = 1 for [N, C]) ---------------------------------
  /// sum[c] = sum over n, p of x (in double).
  void (*channel_sum)(const float* x, int64_t n, int64_t c, int64_t p, double* sum);
  /// out[c] = sum over n, p of (x - mean[c])^2 (in double).
  void (*channel_centered_square_sum)(const float* x, int64_t n, int64_t c, int64_t p,
                                      const double* mean, double* out);
  /// sum_dy[c] = sum of dy; dot[c] = sum of (x - mean[c]) * dy (in double). `relu` (null: none)
  /// = {alpha, beta} of a batch norm whose output went through a ReLU: dy counts only where
  /// x * alpha[c] + beta[c] > 0 (relu_backward's mask, recomputed from x instead of read).
  void (*channel_grad_sums)(const float* x, const float* dy, int64_t n, int64_t c, int64_t p,
                            const double* mean, double* sum_dy, double* dot,
                            const float* const* relu);
  /// y = x * alpha[c] + beta[c] (two roundings, as ATen's batch-norm transform); with `relu`,
  /// relu(y) by the relu kernel's rule (a batch norm with its ReLU fused).
  void (*channel_affine)(const float* x, float* y, int64_t n, int64_t c, int64_t p,
                         const float* alpha, const float* beta, bool relu);
  /// Batch-norm input gradient (training), in ATen's order: dx (=|+=) ((dy - grad_mean[c]) -
  /// (x - mean[c]) * k[c]) * invstd[c] * weight[c], with dy masked as channel_grad_sums masks it.
  void (*bn_input_grad)(const float* x, const float* dy, float* dx, int64_t n, int64_t c, int64_t p,
                        const float* mean, const float* k, const float* grad_mean,
                        const float* invstd, const float* weight, bool accumulate,
                        const float* const* relu);
  /// out[j] (=|+=) sum over rows of g[r][j] (bias gradient of a linear layer), summed in double
  /// in `scratch` (cols values).
  void (*column_sum)(const float* g, int64_t rows, int64_t cols, float* out, double* scratch,
                     bool accumulate);
  /// relu_backward in place (g = 0 where y <= 0) and column_sum of the result (out =, not +=):
  /// the bias gradient of a linear layer whose ReLU it applied itself, in one pass.
  void (*relu_mask_column_sum)(const float* y, float* g, int64_t rows, int64_t cols, float* out,
                               double* scratch);

  // ---- optimizers (flat buffers) ------------------------------------------------------------
  void (*adam)(float* p, float* g, float* m, float* v, int64_t n, const AdamConstants& k);
  void (*sgd)(float* p, float* g, float* buf, int64_t n, const SgdConstants& k);
};

/// The table for `isa` (which must be supported: isa_supported()).
const KernelTable& kernel_table(Isa isa);

// Per-ISA tables (defined in their own translation units, compiled with their target flags).
const KernelTable& portable_kernels();
const KernelTable& avx2_kernels();
const KernelTable& avx512_kernels();

}  // namespace chop::kernels
