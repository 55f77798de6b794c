// The bit-exact engine; see fixed_point.h. Each value is either float32 (a float node's result,
// computed by the runtime's own kernel exactly as the float path does) or int64 mantissas on a
// grid 2^-grid. Integer nodes requantize their inputs with their quantizers, accumulate exactly
// and hand on mantissas; float nodes receive the exact values converted to float32.
#include "runtime/fixed_point.h"

#include <cmath>
#include <unordered_map>

#include "core/error.h"
#include "core/strings.h"
#include "core/table.h"
#include "runtime/executor.h"
#include "runtime/fixed_point_kernels.h"
#include "runtime/kernels.h"

namespace chop::runtime {

struct BitExactEngine::Value {
  bool fixed = false;
  at::Tensor m;    // int64 mantissas (fixed)
  int grid = 0;    // value = m * 2^-grid
  at::Tensor f32;  // float values (float)
  at::Tensor as_float() const { return fixed ? fixed_to_double(m, grid).to(at::kFloat) : f32; }
  at::Tensor as_double() const { return fixed ? fixed_to_double(m, grid) : f32.to(at::kDouble); }
};

namespace {

std::vector<int64_t> int_list(const graph::Node& n, const char* key, size_t dims) {
  const graph::Json& v = n.attrs.at(key);
  if (v.is_number_integer()) return std::vector<int64_t>(dims, v.get<int64_t>());
  return v.get<std::vector<int64_t>>();
}

at::Tensor scaled_int(double value, int grid) {
  return at::scalar_tensor(static_cast<int64_t>(std::ldexp(value, grid)),
                           at::TensorOptions().dtype(at::kLong));
}

}  // namespace

int BitExactNodeStats::observed_width() const {
  if (!(observed_min <= observed_max)) return 0;
  return interval_kif(observed_min, observed_max, format.f).width();
}

BitExactEngine::BitExactEngine(graph::Graph& g, BitExactOptions options)
    : g_(g),
      options_(options),
      analysis_(analyze_fixed_point(g, options.rounding, options.overflow)) {
  if (analysis_.n_integer_mac == 0 && analysis_.n_integer == 0)
    throw UserError("graph '" + g.model_name() +
                    "' has no node that runs in integer arithmetic: quantize its linear/conv "
                    "layers with name = \"integer\" (data_in, weight and bias) first");
  report_.n_integer = analysis_.n_integer;
  report_.n_integer_mac = analysis_.n_integer_mac;
  report_.float32_exact = analysis_.float32_exact;
  const auto& nodes = g.nodes();
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodePlan& p = analysis_.nodes[i];
    BitExactNodeStats s;
    s.name = nodes[i].name;
    s.mase_op = nodes[i].mase_op;
    s.integer = p.integer;
    s.mac = p.mac;
    s.note = p.note;
    s.format = p.mac ? p.acc.layer_kif() : p.out.layer_kif();
    s.float32_exact = p.float32_exact;
    report_.nodes.push_back(s);
  }
}

BitExactEngine::~BitExactEngine() = default;

at::Tensor BitExactEngine::to_fixed(const Value& v, const FixedSpec& s, const std::string& where) {
  if (v.fixed) return requantize(v.m, v.grid, s, options_.rounding, options_.overflow, where);
  return float_to_fixed(v.f32, s, options_.rounding, options_.overflow, &report_.nan_inputs);
}

// Counts values outside their element's format box (or off its grid) and records the range.
void BitExactEngine::check_format(size_t index, const at::Tensor& m_in, int grid,
                                  const FixedFormat& fmt) {
  BitExactNodeStats& s = report_.nodes[index];
  const at::Tensor m = m_in.contiguous();
  if (m.numel() == 0) return;
  const at::Tensor k = fmt.k.contiguous(), i = fmt.i.contiguous(), f = fmt.f.contiguous();
  const int64_t per_sample = k.numel();
  CHOP_ASSERT(per_sample > 0 && m.numel() % per_sample == 0,
              "format of node " + s.name + " does not match its value");
  const int64_t* mp = m.data_ptr<int64_t>();
  const int* kp = k.data_ptr<int>();
  const int* ip = i.data_ptr<int>();
  const int* fp = f.data_ptr<int>();
  int64_t bad = 0;
  double lo_seen = s.observed_min, hi_seen = s.observed_max;
  for (int64_t e = 0, n = m.numel(); e < n; ++e) {
    const int64_t el = e % per_sample;
    const int64_t v = mp[e];
    const double value = std::ldexp(static_cast<double>(v), -grid);
    lo_seen = std::min(lo_seen, value);
    hi_seen = std::max(hi_seen, value);
    const int shift = grid - fp[el];  // the value must be a multiple of 2^-f
    const bool off_grid = shift > 0 && shift < 63 && (v & ((int64_t{1} << shift) - 1)) != 0;
    const double lo = kp[el] ? -std::ldexp(1.0, ip[el]) : 0.0;
    const double hi = std::ldexp(1.0, ip[el]) - std::ldexp(1.0, -fp[el]);
    if (off_grid || value < lo || value > hi) ++bad;
  }
  s.observed_min = lo_seen;
  s.observed_max = hi_seen;
  s.overflows += bad;
  report_.overflows += bad;
}

