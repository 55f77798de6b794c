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

void gemm_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, GemmInit init,
               const float* bias) {
  __m256 c0[CHOP_MR], c1[CHOP_MR];
  // Every path sets every accumulator (a switch inside the loop leaves GCC unsure).
  if (init == GemmInit::kAccumulate) {
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) {
      c0[i] = _mm256_loadu_ps(c + i * ldc);
      c1[i] = _mm256_loadu_ps(c + i * ldc + 8);
    }
  } else if (init == GemmInit::kBiasPerColumn) {
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) {
      c0[i] = _mm256_loadu_ps(bias);
      c1[i] = _mm256_loadu_ps(bias + 8);
    }
  } else if (init == GemmInit::kBiasPerRow) {
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = c1[i] = _mm256_set1_ps(bias[i]);
  } else {
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = c1[i] = _mm256_setzero_ps();
  }
#pragma GCC unroll 4
  for (int64_t l = 0; l < kc; ++l) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < CHOP_MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
    }
    a += CHOP_MR;
    b += CHOP_NR;
  }
#pragma GCC unroll 6
  for (int i = 0; i < CHOP_MR; ++i) {
    _mm256_storeu_ps(c + i * ldc, c0[i]);
    _mm256_storeu_ps(c + i * ldc + 8, c1[i]);
  }
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
