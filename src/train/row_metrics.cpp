// Fused cross-entropy and argmax hits over float logits rows; see row_metrics.h. The SIMD path
// takes four rows per step (one row per lane) and keeps every sum in the reference's order.
#include "train/row_metrics.h"

#include <cmath>
#include <memory>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CHOP_ROW_METRICS_AVX2 1
#endif

namespace chop::train {
namespace {

// Logit (r, c) of strided logits is p[r * rs + c * cs]: {classes, 1} row-major, {1, ld}
// class-major (an engine's output, see fused_class_major_metrics).
struct Strides {
  int64_t rs, cs;
};

#if defined(__SSE2__)
// exp(x) for x <= 0 (shifted logits), four lanes: Cephes' expf (range reduction by ln 2 in two
// parts, degree-5 polynomial; relative error ~1e-7, as libm's expf within a few ulp). Inputs
// below -87.3 give about 0; NaN stays NaN. Every step is per lane (no FMA: the baseline x86-64
// target has none, so the compiler cannot contract), so a value's result does not depend on its
// neighbours — which lets the row-per-lane path below match the reference bit for bit.
inline __m128 exp4(__m128 x) {
  const __m128 lo = _mm_set1_ps(-87.3365f), hi = _mm_set1_ps(88.3762626647949f);
  const __m128 log2e = _mm_set1_ps(1.44269504088896341f), half = _mm_set1_ps(0.5f);
  const __m128 one = _mm_set1_ps(1.0f);
  const __m128 c1 = _mm_set1_ps(0.693359375f), c2 = _mm_set1_ps(-2.12194440e-4f);
  const __m128 p0 = _mm_set1_ps(1.9875691500e-4f), p1 = _mm_set1_ps(1.3981999507e-3f);
  const __m128 p2 = _mm_set1_ps(8.3334519073e-3f), p3 = _mm_set1_ps(4.1665795894e-2f);
  const __m128 p4 = _mm_set1_ps(1.6666665459e-1f), p5 = _mm_set1_ps(5.0000001201e-1f);
  const __m128 is_nan = _mm_cmpunord_ps(x, x);
  __m128 v = _mm_min_ps(_mm_max_ps(x, lo), hi);
  // n = floor(v * log2(e) + 0.5)
  const __m128 fx = _mm_add_ps(_mm_mul_ps(v, log2e), half);
  __m128 t = _mm_cvtepi32_ps(_mm_cvttps_epi32(fx));
  t = _mm_sub_ps(t, _mm_and_ps(_mm_cmpgt_ps(t, fx), one));
  v = _mm_sub_ps(_mm_sub_ps(v, _mm_mul_ps(t, c1)), _mm_mul_ps(t, c2));
  const __m128 z = _mm_mul_ps(v, v);
  __m128 y = _mm_add_ps(_mm_mul_ps(p0, v), p1);
  y = _mm_add_ps(_mm_mul_ps(y, v), p2);
  y = _mm_add_ps(_mm_mul_ps(y, v), p3);
  y = _mm_add_ps(_mm_mul_ps(y, v), p4);
  y = _mm_add_ps(_mm_mul_ps(y, v), p5);
  y = _mm_add_ps(_mm_add_ps(_mm_mul_ps(y, z), v), one);
  const __m128i exponent =
      _mm_slli_epi32(_mm_add_epi32(_mm_cvttps_epi32(t), _mm_set1_epi32(127)), 23);
  y = _mm_mul_ps(y, _mm_castsi128_ps(exponent));
  return _mm_or_ps(_mm_andnot_ps(is_nan, y), _mm_and_ps(is_nan, x));
}

// Column `c` of four consecutive rows from q (row r's logits): lane j = row r + j. A plain load
// where the rows are adjacent (class-major logits), a gather of four otherwise.
inline __m128 column4(const float* q, Strides s, int64_t c) {
  const float* p = q + c * s.cs;
  if (s.rs == 1) return _mm_loadu_ps(p);
  return _mm_set_ps(p[3 * s.rs], p[2 * s.rs], p[s.rs], p[0]);
}
#endif

#if defined(CHOP_ROW_METRICS_AVX2)
// exp4 on eight lanes for x <= 0 or NaN (AVX2 without FMA: the same per-lane operations, so
// the same bits), in fewer of them: the upper clamp is left out (a no-op for x <= 0, and NaN
// became the lower bound at the max already, as in exp4), and floor is one rounding
// instruction instead of exp4's truncate-and-correct (the same value: fx lies in [-126, 1]).
__attribute__((target("avx2"))) inline __m256 exp8(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3365f);
  const __m256 log2e = _mm256_set1_ps(1.44269504088896341f), half = _mm256_set1_ps(0.5f);
  const __m256 c1 = _mm256_set1_ps(0.693359375f), c2 = _mm256_set1_ps(-2.12194440e-4f);
  const __m256 p0 = _mm256_set1_ps(1.9875691500e-4f), p1 = _mm256_set1_ps(1.3981999507e-3f);
  const __m256 p2 = _mm256_set1_ps(8.3334519073e-3f), p3 = _mm256_set1_ps(4.1665795894e-2f);
  const __m256 p4 = _mm256_set1_ps(1.6666665459e-1f), p5 = _mm256_set1_ps(5.0000001201e-1f);
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 is_nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  __m256 v = _mm256_max_ps(x, lo);
  const __m256 fx = _mm256_add_ps(_mm256_mul_ps(v, log2e), half);
  const __m256 t = _mm256_floor_ps(fx);
  v = _mm256_sub_ps(_mm256_sub_ps(v, _mm256_mul_ps(t, c1)), _mm256_mul_ps(t, c2));
  const __m256 z = _mm256_mul_ps(v, v);
  __m256 y = _mm256_add_ps(_mm256_mul_ps(p0, v), p1);
  y = _mm256_add_ps(_mm256_mul_ps(y, v), p2);
  y = _mm256_add_ps(_mm256_mul_ps(y, v), p3);
  y = _mm256_add_ps(_mm256_mul_ps(y, v), p4);
  y = _mm256_add_ps(_mm256_mul_ps(y, v), p5);
  y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(y, z), v), one);
  const __m256i exponent =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(t), _mm256_set1_epi32(127)), 23);
  y = _mm256_mul_ps(y, _mm256_castsi256_ps(exponent));
  return _mm256_or_ps(_mm256_andnot_ps(is_nan, y), _mm256_and_ps(is_nan, x));
}

