// The AVX-512 kernel table (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma): an
// 8 x 32 GEMM tile (16 accumulators, two FMA ports busy) and the shared elementwise loops
// vectorised sixteen lanes wide. Only called when cpuid says so.
#include <cstdint>

#include "kernels/kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

namespace chop::kernels {
namespace avx512 {

#define CHOP_MR 8
#define CHOP_NR 32
#define CHOP_ISA Isa::kAvx512

namespace {

void gemm_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, GemmInit init,
               const float* bias) {
  __m512 c0[CHOP_MR], c1[CHOP_MR];
  // Every path sets every accumulator (a switch inside the loop leaves GCC unsure).
  if (init == GemmInit::kAccumulate) {
#pragma GCC unroll 8
    for (int i = 0; i < CHOP_MR; ++i) {
      c0[i] = _mm512_loadu_ps(c + i * ldc);
      c1[i] = _mm512_loadu_ps(c + i * ldc + 16);
    }
  } else if (init == GemmInit::kBiasPerColumn) {
#pragma GCC unroll 8
    for (int i = 0; i < CHOP_MR; ++i) {
      c0[i] = _mm512_loadu_ps(bias);
      c1[i] = _mm512_loadu_ps(bias + 16);
    }
  } else if (init == GemmInit::kBiasPerRow) {
#pragma GCC unroll 8
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = c1[i] = _mm512_set1_ps(bias[i]);
  } else {
#pragma GCC unroll 8
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  }
#pragma GCC unroll 4
  for (int64_t l = 0; l < kc; ++l) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < CHOP_MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
    }
    a += CHOP_MR;
    b += CHOP_NR;
  }
#pragma GCC unroll 8
  for (int i = 0; i < CHOP_MR; ++i) {
    _mm512_storeu_ps(c + i * ldc, c0[i]);
    _mm512_storeu_ps(c + i * ldc + 16, c1[i]);
  }
}

}  // namespace

#include "kernels/kernels_body.inc"

}  // namespace avx512

const KernelTable& avx512_kernels() {
  return avx512::table();
}

}  // namespace chop::kernels

#else

namespace chop::kernels {
const KernelTable& avx512_kernels() {
  return portable_kernels();
}
}  // namespace chop::kernels

#endif
