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

void gemm_tile(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, GemmInit init,
               const float* bias) {
  float acc[CHOP_MR][CHOP_NR];
  for (int i = 0; i < CHOP_MR; ++i)
    for (int j = 0; j < CHOP_NR; ++j) {
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
  for (int64_t l = 0; l < kc; ++l, a += CHOP_MR, b += CHOP_NR)
    for (int i = 0; i < CHOP_MR; ++i)
      for (int j = 0; j < CHOP_NR; ++j) acc[i][j] = __builtin_fmaf(a[i], b[j], acc[i][j]);
  for (int i = 0; i < CHOP_MR; ++i)
    for (int j = 0; j < CHOP_NR; ++j) c[i * ldc + j] = acc[i][j];
}

}  // namespace

#include "kernels/kernels_body.inc"

}  // namespace portable

const KernelTable& portable_kernels() {
  return portable::table();
}

}  // namespace chop::kernels