BitExactEngine::Value BitExactEngine::execute(graph::Node& n, size_t index,
                                              const std::vector<const Value*>& in) {
  const NodePlan& p = analysis_.nodes[index];
  const std::string where = "node " + n.name;
  Value out;
  if (!p.integer) {
    std::vector<at::Tensor> args;
    for (const Value* v : in) args.push_back(v->as_float());
    Kernel k = find_kernel(n.mase_op);
    CHOP_ASSERT(k, "no kernel for " + n.mase_op);
    out.f32 = k(n, args, false);
    return out;
  }
  out.fixed = true;
  const std::string& op = n.mase_op;
  if (op == "linear" || op == "conv1d" || op == "conv2d" || op == "matmul" || op == "bmm") {
    const at::Tensor x = to_fixed(*in[0], *p.in_q, where);
    at::Tensor acc;
    int grid = p.in_q->frac + p.w_q->frac;
    if (op == "linear") {
      acc = int_linear(x, p.w_m);
    } else if (op == "matmul" || op == "bmm") {
      acc = int_matmul(x, to_fixed(*in[1], *p.w_q, where));
    } else {
      const bool one_d = op == "conv1d";
      auto geom = [&](const char* key, int64_t pad_1d) {
        std::vector<int64_t> v = int_list(n, key, one_d ? 1 : 2);
        if (one_d) v.insert(v.begin(), pad_1d);
        return v;
      };
      const at::Tensor x4 = one_d ? x.unsqueeze(2) : x;
      const at::Tensor w4 = one_d ? p.w_m.unsqueeze(2) : p.w_m;
      acc = int_conv2d(x4, w4, geom("stride", 1), geom("padding", 0), geom("dilation", 1),
                       n.attrs.value("groups", int64_t{1}));
      if (one_d) acc = acc.squeeze(2);
    }
    if (p.b_m.defined()) {
      const int target = std::max(grid, p.b_q->frac);
      acc = align_grid(acc, grid, target, where);
      std::vector<int64_t> bshape(static_cast<size_t>(acc.dim()), 1);
      bshape[op == "linear" ? acc.dim() - 1 : 1] = p.b_m.numel();
      acc = acc + align_grid(p.b_m, p.b_q->frac, target, where).reshape(bshape);
      grid = target;
    }
    CHOP_ASSERT(grid == p.acc.grid, "accumulator grid of " + n.name);
    check_format(index, acc, grid, p.acc);
    if (p.out_q) {
      out.m = requantize(acc, grid, *p.out_q, options_.rounding, options_.overflow, where);
      out.grid = p.out_q->frac;
    } else {
      out.m = acc;
      out.grid = grid;
    }
    return out;
  }
  if (op == "add" || op == "sub" || op == "mul") {
    at::Tensor a, b;
    int ga, gb;
    if (p.in_q) {
      a = to_fixed(*in[0], *p.in_q, where);
      b = to_fixed(*in[1], *p.in_q, where);
      ga = gb = p.in_q->frac;
    } else {
      a = in[0]->m;
      b = in[1]->m;
      ga = in[0]->grid;
      gb = in[1]->grid;
    }
    if (op == "mul") {
      out.m = a * b;
      out.grid = ga + gb;
    } else {
      const int g = std::max(ga, gb);
      a = align_grid(a, ga, g, where);
      b = align_grid(b, gb, g, where);
      out.m = op == "add" ? a + b : a - b;
      out.grid = g;
    }
    check_format(index, out.m, out.grid, p.out);
    return out;
  }
  if (op == "relu") {
    out.m = p.in_q ? to_fixed(*in[0], *p.in_q, where) : in[0]->m;
    out.grid = p.in_q ? p.in_q->frac : in[0]->grid;
    out.m = out.m.clamp_min(0);
    check_format(index, out.m, out.grid, p.out);
    return out;
  }
  const Value& x = *in[0];
  out.grid = x.grid;
  if (op == "relu6" || op == "hardtanh") {
    const double lo = op == "relu6" ? 0.0 : n.attrs.value("min_val", -1.0);
    const double hi = op == "relu6" ? 6.0 : n.attrs.value("max_val", 1.0);
    out.m = at::clamp(x.m, scaled_int(lo, x.grid).item(), scaled_int(hi, x.grid).item());
  } else if (op == "max_pool2d") {
    const std::vector<int64_t> kernel = int_list(n, "kernel_size", 2);
    const std::vector<int64_t> stride = n.attrs.contains("stride") && !n.attrs["stride"].is_null()
                                            ? int_list(n, "stride", 2)
                                            : kernel;
    const std::vector<int64_t> padding =
        n.attrs.contains("padding") ? int_list(n, "padding", 2) : std::vector<int64_t>{0, 0};
    // Integers below 2^53 (checked by the analysis) are exact in float64.
    out.m = at::max_pool2d(x.m.to(at::kDouble), kernel, stride, padding).to(at::kLong);
  } else if (op == "flatten" || op == "view") {
    out.m = find_kernel(op)(n, {x.m}, false);
  } else {
    out.m = x.m;  // dropout in inference, output
  }
  return out;
}