__attribute__((target("avx2"))) inline __m256 column8(const float* q, Strides s, int64_t c) {
  const float* p = q + c * s.cs;
  if (s.rs == 1) return _mm256_loadu_ps(p);
  return _mm256_set_ps(p[7 * s.rs], p[6 * s.rs], p[5 * s.rs], p[4 * s.rs], p[3 * s.rs], p[2 * s.rs],
                       p[s.rs], p[0]);
}

// Rows in groups of eight (one per lane) while eight remain: each row's max (first maximum),
// argmax and sum of exps in double, classes in order; the per-row terms in `maxes`, `args`,
// `sums` (8 each) for the caller to chain in row order. Up to kHeldColumns classes, each column
// is gathered once and kept for both passes (the gathers were half of this function's time).
constexpr int64_t kHeldColumns = 16;

// A function, not a lambda in rows8: clang does not give a lambda its enclosing function's
// target("avx2"), and then refuses its __m256 return.
__attribute__((target("avx2"))) inline __m256 held_or_gathered(const __m256* held, const float* q,
                                                               Strides s, int64_t c) {
  return held ? held[c] : column8(q, s, c);
}

__attribute__((target("avx2"))) void rows8(const float* q, Strides s, int64_t classes, float* maxes,
                                           int32_t* args, double* sums) {
  __m256 held_columns[kHeldColumns];
  const __m256* held = nullptr;  // null: gather each column where it is used
  if (classes <= kHeldColumns) {
    for (int64_t c = 0; c < classes; ++c) held_columns[c] = column8(q, s, c);
    held = held_columns;
  }
  __m256 m = held_or_gathered(held, q, s, 0);
  __m256 arg = _mm256_setzero_ps();  // int32 lanes, blended as floats
  for (int64_t c = 1; c < classes; ++c) {
    const __m256 v = held_or_gathered(held, q, s, c);
    const __m256 gt = _mm256_cmp_ps(v, m, _CMP_GT_OS);
    m = _mm256_blendv_ps(m, v, gt);
    arg = _mm256_blendv_ps(arg, _mm256_castsi256_ps(_mm256_set1_epi32(static_cast<int>(c))), gt);
  }
  __m256d sum0 = _mm256_setzero_pd(), sum1 = _mm256_setzero_pd();
  for (int64_t c = 0; c < classes; ++c) {
    const __m256 e = exp8(_mm256_sub_ps(held_or_gathered(held, q, s, c), m));
    sum0 = _mm256_add_pd(sum0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    sum1 = _mm256_add_pd(sum1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  _mm256_storeu_ps(maxes, m);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(args), _mm256_castps_si256(arg));
  _mm256_storeu_pd(sums, sum0);
  _mm256_storeu_pd(sums + 4, sum1);
}

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

// exp_in_place's treatment of element `index` of a run whose first `n_lanes` elements went
// through exp4 and the rest through libm.
inline float exp_at(float x, int64_t index, int64_t n_lanes) {
#if defined(__SSE2__)
  if (index < n_lanes) return _mm_cvtss_f32(exp4(_mm_set1_ps(x)));
#else
  (void)index;
  (void)n_lanes;
#endif
  return std::exp(x);
}

// exp(x) in place for x <= 0, four lanes at a time, libm for the last n % 4.
void exp_in_place(float* x, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, exp4(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) x[i] = std::exp(x[i]);
}

// The reference's running product of row sums (each in [1, classes]; one log per run, and one
// whenever it passes 1e200), as a chain of its own: the logs are added to the loss after every
// row's (max - target) term, in the order they were taken.
struct SumsChain {
  double sums = 1.0;
  std::vector<double> logs;
  bool add(double sum) {
    if (!(sum >= 1.0) || std::isinf(sum)) return false;  // a NaN or infinite logit
    sums *= sum;
    if (sums > 1e200) {
      logs.push_back(std::log(sums));
      sums = 1.0;
    }
    return true;
  }
};

// The reference over strided logits (see Strides): one row at a time, then one exp pass over
// the shifted values in row-major order, as rows_metrics_reference is specified.
bool reference(const float* p, Strides s, const int64_t* label, int64_t rows, int64_t classes,
               double& loss_sum, int64_t& correct) {
  // logit - row maximum; every element is written below, so no zero-fill
  std::unique_ptr<float[]> shifted(new float[static_cast<size_t>(rows * classes)]);
  double loss = 0.0;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = p + r * s.rs;
    const int64_t target = label[r];
    if (target < 0 || target >= classes) return false;
    int64_t arg = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c * s.cs] > row[arg * s.cs]) arg = c;  // first maximum, as at::argmax (NaN: below)
    const float m = row[arg * s.cs];
    float* out = shifted.get() + r * classes;
    for (int64_t c = 0; c < classes; ++c) out[c] = row[c * s.cs] - m;
    loss += static_cast<double>(m) - static_cast<double>(row[target * s.cs]);
    hits += arg == target;
  }
  exp_in_place(shifted.get(), rows * classes);
  double sums = 1.0;
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0.0;  // terms in (0, 1], summed in double
    for (int64_t c = 0; c < classes; ++c) sum += shifted[static_cast<size_t>(r * classes + c)];
    if (!(sum >= 1.0) || std::isinf(sum)) return false;
    sums *= sum;
    if (sums > 1e200) {
      loss += std::log(sums);
      sums = 1.0;
    }
  }
  loss_sum += loss + std::log(sums);
  correct += hits;
  return true;
}

