// Fixed-point analysis of a graph; see fixed_point_analysis.h. The rules are hls4ml's bit-exact
// flow (hls4ml/model/optimizer/passes/bit_exact.py, hls4ml/utils/qinterval.py): every element
// carries (k, i, f); an op turns its operands' boxes into intervals, computes the result interval
// and step (delta), and hands on to_kif of that. Bounds are float64 sums of dyadic numbers,
// exact for formats below 53 bits.
#include "runtime/fixed_point_analysis.h"

#include <cmath>
#include <unordered_map>

#include "core/error.h"
#include "graph/verify.h"
#include "runtime/fixed_point_kernels.h"
#include "runtime/kernels.h"

namespace chop::runtime {
namespace {

using graph::Node;
using Shape = std::vector<int64_t>;

const at::TensorOptions kI32 = at::TensorOptions().dtype(at::kInt);
const at::TensorOptions kF64 = at::TensorOptions().dtype(at::kDouble);

FixedFormat uniform_format(const Shape& shape, int k, int i, int f, int grid) {
  FixedFormat r;
  r.known = true;
  r.k = at::full(shape, k, kI32);
  r.i = at::full(shape, i, kI32);
  r.f = at::full(shape, f, kI32);
  r.grid = grid;
  return r;
}

// hls4ml's QIntervalArray.to_kif, element by element.
FixedFormat from_bounds(const at::Tensor& lo_in, const at::Tensor& hi_in, const at::Tensor& f_in,
                        int grid) {
  const at::Tensor lo = lo_in.contiguous(), hi = hi_in.contiguous();
  const at::Tensor fb = f_in.to(at::kInt).expand(lo.sizes()).contiguous();
  FixedFormat r;
  r.known = true;
  r.grid = grid;
  r.k = at::empty(lo.sizes(), kI32);
  r.i = at::empty(lo.sizes(), kI32);
  r.f = at::empty(lo.sizes(), kI32);
  const double* l = lo.data_ptr<double>();
  const double* h = hi.data_ptr<double>();
  const int* fp = fb.data_ptr<int>();
  int* kp = r.k.data_ptr<int>();
  int* ip = r.i.data_ptr<int>();
  int* fo = r.f.data_ptr<int>();
  for (int64_t e = 0, n = lo.numel(); e < n; ++e) {
    const Kif kif = interval_kif(l[e], h[e], fp[e]);
    kp[e] = kif.k;
    ip[e] = kif.i;
    fo[e] = kif.f;
  }
  return r;
}

// hls4ml's _minimal_f of every element.
at::Tensor minimal_frac_map(const at::Tensor& values) {
  const at::Tensor v = values.to(at::kDouble).contiguous();
  at::Tensor out = at::empty(v.sizes(), kI32);
  const double* p = v.data_ptr<double>();
  int* o = out.data_ptr<int>();
  for (int64_t e = 0, n = v.numel(); e < n; ++e) o[e] = minimal_frac(p[e]);
  return out;
}

// True when a [C, ...] map holds one value per channel.
bool channel_uniform(const at::Tensor& m) {
  if (m.dim() < 2 || m.numel() == 0) return m.dim() >= 1;
  const at::Tensor flat = m.reshape({m.size(0), -1});
  return at::equal(flat.amax(1), flat.amin(1));
}

double max_abs(const at::Tensor& lo, const at::Tensor& hi) {
  if (lo.numel() == 0) return 0;
  return std::max(lo.abs().max().item<double>(), hi.abs().max().item<double>());
}

struct QuantConfig {
  bool parsed = false;  // the node has a quantization config that quantizes it
  quant::NodeQuantConfig cfg;
};

QuantConfig node_quant(const Node& n) {
  QuantConfig q;
  if (!n.quant || !n.quant->config.is_object() || n.quant->config.empty()) return q;
  q.cfg = quant::parse_node_quant_config(n.quant->config, n.mase_op,
                                         "node " + n.name + " (" + n.mase_op + ")");
  q.parsed = q.cfg.quantized();
  return q;
}

// Why an operand quantizer keeps a node out of integer arithmetic ("" when it does not).
std::string not_fixed(const std::optional<quant::OperandQuant>& q, const char* what) {
  if (!q) return std::string(what) + " is not quantized";
  if (q->family != quant::QuantFamily::kInteger)
    return std::string(what) + " is quantized as " + q->name + ", not fixed point";
  if (q->width > 62) return std::string(what) + " is wider than 62 bits";
  return "";
}

class Analyzer {
 public:
  Analyzer(graph::Graph& g, Rounding r, Overflow o) : g_(g), rounding_(r), overflow_(o) {}