at::Tensor BitExactEngine::run(const at::Tensor& x_in) {
  const at::Tensor x = x_in.to(at::kFloat).cpu().contiguous();
  auto& nodes = g_.nodes();
  std::vector<at::Tensor> reference;
  if (options_.compare_with_float) {
    reference.resize(nodes.size());
    std::unordered_map<const graph::Node*, size_t> where;
    for (size_t i = 0; i < nodes.size(); ++i) where[&nodes[i]] = i;
    RunOptions ro;
    ro.observer = [&](const graph::Node& n, const std::vector<at::Tensor>&, const at::Tensor& y) {
      reference[where.at(&n)] = y.detach();
    };
    at::NoGradGuard no_grad;
    forward(g_, x, ro);
    report_.compared = true;
  }
  std::unordered_map<std::string, size_t> index;
  std::vector<Value> values(nodes.size());
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < nodes.size(); ++i) {
    graph::Node& n = nodes[i];
    index[n.name] = i;
    if (n.op == graph::FxOp::kPlaceholder) {
      values[i].f32 = x;
    } else {
      std::vector<const Value*> in;
      for (const auto& name : n.inputs) in.push_back(&values[index.at(name)]);
      try {
        values[i] = execute(n, i, in);
      } catch (const c10::Error& e) {
        std::string msg = e.what_without_backtrace();
        throw UserError("node " + n.name + " (" + n.mase_op +
                        ") failed in the integer engine: " + split(msg, '\n')[0]);
      }
    }
    if (options_.compare_with_float && reference[i].defined()) {
      const at::Tensor a = values[i].as_double(), b = reference[i].to(at::kDouble);
      const at::Tensor differ =
          at::logical_and(a != b, at::logical_not(at::logical_and(at::isnan(a), at::isnan(b))));
      const int64_t count = differ.sum().item<int64_t>();
      report_.nodes[i].mismatches += count;
      report_.mismatches += count;
      if (n.op == graph::FxOp::kOutput) report_.output_mismatches += count;
    }
    if (n.op == graph::FxOp::kOutput) {
      report_.n_samples += x.size(0);
      last_exact_ = values[i].as_double();
      return values[i].as_float();
    }
  }
  throw UserError("graph '" + g_.model_name() + "' has no output node");
}

std::string BitExactReport::table() const {
  Table t{{"Node name", "Mase op", "Arithmetic", "Format", "Bits", "Float32 exact", "Seen bits",
           "Overflows", "Mismatches"},
          {},
          {}};
  for (const auto& s : nodes) {
    const bool show = s.integer && s.format.width() > 0;
    t.rows.push_back({s.name, s.mase_op, s.integer ? (s.mac ? "integer MAC" : "integer") : "float",
                      show ? s.format.ap_type() : "", show ? std::to_string(s.format.width()) : "",
                      s.float32_exact ? "yes" : "no",
                      s.integer && n_samples > 0 ? std::to_string(s.observed_width()) : "",
                      s.integer ? with_thousands(s.overflows) : "",
                      compared ? with_thousands(s.mismatches) : "-"});
  }
  return t.render(TableStyle::kPretty);
}

std::string BitExactReport::summary() const {
  return "bit-exact: " + std::to_string(n_integer_mac) + " integer MAC layers (" +
         std::to_string(n_integer) + " integer nodes), " + with_thousands(n_samples) +
         " samples, " + with_thousands(overflows) + " format overflows, " +
         (compared ? with_thousands(output_mismatches) +
                         " output values differ from the "
                         "fake-quantized float32 path"
                   : std::string("float path not compared")) +
         (float32_exact ? " (the float32 path is exact here)"
                        : " (the float32 path rounds where an accumulator exceeds 24 bits)");
}

}  // namespace chop::runtime
