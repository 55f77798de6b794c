// Integer kernels; see fixed_point_kernels.h. Plain loops over contiguous int64 data: dot
// products with four independent accumulators (GCC keeps int64 multiplies scalar on x86-64's
// baseline; the independent chains are what makes them fast).
#include "runtime/fixed_point_kernels.h"

#include "core/error.h"

namespace chop::runtime {
namespace {

int64_t dot(const int64_t* __restrict a, const int64_t* __restrict b, int64_t n) {
  int64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

at::Tensor int_linear(const at::Tensor& x_in, const at::Tensor& w_in) {
  CHOP_ASSERT(x_in.scalar_type() == at::kLong && w_in.scalar_type() == at::kLong,
              "int_linear takes int64 mantissas");
  const int64_t f = w_in.size(1), o = w_in.size(0);
  const at::Tensor x = x_in.reshape({-1, f}).contiguous(), w = w_in.contiguous();
  const int64_t rows = x.size(0);
  at::Tensor out = at::empty({rows, o}, x.options());
  const int64_t* xp = x.data_ptr<int64_t>();
  const int64_t* wp = w.data_ptr<int64_t>();
  int64_t* y = out.data_ptr<int64_t>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < o; ++j) y[r * o + j] = dot(xp + r * f, wp + j * f, f);
  std::vector<int64_t> shape(x_in.sizes().begin(), x_in.sizes().end());
  shape.back() = o;
  return out.reshape(shape);
}

at::Tensor int_conv2d(const at::Tensor& x_in, const at::Tensor& w_in,
                      const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                      const std::vector<int64_t>& dilation, int64_t groups) {
  const at::Tensor x = x_in.contiguous(), w = w_in.contiguous();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t o = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3);
  const int64_t oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0] + 1;
  const int64_t ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1] + 1;
  CHOP_ASSERT(cg * groups == c && o % groups == 0 && oh > 0 && ow > 0, "bad conv geometry");
  at::Tensor out = at::empty({n, o, oh, ow}, x.options());
  const int64_t len = cg * kh * kw, positions = oh * ow, o_per_group = o / groups;
  std::vector<int64_t> cols(static_cast<size_t>(positions * len));
  const int64_t* xp = x.data_ptr<int64_t>();
  const int64_t* wp = w.data_ptr<int64_t>();
  int64_t* y = out.data_ptr<int64_t>();
  for (int64_t s = 0; s < n; ++s) {
    for (int64_t g = 0; g < groups; ++g) {
      // im2col of this sample and group: one row of `len` inputs per output position.
      for (int64_t py = 0; py < oh; ++py)
        for (int64_t px = 0; px < ow; ++px) {
          int64_t* col = cols.data() + (py * ow + px) * len;
          for (int64_t ci = 0; ci < cg; ++ci) {
            const int64_t* plane = xp + ((s * c) + g * cg + ci) * h * wd;
            for (int64_t ky = 0; ky < kh; ++ky) {
              const int64_t iy = py * stride[0] - padding[0] + ky * dilation[0];
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t ix = px * stride[1] - padding[1] + kx * dilation[1];
                *col++ = (iy >= 0 && iy < h && ix >= 0 && ix < wd) ? plane[iy * wd + ix] : 0;
              }
            }
          }
        }
      for (int64_t oc = g * o_per_group; oc < (g + 1) * o_per_group; ++oc) {
        const int64_t* wr = wp + oc * len;
        int64_t* yo = y + (s * o + oc) * positions;
        for (int64_t p = 0; p < positions; ++p) yo[p] = dot(cols.data() + p * len, wr, len);
      }
    }
  }
  return out;
}

at::Tensor tap_mask(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding,
                    int64_t dilation) {
  at::Tensor m = at::zeros({out, k}, at::TensorOptions().dtype(at::kDouble));
  double* p = m.data_ptr<double>();
  for (int64_t o = 0; o < out; ++o)
    for (int64_t t = 0; t < k; ++t) {
      const int64_t pos = o * stride - padding + t * dilation;
      p[o * k + t] = pos >= 0 && pos < in ? 1.0 : 0.0;
    }
  return m;
}

at::Tensor channel_uniform_conv2d(const at::Tensor& v, const at::Tensor& w, int64_t h, int64_t wd,
                                  const std::vector<int64_t>& stride,
                                  const std::vector<int64_t>& padding,
                                  const std::vector<int64_t>& dilation, int64_t groups) {
  const int64_t o = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3);
  const int64_t oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0] + 1;
  const int64_t ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1] + 1;
  // Per output channel and tap: sum over its group's input channels of v[c] * w.
  const at::Tensor vg = v.reshape({groups, 1, cg, 1, 1});
  const at::Tensor taps =
      (w.reshape({groups, o / groups, cg, kh, kw}) * vg).sum(2).reshape({o, kh, kw});
  const at::Tensor rows = tap_mask(h, oh, kh, stride[0], padding[0], dilation[0]);
  const at::Tensor cols = tap_mask(wd, ow, kw, stride[1], padding[1], dilation[1]);
  // out[o, y, x] = sum_{a, b} rows[y, a] taps[o, a, b] cols[x, b]
  return at::matmul(at::matmul(rows, taps), cols.t());
}

at::Tensor int_matmul(const at::Tensor& a_in, const at::Tensor& b_in) {
  at::Tensor a = a_in.dim() == 1 ? a_in.unsqueeze(0) : a_in;
  at::Tensor b = b_in.dim() == 1 ? b_in.unsqueeze(1) : b_in;
  const int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  CHOP_ASSERT(b.size(-2) == k, "int_matmul: inner dimensions differ");
  std::vector<int64_t> batch_a(a.sizes().begin(), a.sizes().end() - 2);
  std::vector<int64_t> batch_b(b.sizes().begin(), b.sizes().end() - 2);
  std::vector<int64_t> batch = at::infer_size(batch_a, batch_b);
  std::vector<int64_t> sa = batch, sb = batch;
  sa.insert(sa.end(), {n, k});
  sb.insert(sb.end(), {m, k});
  const at::Tensor ac = a.expand(sa).contiguous();
  const at::Tensor bt = b.transpose(-1, -2).expand(sb).contiguous();  // rows of b^T
  int64_t n_batch = 1;
  for (int64_t d : batch) n_batch *= d;
  std::vector<int64_t> so = batch;
  so.insert(so.end(), {n, m});
  at::Tensor out = at::empty(so, a.options());
  const int64_t* ap = ac.data_ptr<int64_t>();
  const int64_t* bp = bt.data_ptr<int64_t>();
  int64_t* y = out.data_ptr<int64_t>();
  for (int64_t t = 0; t < n_batch; ++t)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j)
        y[(t * n + i) * m + j] = dot(ap + (t * n + i) * k, bp + (t * m + j) * k, k);
  if (a_in.dim() == 1) out = out.squeeze(-2);
  if (b_in.dim() == 1) out = out.squeeze(-1);
  return out;
}

}  // namespace chop::runtime