  FixedPointAnalysis run() {
    auto& nodes = g_.nodes();
    CHOP_ASSERT(!nodes.empty() && nodes.front().op == graph::FxOp::kPlaceholder,
                "graph has no placeholder");
    Shape in_shape = nodes.front().attrs.value("shape", Shape{-1});
    in_shape[0] = 1;
    const std::vector<Shape> shapes = graph::verify(g_, in_shape);
    FixedPointAnalysis a;
    a.nodes.resize(nodes.size());
    for (size_t idx = 0; idx < nodes.size(); ++idx) {
      index_[nodes[idx].name] = idx;
      // A constant (an imported model's scalar or vector operand) has no batch dimension.
      const bool batched = nodes[idx].op != graph::FxOp::kGetAttr && !shapes[idx].empty();
      sample_[nodes[idx].name] =
          batched ? Shape(shapes[idx].begin() + 1, shapes[idx].end()) : shapes[idx];
    }
    plans_ = &a.nodes;
    for (size_t idx = 0; idx < nodes.size(); ++idx) {
      NodePlan& p = a.nodes[idx];
      plan(nodes[idx], p);
      if (p.integer) {
        ++a.n_integer;
        if (p.mac) ++a.n_integer_mac;
      }
      if (!p.float32_exact) a.float32_exact = false;
    }
    return a;
  }

 private:
  const FixedFormat& producer(const Node& n, size_t k) const {
    return (*plans_)[index_.at(n.inputs.at(k))].out;
  }
  const Shape& in_shape(const Node& n, size_t k) const { return sample_.at(n.inputs.at(k)); }

  FixedFormat quantized(const FixedSpec& s, const Node& n, size_t k) const {
    return quantizer_format(s, producer(n, k), in_shape(n, k), rounding_, overflow_);
  }

  void finish_mac(const Node& n, NodePlan& p, const at::Tensor& lo, const at::Tensor& hi,
                  const at::Tensor& f, int grid, const at::Tensor& bound) {
    p.integer = p.mac = true;
    p.acc = from_bounds(lo, hi, f, grid);
    p.term_bound = bound.numel() ? bound.max().item<double>() * std::ldexp(1.0, grid) : 0;
    check_bound(n, p);
    p.out = p.out_q ? quantizer_format(*p.out_q, p.acc, sample_.at(n.name), rounding_, overflow_)
                    : p.acc;
  }

  void check_bound(const Node& n, NodePlan& p) const {
    if (p.term_bound >= 0x1p62)
      throw UserError("node " + n.name + " (" + n.mase_op + ") needs accumulators of about " +
                      std::to_string(static_cast<int>(std::ceil(std::log2(p.term_bound))) + 1) +
                      " bits; chop's integer engine holds 62-bit mantissas (narrow the "
                      "quantizers' widths or frac_widths)");
    p.float32_exact = p.term_bound <= 0x1p24;
  }

  // Quantized weight and bias of a parameter layer (the float path's values, as mantissas).
  void constants(const Node& n, NodePlan& p) const {
    p.w_m = float_to_fixed(*n.param("weight"), *p.w_q, Rounding::kHalfEven, Overflow::kSaturate);
    if (const at::Tensor* b = n.param("bias"))
      p.b_m = float_to_fixed(*b, *p.b_q, Rounding::kHalfEven, Overflow::kSaturate);
  }