bool fused(const float* p, Strides s, const int64_t* label, int64_t rows, int64_t classes,
           double& loss_sum, int64_t& correct) {
#if !defined(__SSE2__)
  return reference(p, s, label, rows, classes, loss_sum, correct);
#else
  for (int64_t r = 0; r < rows; ++r)
    if (label[r] < 0 || label[r] >= classes) return false;
  // The reference's exp_in_place ran its first n_lanes elements through exp4, the rest through
  // libm: groups of four rows starting at a multiple of four lie wholly in the first part.
  const int64_t n_lanes = rows * classes / 4 * 4;
  double diffs = 0.0;  // the reference's first loop: sum of (max - target logit), in row order
  SumsChain chain;
  int64_t hits = 0;
  int64_t r = 0;
#if defined(CHOP_ROW_METRICS_AVX2)
  if (has_avx2()) {
    // Groups of eight from row 0 also lie wholly in the exp4 part (multiples of four).
    for (; r + 8 <= rows; r += 8) {
      const float* q = p + r * s.rs;
      float max8[8];
      int32_t arg8[8];
      double sum8[8];
      rows8(q, s, classes, max8, arg8, sum8);
      for (int j = 0; j < 8; ++j) {
        const int64_t target = label[r + j];
        diffs += static_cast<double>(max8[j]) - static_cast<double>(q[j * s.rs + target * s.cs]);
        hits += arg8[j] == target;
        if (!chain.add(sum8[j])) return false;
      }
    }
  }
#endif
  for (; r + 4 <= rows; r += 4) {
    const float* q = p + r * s.rs;
    // Argmax per lane, first maximum as the reference (a NaN never compares greater).
    __m128 m = column4(q, s, 0);
    __m128i arg = _mm_setzero_si128();
    for (int64_t c = 1; c < classes; ++c) {
      const __m128 v = column4(q, s, c);
      const __m128 gt = _mm_cmpgt_ps(v, m);
      m = _mm_or_ps(_mm_and_ps(gt, v), _mm_andnot_ps(gt, m));
      const __m128i gti = _mm_castps_si128(gt);
      arg = _mm_or_si128(_mm_and_si128(gti, _mm_set1_epi32(static_cast<int>(c))),
                         _mm_andnot_si128(gti, arg));
    }
    // Each lane's sum of exps in double, classes in order, as the reference.
    __m128d sum01 = _mm_setzero_pd(), sum23 = _mm_setzero_pd();
    for (int64_t c = 0; c < classes; ++c) {
      const __m128 e = exp4(_mm_sub_ps(column4(q, s, c), m));
      sum01 = _mm_add_pd(sum01, _mm_cvtps_pd(e));
      sum23 = _mm_add_pd(sum23, _mm_cvtps_pd(_mm_movehl_ps(e, e)));
    }
    alignas(16) float max4[4];
    alignas(16) int32_t arg4[4];
    alignas(16) double sum4[4];
    _mm_store_ps(max4, m);
    _mm_store_si128(reinterpret_cast<__m128i*>(arg4), arg);
    _mm_store_pd(sum4, sum01);
    _mm_store_pd(sum4 + 2, sum23);
    for (int j = 0; j < 4; ++j) {
      const int64_t target = label[r + j];
      diffs += static_cast<double>(max4[j]) - static_cast<double>(q[j * s.rs + target * s.cs]);
      hits += arg4[j] == target;
      if (!chain.add(sum4[j])) return false;
    }
  }
  for (; r < rows; ++r) {  // the last rows % 4, one at a time
    const float* row = p + r * s.rs;
    const int64_t target = label[r];
    int64_t arg = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c * s.cs] > row[arg * s.cs]) arg = c;
    const float m = row[arg * s.cs];
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c)
      sum += exp_at(row[c * s.cs] - m, r * classes + c, n_lanes);
    diffs += static_cast<double>(m) - static_cast<double>(row[target * s.cs]);
    hits += arg == target;
    if (!chain.add(sum)) return false;
  }
  double loss = diffs;
  for (const double l : chain.logs) loss += l;
  loss_sum += loss + std::log(chain.sums);
  correct += hits;
  return true;
#endif
}

}  // namespace

bool rows_metrics_reference(const float* p, const int64_t* label, int64_t rows, int64_t classes,
                            double& loss_sum, int64_t& correct) {
  return reference(p, Strides{classes, 1}, label, rows, classes, loss_sum, correct);
}

bool fused_rows_metrics(const float* p, const int64_t* label, int64_t rows, int64_t classes,
                        double& loss_sum, int64_t& correct) {
  return fused(p, Strides{classes, 1}, label, rows, classes, loss_sum, correct);
}

bool fused_class_major_metrics(const float* p, int64_t ld, const int64_t* label, int64_t rows,
                               int64_t classes, double& loss_sum, int64_t& correct) {
  return fused(p, Strides{1, ld}, label, rows, classes, loss_sum, correct);
}

}  // namespace chop::train
