// The AVX-512 kernel table (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma): an
// 12 x 32 GEMM tile (24 accumulators, two FMA ports busy) and the shared elementwise loops
// vectorised sixteen lanes wide. Only called when cpuid says so.
#include <cstdint>

#include "kernels/kernels.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

namespace chop::kernels {
namespace avx512 {

#define CHOP_MR 12
#define CHOP_NR 32
#define CHOP_ISA Isa::kAvx512

namespace {

void gemm_tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb,
               float* c, int64_t ldc, int mi, int nj, GemmInit init, const float* bias) {
  // Column masks for the two 16-wide halves; rows past mi read row 0 and are not stored.
  const __mmask16 m0 = nj >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nj) - 1);
  const __mmask16 m1 = nj >= 32   ? __mmask16(0xFFFF)
                       : nj <= 16 ? __mmask16(0)
                                  : __mmask16((1u << (nj - 16)) - 1);
  int64_t off[CHOP_MR];
#pragma GCC unroll 12
  for (int i = 0; i < CHOP_MR; ++i) off[i] = (i < mi ? i : 0) * a_rs;
  __m512 c0[CHOP_MR], c1[CHOP_MR];
  // Every path sets every accumulator (a switch inside the loop leaves GCC unsure).
  if (init == GemmInit::kAccumulate) {
#pragma GCC unroll 12
    for (int i = 0; i < CHOP_MR; ++i) {
      const float* ci = c + (i < mi ? i : 0) * ldc;
      c0[i] = _mm512_maskz_loadu_ps(m0, ci);
      c1[i] = _mm512_maskz_loadu_ps(m1, ci + 16);
    }
  } else if (init == GemmInit::kBiasPerColumn) {
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, bias), b1 = _mm512_maskz_loadu_ps(m1, bias + 16);
#pragma GCC unroll 12
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = b0, c1[i] = b1;
  } else if (init == GemmInit::kBiasPerRow) {
#pragma GCC unroll 12
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = c1[i] = _mm512_set1_ps(bias[i < mi ? i : 0]);
  } else {
#pragma GCC unroll 12
    for (int i = 0; i < CHOP_MR; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  }
  if (nj > 16) {
#pragma GCC unroll 2
    for (int64_t l = 0; l < kc; ++l, a += a_cs, b += ldb) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#pragma GCC unroll 12
      for (int i = 0; i < CHOP_MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[off[i]]);
        c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
        c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
      }
    }
  } else {  // one vector of columns: half the work
#pragma GCC unroll 2
    for (int64_t l = 0; l < kc; ++l, a += a_cs, b += ldb) {
      const __m512 b0 = _mm512_maskz_loadu_ps(m0, b);
#pragma GCC unroll 12
      for (int i = 0; i < CHOP_MR; ++i)
        c0[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[off[i]]), b0, c0[i]);
    }
  }
#pragma GCC unroll 12
  for (int i = 0; i < CHOP_MR; ++i) {
    if (i >= mi) break;
    _mm512_mask_storeu_ps(c + i * ldc, m0, c0[i]);
    if (nj > 16) _mm512_mask_storeu_ps(c + i * ldc + 16, m1, c1[i]);
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