  // linear / conv: integer when data_in, weight (and bias, data_out if present) are fixed point.
  std::string mac_operands(const Node& n, const QuantConfig& q, NodePlan& p) const {
    if (!q.parsed) return n.mase_op + " is not quantized";
    if (auto why = not_fixed(q.cfg.data_in, "data_in"); !why.empty()) return why;
    if (auto why = not_fixed(q.cfg.weight, "weight"); !why.empty()) return why;
    if (n.param("bias"))
      if (auto why = not_fixed(q.cfg.bias, "bias"); !why.empty()) return why;
    if (q.cfg.data_out)
      if (auto why = not_fixed(q.cfg.data_out, "data_out"); !why.empty()) return why;
    p.in_q = fixed_spec(q.cfg.data_in);
    p.w_q = fixed_spec(q.cfg.weight);
    if (n.param("bias")) p.b_q = fixed_spec(q.cfg.bias);
    p.out_q = fixed_spec(q.cfg.data_out);
    return "";
  }

  void plan_linear(const Node& n, NodePlan& p) {
    const FixedFormat x = quantized(*p.in_q, n, 0);
    p.inputs = {x};
    constants(n, p);
    const int fw = p.w_q->frac;
    const at::Tensor w = fixed_to_double(p.w_m, fw);
    // Centre/radius form: [c - r, c + r] x w = [c w - r |w|, c w + r |w|] (exact: dyadic).
    const at::Tensor lo = x.lo(), hi = x.hi();
    const at::Tensor c = (lo + hi) * 0.5, r = (hi - lo) * 0.5;
    const at::Tensor out_c = at::matmul(c, w.t()), out_r = at::matmul(r, w.abs().t());
    at::Tensor out_lo = out_c - out_r, out_hi = out_c + out_r;
    at::Tensor bound = at::matmul(c.abs() + r, w.abs().t());
    at::Tensor f = (x.f.unsqueeze(-2) + minimal_frac_map(w)).amax(-1);
    int grid = x.grid + fw;
    if (p.b_m.defined()) {
      const at::Tensor b = fixed_to_double(p.b_m, p.b_q->frac);
      out_lo = out_lo + b;
      out_hi = out_hi + b;
      bound = bound + b.abs();
      f = at::maximum(f, minimal_frac_map(b));
      grid = std::max(grid, p.b_q->frac);
    }
    finish_mac(n, p, out_lo, out_hi, f, grid, bound);
  }

