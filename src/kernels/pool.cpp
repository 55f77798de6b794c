// Pooling; see pool.h. Sums run in window order in float, each output divided as ATen divides
// it (by the padded window size; adaptive: by the window height, then its width).
#include "kernels/pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace chop::kernels {
namespace {

struct Window {
  int64_t y0, y1, x0, x1, divisor;
};

Window window(const PoolGeometry& g, int64_t oy, int64_t ox) {
  Window win{};
  if (g.kind == PoolKind::kAdaptiveAvg) {
    win.y0 = oy * g.h / g.oh;
    win.y1 = ((oy + 1) * g.h + g.oh - 1) / g.oh;
    win.x0 = ox * g.w / g.ow;
    win.x1 = ((ox + 1) * g.w + g.ow - 1) / g.ow;
    win.divisor = (win.y1 - win.y0) * (win.x1 - win.x0);
    return win;
  }
  const int64_t y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
  const int64_t y1 = std::min(y0 + g.kh, g.h + g.ph), x1 = std::min(x0 + g.kw, g.w + g.pw);
  win.divisor = (y1 - y0) * (x1 - x0);  // count_include_pad
  win.y0 = std::max<int64_t>(y0, 0);
  win.x0 = std::max<int64_t>(x0, 0);
  win.y1 = std::min(y1, g.h);
  win.x1 = std::min(x1, g.w);
  return win;
}

float average(const PoolGeometry& g, const Window& win, float sum) {
  if (g.kind == PoolKind::kAvg) return sum / static_cast<float>(win.divisor);
  return sum / static_cast<float>(win.y1 - win.y0) / static_cast<float>(win.x1 - win.x0);
}

}  // namespace

void pool_forward(const PoolGeometry& g, int64_t rows, const float* x, float* y, int32_t* argmax) {
  const int64_t planes = rows * g.c, in_plane = g.h * g.w, out_plane = g.oh * g.ow;
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xp = x + pl * in_plane;
    float* yp = y + pl * out_plane;
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const Window win = window(g, oy, ox);
        if (g.kind == PoolKind::kMax) {
          float best = -std::numeric_limits<float>::infinity();
          int64_t at = win.y0 * g.w + win.x0;
          for (int64_t iy = win.y0; iy < win.y1; ++iy)
            for (int64_t ix = win.x0; ix < win.x1; ++ix) {
              const float v = xp[iy * g.w + ix];
              if (v > best || std::isnan(v)) {  // ATen's test: NaN propagates
                best = v;
                at = iy * g.w + ix;
              }
            }
          yp[oy * g.ow + ox] = best;
          argmax[pl * out_plane + oy * g.ow + ox] = static_cast<int32_t>(at);
        } else {
          float sum = 0.0f;
          for (int64_t iy = win.y0; iy < win.y1; ++iy)
            for (int64_t ix = win.x0; ix < win.x1; ++ix) sum += xp[iy * g.w + ix];
          yp[oy * g.ow + ox] = average(g, win, sum);
        }
      }
  }
}

void pool_backward(const PoolGeometry& g, int64_t rows, const float* dy, float* dx, bool accumulate,
                   const int32_t* argmax) {
  const int64_t planes = rows * g.c, in_plane = g.h * g.w, out_plane = g.oh * g.ow;
  if (!accumulate) std::memset(dx, 0, sizeof(float) * static_cast<size_t>(planes * in_plane));
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* dxp = dx + pl * in_plane;
    const float* dyp = dy + pl * out_plane;
    if (g.kind == PoolKind::kMax) {
      const int32_t* ap = argmax + pl * out_plane;
      for (int64_t o = 0; o < out_plane; ++o) dxp[ap[o]] += dyp[o];
      continue;
    }
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const Window win = window(g, oy, ox);
        const float share = average(g, win, dyp[oy * g.ow + ox]);
        for (int64_t iy = win.y0; iy < win.y1; ++iy)
          for (int64_t ix = win.x0; ix < win.x1; ++ix) dxp[iy * g.w + ix] += share;
      }
  }
}

}  // namespace chop::kernels
