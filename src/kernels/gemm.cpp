// Blocked GEMM driver; see gemm.h. Loops (BLIS order): columns in blocks of kNc, k in blocks of
// kKc (B block packed once), rows in blocks of kMc (A block packed once), then nr-wide column
// panels (the unit of threading) over mr-high row panels. Partial tiles go through a local
// tile so the micro-kernel always sees full tiles.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstring>

namespace chop::kernels {
namespace {

constexpr int64_t kKc = 256;   // k per block: an nr-wide panel of B (kKc x nr) stays in L1
constexpr int64_t kMc = 256;   // rows per block: the packed A block stays in L2
constexpr int64_t kNc = 4096;  // columns per block: bounds the packed B block (L2/L3)

int64_t round_up(int64_t v, int64_t to) {
  return (v + to - 1) / to * to;
}

// k blocks of nearly equal size, none over kKc (784 -> 4 x 196 rather than 3 x 256 + 16).
int64_t k_block(int64_t k) {
  const int64_t blocks = (k + kKc - 1) / kKc;
  return (k + blocks - 1) / std::max<int64_t>(1, blocks);
}

struct PanelJob {
  const KernelTable* kt;
  const GemmArgs* g;
  const float* a_packed;  // mc rows (padded to mr) x kc
  const float* b_packed;  // nc columns (padded to nr) x kc
  int64_t i0, mc, j0, nc, kc;
  GemmInit init;  // for this k block
};

// Full or partial tile at rows [i, i + mi) x columns [j, j + nj) of C.
void run_tile(const PanelJob& job, int64_t ir, int64_t jr) {
  const KernelTable& kt = *job.kt;
  const GemmArgs& g = *job.g;
  const int mr = kt.mr, nr = kt.nr;
  const int64_t i = job.i0 + ir, j = job.j0 + jr;
  const int64_t mi = std::min<int64_t>(mr, job.mc - ir), nj = std::min<int64_t>(nr, job.nc - jr);
  const float* a = job.a_packed + ir * job.kc;
  const float* b = job.b_packed + jr * job.kc;
  float* c = g.c + i * g.ldc + j;
  const float* bias = job.init == GemmInit::kBiasPerColumn ? g.bias + j
                      : job.init == GemmInit::kBiasPerRow  ? g.bias + i
                                                           : nullptr;
  if (mi == mr && nj == nr) {
    kt.gemm_tile(job.kc, a, b, c, g.ldc, job.init, bias);
    return;
  }
  alignas(64) float tile[16 * 64];
  alignas(64) float padded_bias[64];
  const float* tile_bias = nullptr;
  if (job.init == GemmInit::kAccumulate) {
    for (int64_t r = 0; r < mi; ++r) std::memcpy(tile + r * nr, c + r * g.ldc, sizeof(float) * nj);
  } else if (job.init == GemmInit::kBiasPerColumn) {
    std::memset(padded_bias, 0, sizeof padded_bias);
    std::memcpy(padded_bias, bias, sizeof(float) * nj);
    tile_bias = padded_bias;
  } else if (job.init == GemmInit::kBiasPerRow) {
    std::memset(padded_bias, 0, sizeof padded_bias);
    std::memcpy(padded_bias, bias, sizeof(float) * mi);
    tile_bias = padded_bias;
  }
  kt.gemm_tile(job.kc, a, b, tile, nr, job.init, tile_bias);
  for (int64_t r = 0; r < mi; ++r) std::memcpy(c + r * g.ldc, tile + r * nr, sizeof(float) * nj);
}

// Task = one nr-wide column panel over all row panels of the block.
void panel_task(void* ctx, int64_t begin, int64_t end) {
  const PanelJob& job = *static_cast<const PanelJob*>(ctx);
  const int mr = job.kt->mr, nr = job.kt->nr;
  for (int64_t p = begin; p < end; ++p)
    for (int64_t ir = 0; ir < job.mc; ir += mr) run_tile(job, ir, p * nr);
}

// C = init only (k == 0).
void init_only(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    float* c = g.c + i * g.ldc;
    switch (g.init) {
      case GemmInit::kZero:
        std::fill(c, c + g.n, 0.0f);
        break;
      case GemmInit::kAccumulate:
        break;
      case GemmInit::kBiasPerColumn:
        std::copy(g.bias, g.bias + g.n, c);
        break;
      case GemmInit::kBiasPerRow:
        std::fill(c, c + g.n, g.bias[i]);
        break;
    }
  }
}

}  // namespace

int64_t gemm_scratch_floats(const KernelTable& kt, int64_t m, int64_t n, int64_t k) {
  const int64_t kc = std::max<int64_t>(1, std::min(k_block(k), kKc));
  const int64_t mc = round_up(std::min(m, kMc), kt.mr);
  const int64_t nc = round_up(std::min(n, kNc), kt.nr);
  return kc * (mc + nc) + 16;  // + 16: room to align the B block to 64 bytes
}

void gemm(const KernelTable& kt, const GemmArgs& g, float* scratch, const TaskRunner* threads) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    init_only(g);
    return;
  }
  const int64_t kb = k_block(g.k);
  const int64_t mc_max = round_up(std::min(g.m, kMc), kt.mr);
  float* a_packed = scratch;
  float* b_packed = scratch + ((kb * mc_max + 15) / 16 * 16);
  for (int64_t j0 = 0; j0 < g.n; j0 += kNc) {
    const int64_t nc = std::min(kNc, g.n - j0);
    for (int64_t l0 = 0; l0 < g.k; l0 += kb) {
      const int64_t kc = std::min(kb, g.k - l0);
      kt.pack_b(g.b + l0 * g.b_rs + j0 * g.b_cs, g.b_rs, g.b_cs, kc, nc, b_packed);
      // The first k block starts from the requested init; later ones continue the sums.
      const GemmInit init = l0 == 0 ? g.init : GemmInit::kAccumulate;
      for (int64_t i0 = 0; i0 < g.m; i0 += kMc) {
        const int64_t mc = std::min(kMc, g.m - i0);
        kt.pack_a(g.a + i0 * g.a_rs + l0 * g.a_cs, g.a_rs, g.a_cs, mc, kc, a_packed);
        PanelJob job{&kt, &g, a_packed, b_packed, i0, mc, j0, nc, kc, init};
        const int64_t n_panels = (nc + kt.nr - 1) / kt.nr;
        if (threads && threads->run && n_panels > 1)
          threads->run(threads->ctx, n_panels, &job, panel_task);
        else
          panel_task(&job, 0, n_panels);
      }
    }
  }
}

}  // namespace chop::kernels
