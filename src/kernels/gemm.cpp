// Blocked GEMM driver; see gemm.h. Loops (BLIS order): columns in blocks of kNc, k in blocks of
// kKc, rows in blocks of kMc, then nr-wide column panels (the unit of threading) over mr-high
// row panels. The tile kernel takes any strides and masks partial tiles, so A and B are packed
// only when the copy pays: B when several row panels reuse it (a contiguous panel stays in L1),
// A when several column panels do.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstring>

namespace chop::kernels {
namespace {

constexpr int64_t kKc = 256;  // k per block: an nr-wide panel of B (kKc x nr) stays in L1
// k per block (at most) when A is read in place (not packed: no A block to keep in L2). Each
// tile pays a fixed cost per k block (loading and storing its C, the k loop's exit, the call),
// so long blocks amortise it: MNIST's 784-deep forward product x W^T ran 4-6 % faster as one
// block of 784 than as 4 x 196. Its B panel (784 x nr) then streams from L2 instead of staying
// in L1: one cache line per k step, which L2 keeps up with.
constexpr int64_t kKcInPlaceA = 1024;
constexpr int64_t kMc = 256;         // rows per block (at most): the packed A block stays in L2
constexpr int64_t kNc = 4096;        // columns per block: bounds the packed B block (L2/L3)
constexpr int64_t kPackAPanels = 2;  // pack A when each of its panels meets this many B panels
// A block of A or B up to this many floats (64 KiB: 256 x 64) is read in place: the small
// layers' weight gradients (jsc-s: 256 x 16..64) spent more on the copy than the tiles gain.
constexpr int64_t kSmallOperandFloats = 16384;

int64_t round_up(int64_t v, int64_t to) {
  return (v + to - 1) / to * to;
}

// k blocks of nearly equal size, none over `most` (784 -> 4 x 196 rather than 3 x 256 + 16).
int64_t k_block(int64_t k, int64_t most = kKc) {
  const int64_t blocks = (k + most - 1) / most;
  return (k + blocks - 1) / std::max<int64_t>(1, blocks);
}

// Columns per block for k blocks of kc: kNc, or fewer whole panels so that the packed B block
// (kc x nc) is no larger than with kKc-deep blocks.
int64_t n_block(const KernelTable& kt, int64_t kc) {
  if (kc <= kKc) return kNc;
  return std::max<int64_t>(kt.nr, kKc * kNc / kc / kt.nr * kt.nr);
}

// Rows per block: kMc rounded down to whole row panels, so that only the last block of a tall
// product ends in a partial tile (784 rows: 3 x 252 + 28, not 3 x 256 + 16 with four).
int64_t m_block(const KernelTable& kt) {
  return std::max<int64_t>(kt.mr, kMc / kt.mr * kt.mr);
}

// Only A with contiguous columns (mr values per k, a plain copy): transposing row-major A into
// panels costs more than reading its rows in place saves (measured on the MNIST products).
bool packs_a(const KernelTable& kt, const GemmArgs& g) {
  return g.a_rs == 1 && (std::min(g.n, kNc) + kt.nr - 1) / kt.nr >= kPackAPanels &&
         g.m >= 2 * kt.mr && std::min(g.m, kMc) * std::min(g.k, kKc) > kSmallOperandFloats;
}
// Packed B panels are contiguous: B's own rows, often a power-of-two stride apart, would map a
// large panel onto a few L1 sets and evict each other. Not worth it for a single row panel or
// a small B (a few KiB stay in L1 whatever their addresses). Nor for B that already is one
// panel: at most nr columns whose rows are at most nr floats apart (the gradient of a 32-wide
// layer, read by its weight gradient) — the copy would reproduce the same layout.
bool packs_b(const KernelTable& kt, const GemmArgs& g) {
  if (g.b_cs == 1 && g.n <= kt.nr && g.b_rs <= kt.nr) return false;
  return g.b_cs != 1 ||
         (g.m > kt.mr && std::min(g.k, kKc) * std::min(g.n, kNc) > kSmallOperandFloats);
}

struct PanelJob {
  const KernelTable* kt;
  const GemmArgs* g;
  const float* a;  // block origin: packed panels, or A at (i0, l0)
  int64_t a_rs, a_cs;
  bool a_packed;
  const float* b;  // block origin: packed panels, or B at (l0, j0)
  int64_t ldb;
  bool b_packed;
  int64_t i0, mc, j0, nc, kc;
  GemmInit init;  // for this k block
  bool relu;      // the last k block of a product with relu set
};

void run_tile(const PanelJob& job, int64_t ir, int64_t jr) {
  const KernelTable& kt = *job.kt;
  const GemmArgs& g = *job.g;
  const int mi = static_cast<int>(std::min<int64_t>(kt.mr, job.mc - ir));
  const int nj = static_cast<int>(std::min<int64_t>(kt.nr, job.nc - jr));
  const float* a = job.a_packed ? job.a + ir * job.kc : job.a + ir * job.a_rs;
  const float* b = job.b_packed ? job.b + jr * job.kc : job.b + jr;
  const int64_t i = job.i0 + ir, j = job.j0 + jr;
  const float* bias = job.init == GemmInit::kBiasPerColumn ? g.bias + j
                      : job.init == GemmInit::kBiasPerRow  ? g.bias + i
                                                           : nullptr;
  kt.gemm_tile(job.kc, a, job.a_rs, job.a_cs, b, job.ldb, g.c + i * g.ldc + j, g.ldc, mi, nj,
               job.init, bias, job.relu);
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
    if (g.relu)
      for (int64_t j = 0; j < g.n; ++j) c[j] = c[j] < 0.0f ? 0.0f : c[j];
  }
}

// mr floats, for the tile heights of the kernel tables: a copy of a size known at compile time
// is a few vector moves; one of a size known only at run time is a call to memcpy.
inline void copy_panel_column(float* d, const float* src, int64_t mr) {
  switch (mr) {
    case 4:
      std::memcpy(d, src, sizeof(float) * 4);
      break;
    case 6:
      std::memcpy(d, src, sizeof(float) * 6);
      break;
    case 12:
      std::memcpy(d, src, sizeof(float) * 12);
      break;
    default:
      std::memcpy(d, src, sizeof(float) * static_cast<size_t>(mr));
  }
}

}  // namespace