  void plan_conv(const Node& n, NodePlan& p) {
    const FixedFormat x = quantized(*p.in_q, n, 0);
    p.inputs = {x};
    constants(n, p);
    const bool one_d = n.mase_op == "conv1d";
    auto pair = [&](const char* key) {
      const graph::Json& v = n.attrs.at(key);
      std::vector<int64_t> r = v.is_number_integer()
                                   ? std::vector<int64_t>(one_d ? 1 : 2, v.get<int64_t>())
                                   : v.get<std::vector<int64_t>>();
      if (one_d) r.insert(r.begin(), key == std::string("padding") ? 0 : 1);
      return r;
    };
    const auto stride = pair("stride"), padding = pair("padding"), dilation = pair("dilation");
    const int64_t groups = n.attrs.value("groups", int64_t{1});
    at::Tensor w = fixed_to_double(p.w_m, p.w_q->frac);
    if (one_d) w = w.unsqueeze(2);  // [O, C/g, 1, K]
    auto as4d = [&](const at::Tensor& t) {
      return one_d ? t.unsqueeze(0).unsqueeze(2) : t.unsqueeze(0);
    };
    const at::Tensor lo = x.lo(), hi = x.hi();
    const at::Tensor c = (lo + hi) * 0.5, r = (hi - lo) * 0.5;  // centre/radius, as in linear
    const at::Tensor w_abs = w.abs();
    // Quantizer outputs are the same at every position of a channel: then a conv needs only
    // per-tap sums (the reference BLAS makes full float64 convs the analysis' slowest step).
    const int64_t in_ch = c.size(0), in_h = one_d ? 1 : c.size(1), in_w = c.size(-1);
    const bool uniform = channel_uniform(c) && channel_uniform(r) && channel_uniform(x.f);
    auto conv = [&](const at::Tensor& in, const at::Tensor& weight) {
      if (uniform)
        return channel_uniform_conv2d(in.reshape({in_ch, -1}).select(1, 0), weight, in_h, in_w,
                                      stride, padding, dilation, groups)
            .unsqueeze(0);
      return at::conv2d(as4d(in), weight, {}, stride, padding, dilation, groups);
    };
    const at::Tensor out_c = conv(c, w), out_r = conv(r, w_abs);
    at::Tensor out_lo = out_c - out_r, out_hi = out_c + out_r;
    at::Tensor bound = conv(c.abs() + r, w_abs);
    // Step: per output element the finest of its window's terms f_in + minimal_f(w); padded
    // positions count as (k, i, f) = (0, 0, 0), as hls4ml pads the kif maps.
    const int64_t out_ch = w.size(0), kernel = w.size(2) * w.size(3);
    const at::Tensor mf = minimal_frac_map(w).to(at::kDouble);  // [O, C/g, KH, KW]
    const int64_t per_group = w.size(1) * kernel, out_per_group = out_ch / groups;
    at::Tensor f_map;
    if (uniform) {
      const at::Tensor fc = x.f.reshape({in_ch, -1}).select(1, 0).to(at::kDouble);
      const at::Tensor fg = fc.reshape({groups, 1, w.size(1), 1, 1});
      const Shape g5 = {groups, out_per_group, w.size(1), w.size(2), w.size(3)};
      const at::Tensor inside =
          (mf.reshape(g5) + fg).amax(2).reshape({out_ch, 1, 1, w.size(2), w.size(3)});
      const at::Tensor padded = mf.amax(1).reshape({out_ch, 1, 1, w.size(2), w.size(3)});
      const int64_t oh = out_c.size(2), ow = out_c.size(3);
      const at::Tensor rows = tap_mask(in_h, oh, w.size(2), stride[0], padding[0], dilation[0]);
      const at::Tensor cols = tap_mask(in_w, ow, w.size(3), stride[1], padding[1], dilation[1]);
      const at::Tensor valid =
          (rows.reshape({1, oh, 1, w.size(2), 1}) * cols.reshape({1, 1, ow, 1, w.size(3)})) > 0;
      f_map = at::where(valid, inside, padded).amax({3, 4});
    } else {
      const at::Tensor cols = at::im2col(as4d(x.f.to(at::kDouble)), {w.size(2), w.size(3)},
                                         dilation, padding, stride)[0];  // [C*K, P]
      const at::Tensor mf2 = mf.reshape({out_ch, -1});
      std::vector<at::Tensor> rows;
      for (int64_t o = 0; o < out_ch; ++o) {
        const at::Tensor cg = cols.narrow(0, (o / out_per_group) * per_group, per_group);
        rows.push_back((cg + mf2[o].unsqueeze(1)).amax(0));
      }
      f_map = at::stack(rows);
    }
    const Shape out_sample = sample_.at(n.name);
    at::Tensor f = f_map.reshape(out_sample);
    out_lo = out_lo.reshape(out_sample);
    out_hi = out_hi.reshape(out_sample);
    bound = bound.reshape(out_sample);
    int grid = x.grid + p.w_q->frac;
    if (p.b_m.defined()) {
      Shape bshape(out_sample.size(), 1);
      bshape[0] = out_ch;
      const at::Tensor b = fixed_to_double(p.b_m, p.b_q->frac).reshape(bshape);
      out_lo = out_lo + b;
      out_hi = out_hi + b;
      bound = bound + b.abs();
      f = at::maximum(f, minimal_frac_map(b).to(at::kDouble));
      grid = std::max(grid, p.b_q->frac);
    }
    finish_mac(n, p, out_lo, out_hi, f, grid, bound);
  }

  // matmul / bmm of two activations: QIntervalArray @ QIntervalArray.
  void plan_matmul(const Node& n, NodePlan& p) {
    const FixedFormat x = quantized(*p.in_q, n, 0), y = quantized(*p.w_q, n, 1);
    p.inputs = {x, y};
    const at::Tensor xl = x.lo().unsqueeze(-1), xh = x.hi().unsqueeze(-1);
    const at::Tensor yl = y.lo().unsqueeze(-3), yh = y.hi().unsqueeze(-3);
    const at::Tensor a = xl * yl, b = xl * yh, c = xh * yl, d = xh * yh;
    const at::Tensor lo = at::minimum(at::minimum(a, b), at::minimum(c, d)).sum(-2);
    const at::Tensor hi = at::maximum(at::maximum(a, b), at::maximum(c, d)).sum(-2);
    const at::Tensor bound =
        (at::maximum(xl.abs(), xh.abs()) * at::maximum(yl.abs(), yh.abs())).sum(-2);
    const at::Tensor f = (x.f.unsqueeze(-1) + y.f.unsqueeze(-3)).amax(-2);
    finish_mac(n, p, lo, hi, f, x.grid + y.grid, bound);
  }

