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

// Where the k loop finds A(i, l) for the twelve rows of a tile. In a full tile of a packed
// panel (or of A read through its columns, x^T of a weight gradient) the rows are next to each
// other: constant displacements, no index registers. Full tiles of row-major A (x W^T, g W) use
// four base pointers three rows apart plus the row stride: base + rs * {0, 4, 8} bytes are
// addressing modes, so the loop needs five integer registers for A instead of twelve offsets that
// do not fit (GCC spilled them and reloaded two per k step). Edge tiles keep the offset table,
// whose rows past mi read row 0. Every variant feeds the same values to the same FMAs in the same
// order, so C is bit for bit the same whichever one runs.
struct RowsAdjacent {
  const float* a;
  float at(int i) const { return a[i]; }
  void advance(int64_t cs) { a += cs; }
};
struct RowsStrided {
  const float *a0, *a3, *a6, *a9;
  int64_t rs;
  float at(int i) const {
    const float* base = i < 3 ? a0 : i < 6 ? a3 : i < 9 ? a6 : a9;
    return base[(i % 3) * rs];
  }
  void advance(int64_t cs) { a0 += cs, a3 += cs, a6 += cs, a9 += cs; }
};
struct RowsByOffset {
  const float* a;
  const int64_t* off;
  float at(int i) const { return a[off[i]]; }
  void advance(int64_t cs) { a += cs; }
};

// kRows: the rows the loop computes (CHOP_MR, or fewer for an edge tile: a 4-row remainder of a
// 256-row batch then costs a third of a full tile instead of all of it).
template <int kRows, class Rows>
__attribute__((always_inline)) inline void k_loop(int64_t kc, Rows rows, int64_t a_cs,
                                                  const float* b, int64_t ldb, __mmask16 m0,
                                                  __mmask16 m1, bool two_vectors,
                                                  __m512 (&c0)[CHOP_MR], __m512 (&c1)[CHOP_MR]) {
  if (two_vectors) {
#pragma GCC unroll 2
    for (int64_t l = 0; l < kc; ++l, rows.advance(a_cs), b += ldb) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#pragma GCC unroll 12
      for (int i = 0; i < kRows; ++i) {
        const __m512 ai = _mm512_set1_ps(rows.at(i));
        c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
        c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
      }
    }
  } else {  // one vector of columns: half the work
#pragma GCC unroll 2
    for (int64_t l = 0; l < kc; ++l, rows.advance(a_cs), b += ldb) {
      const __m512 b0 = _mm512_maskz_loadu_ps(m0, b);
#pragma GCC unroll 12
      for (int i = 0; i < kRows; ++i)
        c0[i] = _mm512_fmadd_ps(_mm512_set1_ps(rows.at(i)), b0, c0[i]);
    }
  }
}

void gemm_tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb,
               float* c, int64_t ldc, int mi, int nj, GemmInit init, const float* bias, bool relu) {
  // Column masks for the two 16-wide halves.
  const __mmask16 m0 = nj >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nj) - 1);
  const __mmask16 m1 = nj >= 32   ? __mmask16(0xFFFF)
                       : nj <= 16 ? __mmask16(0)
                                  : __mmask16((1u << (nj - 16)) - 1);
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
  const bool two_vectors = nj > 16;
  if (mi == CHOP_MR && a_rs == 1) {
    k_loop<CHOP_MR>(kc, RowsAdjacent{a}, a_cs, b, ldb, m0, m1, two_vectors, c0, c1);
  } else if (mi == CHOP_MR) {
    k_loop<CHOP_MR>(kc, RowsStrided{a, a + 3 * a_rs, a + 6 * a_rs, a + 9 * a_rs, a_rs}, a_cs, b,
                    ldb, m0, m1, two_vectors, c0, c1);
  } else {  // rows past mi read row 0 and are not stored
    int64_t off[CHOP_MR];
#pragma GCC unroll 12
    for (int i = 0; i < CHOP_MR; ++i) off[i] = (i < mi ? i : 0) * a_rs;
    const RowsByOffset rows{a, off};
    if (mi <= 4)
      k_loop<4>(kc, rows, a_cs, b, ldb, m0, m1, two_vectors, c0, c1);
    else if (mi <= 8)
      k_loop<8>(kc, rows, a_cs, b, ldb, m0, m1, two_vectors, c0, c1);
    else
      k_loop<CHOP_MR>(kc, rows, a_cs, b, ldb, m0, m1, two_vectors, c0, c1);
  }
  if (relu) {  // the relu kernel's rule: 0 where < 0 (NaN and -0 kept)
    const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 12
    for (int i = 0; i < CHOP_MR; ++i) {
      c0[i] = _mm512_mask_mov_ps(c0[i], _mm512_cmp_ps_mask(c0[i], zero, _CMP_LT_OQ), zero);
      c1[i] = _mm512_mask_mov_ps(c1[i], _mm512_cmp_ps_mask(c1[i], zero, _CMP_LT_OQ), zero);
    }
  }
#pragma GCC unroll 12
  for (int i = 0; i < CHOP_MR; ++i) {
    if (i >= mi) break;
    _mm512_mask_storeu_ps(c + i * ldc, m0, c0[i]);
    if (two_vectors) _mm512_mask_storeu_ps(c + i * ldc + 16, m1, c1[i]);
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
