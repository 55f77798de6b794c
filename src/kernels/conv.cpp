// Convolution drivers; see conv.h.
#include "kernels/conv.h"

#include <algorithm>
#include <cstring>

namespace chop::kernels {
namespace {

void im2col(const ConvGeometry& g, const float* x, float* col) {
  const int64_t p = g.p();
  for (int64_t ci = 0; ci < g.cin; ++ci)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        float* row = col + ((ci * g.kh + i) * g.kw + j) * p;
        const float* plane = x + ci * g.h * g.w;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          const int64_t iy = oy * g.sh - g.ph + i * g.dh;
          float* out = row + oy * g.ow;
          if (iy < 0 || iy >= g.h) {
            std::fill(out, out + g.ow, 0.0f);
            continue;
          }
          const float* src = plane + iy * g.w;
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            const int64_t ix = ox * g.sw - g.pw + j * g.dw;
            out[ox] = ix >= 0 && ix < g.w ? src[ix] : 0.0f;
          }
        }
      }
}

void col2im_add(const ConvGeometry& g, const float* col, float* dx) {
  const int64_t p = g.p();
  for (int64_t ci = 0; ci < g.cin; ++ci)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const float* row = col + ((ci * g.kh + i) * g.kw + j) * p;
        float* plane = dx + ci * g.h * g.w;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          const int64_t iy = oy * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          float* dst = plane + iy * g.w;
          const float* in = row + oy * g.ow;
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            const int64_t ix = ox * g.sw - g.pw + j * g.dw;
            if (ix >= 0 && ix < g.w) dst[ix] += in[ox];
          }
        }
      }
}

// The column matrix [k, p] of one sample (the sample itself for a direct 1x1 convolution).
const float* columns(const ConvGeometry& g, const float* sample, float* col) {
  if (g.direct()) return sample;
  im2col(g, sample, col);
  return col;
}

}  // namespace

int64_t conv_scratch_floats(const ConvGeometry& g) {
  return 2 * g.k() * g.p() + 2 * g.cout;
}

int64_t conv_gemm_scratch_floats(const KernelTable& kt, const ConvGeometry& g) {
  const int64_t k = g.k(), p = g.p();
  return std::max({gemm_scratch_floats(kt, g.cout, p, k), gemm_scratch_floats(kt, g.cout, k, p),
                   gemm_scratch_floats(kt, k, p, g.cout)});
}

void conv_forward(const KernelTable& kt, const ConvGeometry& g, int64_t rows, const float* x,
                  const float* w, const float* bias, float* y, float* scratch, float* gemm_scratch,
                  const TaskRunner* threads) {
  for (int64_t r = 0; r < rows; ++r) {
    GemmArgs gm;
    gm.m = g.cout, gm.n = g.p(), gm.k = g.k();
    gm.a = w, gm.a_rs = g.k(), gm.a_cs = 1;
    gm.b = columns(g, x + r * g.in_size(), scratch), gm.b_rs = g.p(), gm.b_cs = 1;
    gm.c = y + r * g.out_size(), gm.ldc = g.p();
    gm.init = bias ? GemmInit::kBiasPerRow : GemmInit::kZero;
    gm.bias = bias;
    gemm(kt, gm, gemm_scratch, threads);
  }
}

void conv_backward(const KernelTable& kt, const ConvGeometry& g, int64_t rows, const float* x,
                   const float* w, const float* dy, float* dx, bool accumulate_dx, float* dw,
                   float* dbias, bool accumulate_params, float* scratch, float* gemm_scratch,
                   const TaskRunner* threads) {
  const int64_t k = g.k(), p = g.p();
  float* col = scratch;
  float* dcol = scratch + k * p;
  for (int64_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * g.out_size();
    GemmArgs gw;  // dW [cout, k] (+)= dY [cout, p] * col^T [p, k]
    gw.m = g.cout, gw.n = k, gw.k = p;
    gw.a = dyr, gw.a_rs = p, gw.a_cs = 1;
    gw.b = columns(g, x + r * g.in_size(), col), gw.b_rs = 1, gw.b_cs = p;
    gw.c = dw, gw.ldc = k;
    gw.init = (r == 0 && !accumulate_params) ? GemmInit::kZero : GemmInit::kAccumulate;
    gemm(kt, gw, gemm_scratch, threads);
    if (!dx) continue;
    float* dxr = dx + r * g.in_size();
    GemmArgs gx;  // dcol [k, p] = W^T [k, cout] * dY [cout, p] (for 1x1: straight into dx)
    gx.m = k, gx.n = p, gx.k = g.cout;
    gx.a = w, gx.a_rs = 1, gx.a_cs = k;
    gx.b = dyr, gx.b_rs = p, gx.b_cs = 1;
    if (g.direct()) {
      gx.c = dxr, gx.ldc = p;
      gx.init = accumulate_dx ? GemmInit::kAccumulate : GemmInit::kZero;
      gemm(kt, gx, gemm_scratch, threads);
      continue;
    }
    gx.c = dcol, gx.ldc = p;
    gemm(kt, gx, gemm_scratch, threads);
    if (!accumulate_dx) std::memset(dxr, 0, sizeof(float) * static_cast<size_t>(g.in_size()));
    col2im_add(g, dcol, dxr);
  }
  if (dbias) {
    double* sums = reinterpret_cast<double*>(scratch + 2 * k * p);
    kt.channel_sum(dy, rows, g.cout, p, sums);
    for (int64_t c = 0; c < g.cout; ++c) {
      const float v = static_cast<float>(sums[c]);
      dbias[c] = accumulate_params ? dbias[c] + v : v;
    }
  }
}

}  // namespace chop::kernels
