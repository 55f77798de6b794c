// The AVX2/FMA kernel table (compiled with -mavx2 -mfma): a 6 x 16 GEMM tile (12 accumulators)
// and the shared elementwise loops vectorised eight lanes wide. Only called when cpuid says so.
#include <cstdint>

#include "kernels/kernels.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace chop::kernels {
namespace avx2 {

#define CHOP_MR 6
#define CHOP_NR 16
#define CHOP_ISA Isa::kAvx2

namespace {

// Lanes < n of an 8-wide vector (n may be <= 0 or >= 8).
inline __m256i lane_mask(int n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
}

// kFull: all 16 columns; kHalf: at most 8 (a narrow output such as a 5-class head), so the
// upper accumulators, their FMAs and their masked stores are skipped — on Zen 3 each masked
// store costs several cycles even with an all-zero mask, and they dominated such tiles.
template <bool kFull, bool kHalf = false>
void tile_impl(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb,
               float* c, int64_t ldc, int mi, int nj, GemmInit init, const float* bias, bool relu) {
  const __m256i m0 = lane_mask(nj), m1 = lane_mask(nj - 8);
  auto load0 = [&](const float* p) {
    return kFull ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m0);
  };
  auto load1 = [&](const float* p) {
    return kFull ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m1);
  };
  int64_t off[CHOP_MR];
#pragma GCC unroll 6
  for (int i = 0; i < CHOP_MR; ++i) off[i] = (i < mi ? i : 0) * a_rs;
  __m256 c0[CHOP_MR], c1[CHOP_MR];
  // Every path sets every accumulator (a switch inside the loop leaves GCC unsure).
  if (init == GemmInit::kAccumulate) {
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) {
      const float* ci = c + (i < mi ? i : 0) * ldc;
      c0[i] = load0(ci);
      c1[i] = kHalf ? _mm256_setzero_ps() : load1(ci + 8);
    }
  } else if (init == GemmInit::kBiasPerColumn) {
    const __m256 b0 = load0(bias), b1 = kHalf ? _mm256_setzero_ps() : load1(bias + 8);
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = b0, c1[i] = b1;
  } else if (init == GemmInit::kBiasPerRow) {
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = c1[i] = _mm256_set1_ps(bias[i < mi ? i : 0]);
  } else {
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = c1[i] = _mm256_setzero_ps();
  }
#pragma GCC unroll 2
  for (int64_t l = 0; l < kc; ++l, a += a_cs, b += ldb) {
    const __m256 b0 = load0(b), b1 = kHalf ? _mm256_setzero_ps() : load1(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + off[i]);
      c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
      if (!kHalf) c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
    }
  }
  if (relu) {  // the relu kernel's rule: 0 where < 0 (NaN and -0 kept)
    const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) {
      c0[i] = _mm256_blendv_ps(c0[i], zero, _mm256_cmp_ps(c0[i], zero, _CMP_LT_OQ));
      if (!kHalf) c1[i] = _mm256_blendv_ps(c1[i], zero, _mm256_cmp_ps(c1[i], zero, _CMP_LT_OQ));
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < CHOP_MR; ++i) {
    if (i >= mi) break;
    if (kFull) {
      _mm256_storeu_ps(c + i * ldc, c0[i]);
      _mm256_storeu_ps(c + i * ldc + 8, c1[i]);
    } else {
      _mm256_maskstore_ps(c + i * ldc, m0, c0[i]);
      if (!kHalf) _mm256_maskstore_ps(c + i * ldc + 8, m1, c1[i]);
    }
  }
}

void gemm_tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb,
               float* c, int64_t ldc, int mi, int nj, GemmInit init, const float* bias, bool relu) {
  if (nj == CHOP_NR)
    tile_impl<true>(kc, a, a_rs, a_cs, b, ldb, c, ldc, mi, nj, init, bias, relu);
  else if (nj <= 8)
    tile_impl<false, true>(kc, a, a_rs, a_cs, b, ldb, c, ldc, mi, nj, init, bias, relu);
  else
    tile_impl<false>(kc, a, a_rs, a_cs, b, ldb, c, ldc, mi, nj, init, bias, relu);
}

}  // namespace

#include "kernels/kernels_body.inc"

}  // namespace avx2

const KernelTable& avx2_kernels() {
  return avx2::table();
}

}  // namespace chop::kernels

#else  // not an x86-64 AVX2 build of this file: never selected (isa_supported is false)

namespace chop::kernels {
const KernelTable& avx2_kernels() {
  return portable_kernels();
}
}  // namespace chop::kernels

#endif
