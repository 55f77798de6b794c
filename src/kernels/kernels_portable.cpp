// The portable kernel table: plain C++ for any CPU (the compiler's baseline vector unit), with
// fmaf in the GEMM so results equal the AVX2/AVX-512 tables bit for bit.
#include <cmath>
#include <cstdint>

#include "kernels/kernels.h"

namespace chop::kernels {
namespace portable {

#define CHOP_MR 4
#define CHOP_NR 8
#define CHOP_ISA Isa::kPortable

namespace {

void gemm_tile(int64_t kc, const float* a, int64_t a_rs, int64_t a_cs, const float* b, int64_t ldb,
               float* c, int64_t ldc, int mi, int nj, GemmInit init, const float* bias, bool relu) {
  float acc[CHOP_MR][CHOP_NR];
  for (int i = 0; i < mi; ++i)
    for (int j = 0; j < nj; ++j) {
      switch (init) {
        case GemmInit::kZero:
          acc[i][j] = 0.0f;
          break;
        case GemmInit::kAccumulate:
          acc[i][j] = c[i * ldc + j];
          break;
        case GemmInit::kBiasPerColumn:
          acc[i][j] = bias[j];
          break;
        case GemmInit::kBiasPerRow:
          acc[i][j] = bias[i];
          break;
      }
    }
  for (int64_t l = 0; l < kc; ++l, a += a_cs, b += ldb)
    for (int i = 0; i < mi; ++i)
      for (int j = 0; j < nj; ++j) acc[i][j] = __builtin_fmaf(a[i * a_rs], b[j], acc[i][j]);
  for (int i = 0; i < mi; ++i)
    for (int j = 0; j < nj; ++j) {
      const float v = acc[i][j];
      c[i * ldc + j] = relu && v < 0.0f ? 0.0f : v;  // the relu kernel's rule
    }
}

}  // namespace

#include "kernels/kernels_body.inc"

}  // namespace portable

const KernelTable& portable_kernels() {
  return portable::table();
}

}  // namespace chop::kernels