  // add / sub / mul on two fixed-point operands.
  void plan_elementwise(const Node& n, NodePlan& p, const FixedFormat& a, const FixedFormat& b) {
    p.inputs = {a, b};
    at::Tensor lo, hi, f;
    int grid;
    if (n.mase_op == "mul") {
      const at::Tensor v1 = a.lo() * b.lo(), v2 = a.lo() * b.hi(), v3 = a.hi() * b.lo(),
                       v4 = a.hi() * b.hi();
      lo = at::minimum(at::minimum(v1, v2), at::minimum(v3, v4));
      hi = at::maximum(at::maximum(v1, v2), at::maximum(v3, v4));
      f = a.f + b.f;
      grid = a.grid + b.grid;
    } else {
      const bool add = n.mase_op == "add";
      lo = add ? a.lo() + b.lo() : a.lo() - b.hi();
      hi = add ? a.hi() + b.hi() : a.hi() - b.lo();
      f = at::maximum(a.f, b.f);
      grid = std::max(a.grid, b.grid);
    }
    p.integer = true;
    p.acc = from_bounds(lo, hi, f, grid);
    p.term_bound = max_abs(lo, hi) * std::ldexp(1.0, grid);
    check_bound(n, p);
    p.out = p.acc;
  }

  void plan(Node& n, NodePlan& p) {
    const std::string& op = n.mase_op;
    if (n.op == graph::FxOp::kPlaceholder) {
      p.note = "input (float)";
      return;
    }
    const QuantConfig q = node_quant(n);
    if (q.parsed) {
      for (const auto* o : {&q.cfg.data_in, &q.cfg.weight, &q.cfg.bias, &q.cfg.data_out})
        if (*o && (*o)->family == quant::QuantFamily::kInteger && (*o)->width > 62)
          throw UserError("node " + n.name + ": a " + std::to_string((*o)->width) +
                          "-bit integer quantizer is wider than chop's integer engine (62 bits)");
    }
    if (op == "linear" || op == "conv1d" || op == "conv2d") {
      p.note = mac_operands(n, q, p);
      if (!p.note.empty()) return;
      if (op == "linear")
        plan_linear(n, p);
      else
        plan_conv(n, p);
      p.note = "integer multiply-accumulate";
      return;
    }
    if (op == "matmul" || op == "bmm") {
      if (!q.parsed) {
        p.note = op + " is not quantized";
      } else if (auto why = not_fixed(q.cfg.data_in, "data_in"); !why.empty()) {
        p.note = why;
      } else if (auto why2 = not_fixed(q.cfg.weight, "weight"); !why2.empty()) {
        p.note = why2;
      } else {
        p.in_q = fixed_spec(q.cfg.data_in);
        p.w_q = fixed_spec(q.cfg.weight);
        plan_matmul(n, p);
        p.note = "integer multiply-accumulate";
      }
      return;
    }
    const size_t n_in = n.inputs.size();
    auto all_known = [&]() {
      for (size_t k = 0; k < n_in; ++k)
        if (!producer(n, k).known) return false;
      return n_in > 0;
    };
    if (op == "add" || op == "sub" || op == "mul") {
      if (q.parsed) {
        if (auto why = not_fixed(q.cfg.data_in, "data_in"); !why.empty()) {
          p.note = why;
          return;
        }
        p.in_q = fixed_spec(q.cfg.data_in);
        plan_elementwise(n, p, quantized(*p.in_q, n, 0), quantized(*p.in_q, n, 1));
      } else if (all_known()) {
        plan_elementwise(n, p, producer(n, 0), producer(n, 1));
      } else {
        p.note = op + " of float data";
        return;
      }
      p.note = "integer " + op;
      return;
    }
    if (op == "relu") {
      FixedFormat x;
      if (q.parsed) {
        if (auto why = not_fixed(q.cfg.data_in, "data_in"); !why.empty()) {
          p.note = why;
          return;
        }
        p.in_q = fixed_spec(q.cfg.data_in);
        x = quantized(*p.in_q, n, 0);
      } else if (all_known()) {
        x = producer(n, 0);
      } else {
        p.note = "relu of float data";
        return;
      }
      p.inputs = {x};
      p.integer = true;
      p.out = x;
      p.out.k = at::zeros_like(x.k);  // hls4ml: relu keeps i and f, drops the sign
      p.note = "integer max(x, 0)";
      return;
    }
    if (op == "relu6" || op == "hardtanh") {
      const double lo_v = op == "relu6" ? 0.0 : n.attrs.value("min_val", -1.0);
      const double hi_v = op == "relu6" ? 6.0 : n.attrs.value("max_val", 1.0);
      if (!all_known()) {
        p.note = op + " of float data";
        return;
      }
      const FixedFormat& x = producer(n, 0);
      const double sl = std::ldexp(lo_v, x.grid), sh = std::ldexp(hi_v, x.grid);
      if (sl != std::floor(sl) || sh != std::floor(sh)) {
        p.note = op + " bounds are not on the input's grid";
        return;
      }
      p.inputs = {x};
      p.integer = true;
      p.out = from_bounds(x.lo().clamp(lo_v, hi_v), x.hi().clamp(lo_v, hi_v), x.f, x.grid);
      p.note = "integer clamp";
      return;
    }
    if (op == "max_pool2d" || op == "flatten" || op == "view" || op == "dropout" ||
        n.op == graph::FxOp::kOutput) {
      if (!all_known()) {
        p.note = n.op == graph::FxOp::kOutput ? "output (float)" : op + " of float data";
        return;
      }
      const FixedFormat& x = producer(n, 0);
      p.inputs = {x};
      p.integer = true;
      p.out = x;
      if (op == "max_pool2d") {
        p.out = pool_format(n, x);
        if (max_abs(x.lo(), x.hi()) * std::ldexp(1.0, x.grid) >= 0x1p53)
          throw UserError("node " + n.name + ": max_pool2d of values wider than 53 bits");
      } else if (op == "flatten" || op == "view") {
        Kernel kern = find_kernel(op);
        auto reshape = [&](const at::Tensor& t) {
          return kern(n, {t.unsqueeze(0)}, false).squeeze(0);
        };
        p.out.k = reshape(x.k);
        p.out.i = reshape(x.i);
        p.out.f = reshape(x.f);
      }
      p.note = n.op == graph::FxOp::kOutput ? "output (integer)" : "integer " + op;
      return;
    }
    p.note = op + (q.parsed ? " (not fixed point)" : " is not quantized") + " (runs in float)";
  }