// A packed whole (GemmArgs::a_packed) is the sequence of the blocks gemm() packs, k blocks
// outermost: block (l0, i0) starts at l0 * round_up(m, mr) + i0 * kc (every row block but the
// last is whole panels), panel p of it at p * mr * kc, and A(i, l) sits at (l - l0) * mr + i % mr
// in its panel. So A(i, l) = l0 * M' + (i - i % mr) * kc + (l - l0) * mr + i % mr.
int64_t packed_a_floats(const KernelTable& kt, int64_t m, int64_t k) {
  return round_up(m, kt.mr) * k;
}

void pack_a_columns(const KernelTable& kt, const float* columns, int64_t ld, int64_t m, int64_t k,
                    int64_t l, int64_t count, float* packed) {
  const int64_t mr = kt.mr, kb = k_block(k), m_padded = round_up(m, mr);
  while (count > 0) {  // the columns of one k block at a time
    const int64_t l0 = l / kb * kb, kc = std::min(kb, k - l0);
    const int64_t here = std::min(count, l0 + kc - l);
    float* dst = packed + l0 * m_padded + (l - l0) * mr;
    // Panel by panel: `here` columns of a panel are here * mr consecutive floats (whole cache
    // lines for four columns of twelve), so the scattered writes fill lines, not parts of them.
    for (int64_t i = 0; i < m; i += mr, dst += mr * kc) {
      const int64_t rows = std::min(mr, m - i);
      float* d = dst;
      for (int64_t c = 0; c < here; ++c, d += mr) {
        const float* src = columns + c * ld + i;
        if (rows == mr) {  // a whole panel's column: a fixed-size copy, not a memcpy call
          copy_panel_column(d, src, mr);
        } else {
          std::memcpy(d, src, sizeof(float) * static_cast<size_t>(rows));
          std::fill(d + rows, d + mr, 0.0f);
        }
      }
    }
    columns += here * ld, l += here, count -= here;
  }
}

int64_t gemm_scratch_floats(const KernelTable& kt, int64_t m, int64_t n, int64_t k) {
  // Bounds for any product up to these sizes, A packed or not: a k block holds at most
  // min(k, kKcInPlaceA) values (k_block is not monotonic in k: 1025 -> 2 x 513, 1024 -> 1024),
  // and n_block keeps kc x nc within kKc x kNc.
  const int64_t mc = round_up(std::min(m, m_block(kt)), kt.mr);
  const int64_t kc = std::max<int64_t>(1, std::min(k, kKcInPlaceA));
  return kc * mc + std::min(kc * round_up(n, kt.nr), kKc * kNc) + 16;  // + 16: B block alignment
}

void gemm(const KernelTable& kt, const GemmArgs& g, float* scratch, const TaskRunner* threads) {
  if (g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    init_only(g);
    return;
  }
  const bool a_prepacked = g.a_packed != nullptr;
  const bool pack_a = !a_prepacked && packs_a(kt, g), pack_b = g.b_quant || packs_b(kt, g);
  // Packed A (here or by pack_a_columns, whose layout assumes kKc) keeps kKc-deep blocks.
  const int64_t kb = k_block(g.k, pack_a || a_prepacked ? kKc : kKcInPlaceA);
  const int64_t nb = n_block(kt, kb);
  const int64_t mb = m_block(kt);
  const int64_t mc_max = round_up(std::min(g.m, mb), kt.mr);
  float* a_packed = scratch;
  float* b_packed = scratch + ((kb * mc_max + 15) / 16 * 16);
  const int64_t m_padded = round_up(g.m, kt.mr);
  for (int64_t j0 = 0; j0 < g.n; j0 += nb) {
    const int64_t nc = std::min(nb, g.n - j0);
    for (int64_t l0 = 0; l0 < g.k; l0 += kb) {
      const int64_t kc = std::min(kb, g.k - l0);
      const float* b_origin = g.b + l0 * g.b_rs + j0 * g.b_cs;
      if (pack_b) kt.pack_b_quantized(b_origin, g.b_rs, g.b_cs, kc, nc, b_packed, g.b_quant);
      // The first k block starts from the requested init; later ones continue the sums.
      const GemmInit init = l0 == 0 ? g.init : GemmInit::kAccumulate;
      for (int64_t i0 = 0; i0 < g.m; i0 += mb) {
        const int64_t mc = std::min(mb, g.m - i0);
        const float* a_origin =
            a_prepacked ? g.a_packed + l0 * m_padded + i0 * kc : g.a + i0 * g.a_rs + l0 * g.a_cs;
        if (pack_a) kt.pack_a(a_origin, g.a_rs, g.a_cs, mc, kc, a_packed);
        const bool a_is_packed = pack_a || a_prepacked;
        PanelJob job{&kt,
                     &g,
                     pack_a ? a_packed : a_origin,
                     a_is_packed ? 1 : g.a_rs,
                     a_is_packed ? kt.mr : g.a_cs,
                     a_is_packed,
                     pack_b ? b_packed : b_origin,
                     pack_b ? kt.nr : g.b_rs,
                     pack_b,
                     i0,
                     mc,
                     j0,
                     nc,
                     kc,
                     init,
                     g.relu && l0 + kc == g.k};
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