  // hls4ml's pooling kif: (max k, max i, max f) over each window, the maps padded with zeros.
  FixedFormat pool_format(Node& n, const FixedFormat& x) const {
    auto ints = [&](const char* key) {
      const graph::Json& v = n.attrs.at(key);
      return v.is_number_integer() ? std::vector<int64_t>(2, v.get<int64_t>())
                                   : v.get<std::vector<int64_t>>();
    };
    const auto kernel = ints("kernel_size");
    const auto stride =
        n.attrs.contains("stride") && !n.attrs["stride"].is_null() ? ints("stride") : kernel;
    const auto pad = n.attrs.contains("padding") ? ints("padding") : std::vector<int64_t>{0, 0};
    auto pool = [&](const at::Tensor& m) {
      at::Tensor t =
          at::constant_pad_nd(m.to(at::kDouble).unsqueeze(0), {pad[1], pad[1], pad[0], pad[0]}, 0);
      return at::max_pool2d(t, kernel, stride).squeeze(0).to(at::kInt);
    };
    FixedFormat r = x;
    r.k = pool(x.k);
    r.i = pool(x.i);
    r.f = pool(x.f);
    return r;
  }

  graph::Graph& g_;
  Rounding rounding_;
  Overflow overflow_;
  std::vector<NodePlan>* plans_ = nullptr;
  std::unordered_map<std::string, size_t> index_;
  std::unordered_map<std::string, Shape> sample_;
};

}  // namespace

Kif FixedFormat::layer_kif() const {
  if (!known || k.numel() == 0) return {};
  return Kif{k.max().item<int>(), i.max().item<int>(), f.max().item<int>()};
}

at::Tensor FixedFormat::lo() const {
  return -k.to(at::kDouble) * at::exp2(i.to(at::kDouble));
}

at::Tensor FixedFormat::hi() const {
  return at::exp2(i.to(at::kDouble)) - at::exp2(-f.to(at::kDouble));
}

at::Tensor FixedFormat::bits() const {
  return (k + i + f).to(at::kDouble);
}

FixedFormat quantizer_format(const FixedSpec& spec, const FixedFormat& in, const Shape& shape,
                             Rounding rounding, Overflow overflow) {
  const int qk = spec.is_signed ? 1 : 0, qf = spec.frac, qi = spec.width - qk - spec.frac;
  if (!in.known) return uniform_format(shape, qk, qi, qf, qf);
  const at::Tensor lk = in.k.expand(shape), li = in.i.expand(shape), lf = in.f.expand(shape);
  at::Tensor k = at::minimum(lk, at::full({}, qk, kI32));
  at::Tensor i = at::minimum(li, at::full({}, qi, kI32));
  at::Tensor f = at::minimum(lf, at::full({}, qf, kI32));
  // A rounding quantizer may carry into one more integer bit (ufixed<2,0> -> ufixed<2,1,RND>).
  at::Tensor carry = at::logical_and(lf > qf, li < qi);
  if (rounding == Rounding::kTruncate) carry = at::logical_and(carry, at::full({}, qk != 0));
  i = i + carry.to(at::kInt);
  if (overflow == Overflow::kSaturate) {
    // hls4ml keeps min(f, lf), assuming values stay on the input's coarser grid; a saturated
    // value is the quantizer's bound, on its own grid (2^i - 2^-f; -2^i). Keep that f where
    // the input range reaches past a bound (found by the engine's format check: ufixed<4,3> into
    // fixed<4,2> gives 1.75, which f = 1 cannot hold).
    const at::Tensor in_hi = at::exp2(li.to(at::kDouble)) - at::exp2(-lf.to(at::kDouble));
    const at::Tensor in_lo = -lk.to(at::kDouble) * at::exp2(li.to(at::kDouble));
    const at::Tensor sat_hi = in_hi > std::ldexp(1.0, qi) - std::ldexp(1.0, -qf);
    const at::Tensor sat_lo = in_lo < -qk * std::ldexp(1.0, qi);
    f = at::where(sat_hi, at::maximum(f, at::full({}, qf, kI32)), f);
    if (qk) f = at::where(sat_lo, at::maximum(f, at::full({}, -qi, kI32)), f);
  }
  if (overflow == Overflow::kWrap) {
    // A wrapping quantizer keeps its own format unless its range covers the input's.
    const at::Tensor keep =
        at::logical_and(std::ldexp(1.0, qi) - std::ldexp(1.0, -qf) >=
                            at::exp2(li.to(at::kDouble)) - at::exp2(-lf.to(at::kDouble)),
                        lk <= qk);
    k = at::where(keep, k, at::full({}, qk, kI32));
    i = at::where(keep, i, at::full({}, qi, kI32));
    f = at::where(keep, f, at::full({}, qf, kI32));
  }
  const at::Tensor zero = (k + i + f) <= 0;
  FixedFormat r;
  r.known = true;
  r.k = at::where(zero, 0, k).to(at::kInt).contiguous();
  r.i = at::where(zero, 0, i).to(at::kInt).contiguous();
  r.f = at::where(zero, 0, f).to(at::kInt).contiguous();
  r.grid = qf;
  return r;
}

FixedPointAnalysis analyze_fixed_point(graph::Graph& g, Rounding rounding, Overflow overflow) {
  return Analyzer(g, rounding, overflow).run();
}

}  // namespace chop::runtime
