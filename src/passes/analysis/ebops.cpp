// ebops: HGQ's effective bit operations per node and in total, for one inference. For a
// multiply-accumulate layer, the sum over its MACs of (input element bits) x (weight bits),
// where a weight's bits are its effective width — the span from its highest to its lowest set
// bit, 0 for a zero weight (HGQ: calad0i/HGQ src/HGQ/layers/dense.py compute_exact_bops,
// conv.py, quantizer.py get_arr_bits) — and an input element's bits are, by activation_bits:
// its quantizer's width, its hls4ml interval format (k + i + f), or HGQ's calibrated width from
// observed min/max (HGQ get_bits_exact). Other layers follow HGQ2 (calad0i/HGQ2
// src/hgq/layers/*: batch_normalization.py, ops/merge.py, pooling.py). docs/hardware-cost.md.
#include <cmath>
#include <ostream>
#include <unordered_map>

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "passes/analysis/hw_operands.h"
#include "passes/pass_list.h"
#include "quant/integer.h"
#include "runtime/executor.h"
#include "runtime/fixed_point_analysis.h"
#include "runtime/fixed_point_kernels.h"

namespace chop::passes {
namespace {

using runtime::FixedPointAnalysis;

struct Options {
  std::string mode;  // quantizer | interval | calibrated
  double float_width = 32;
  bool fold = false;
  bool include_bias = false;
  int64_t n_batches = 4;
};

// Observed per-element range of an operand as the node consumes it (calibrated mode).
struct Range {
  at::Tensor lo, hi;  // float64, one sample's shape
};

double quantizer_width(const quant::OperandQuant& q) {
  if (q.family == quant::QuantFamily::kBinary) return 1;
  if (q.family == quant::QuantFamily::kTernary) return 2;
  return q.width;
}

// HGQ's get_bits_exact from a min/max record: k = min < 0, i = max(ceil(log2|min|),
// ceil(log2|max + 2^-f|)) clipped to [-f - k, 32], bits = k + i + f (0 where that is 0).
at::Tensor calibrated_bits(const Range& r, int f) {
  const at::Tensor lo = r.lo.contiguous(), hi = r.hi.contiguous();
  at::Tensor out = at::empty(lo.sizes(), at::TensorOptions().dtype(at::kDouble));
  const double* l = lo.data_ptr<double>();
  const double* h = hi.data_ptr<double>();
  double* o = out.data_ptr<double>();
  for (int64_t e = 0, n = lo.numel(); e < n; ++e) {
    const double k = l[e] < 0 ? 1 : 0;
    double i = std::max(std::ceil(std::log2(std::fabs(l[e]))),
                        std::ceil(std::log2(std::fabs(h[e] + std::ldexp(1.0, -f)))));
    i = std::min(32.0, std::max(-f - k, i));
    const double bits = k + i + f;
    o[e] = bits == 0 ? 0 : bits;
  }
  return out;
}

class Ebops {
 public:
  Ebops(graph::Graph& g, const Options& o, PassContext& ctx) : g_(g), o_(o), ctx_(ctx) {}

  PassResult run() {
    shapes_ = batch1_shapes(g_);
    for (size_t i = 0; i < g_.nodes().size(); ++i) index_[g_.nodes()[i].name] = i;
    try {
      analysis_ = runtime::analyze_fixed_point(g_);
      have_analysis_ = true;
    } catch (const UserError&) {
      if (o_.mode == "interval") throw;
    }
    if (o_.mode == "calibrated") calibrate();
    Table t{{"Node name", "Mase op", "MACs", "BOPs", "EBOPs"}, {}, {}};
    Json per_node = Json::object();
    double total = 0, total_bops = 0, total_macs = 0;
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      graph::Node& n = g_.nodes()[i];
      if (n.op == graph::FxOp::kPlaceholder || n.op == graph::FxOp::kOutput) continue;
      double macs = 0, bops = 0;
      if (auto mac = mac_layer(g_, i, shapes_)) {
        macs = mac->macs;
        bops = mac->macs * mac->input.bits * mac->weight.bits;
      }
      const double e = node_ebops(n, i);
      total += e;
      total_bops += bops;
      total_macs += macs;
      Json j{{"ebops", e}, {"macs", macs}, {"bops", bops}};
      per_node[n.name] = j;
      n.meta["hardware"]["ebops"] = e;
      t.rows.push_back(
          {n.name, n.mase_op, macs ? figure(macs) : "", bops ? figure(bops) : "", figure(e)});
    }
    t.rows.push_back({"total", "", figure(total_macs), figure(total_bops), figure(total)});
    if (!ctx_.save_dir.empty()) write_file_atomic(ctx_.save_dir + "/ebops.csv", t.to_csv());
    if (ctx_.out)
      *ctx_.out << "EBOPs per layer (HGQ, one inference; input bits from " << o_.mode
                << (o_.fold ? ", batch norm folded" : "") << ")\n"
                << t.render(TableStyle::kPretty);
    g_.meta()["hardware"]["ebops"] = total;
    PassResult r;
    r.info["total"] = total;
    r.info["total_bops"] = total_bops;
    r.info["total_macs"] = total_macs;
    r.info["activation_bits"] = o_.mode;
    r.info["per_node"] = per_node;
    return r;
  }

 private:
  const graph::Shape sample(size_t node_index) const {
    const graph::Shape& s = shapes_[node_index];
    // A constant (an imported model's scalar or vector operand) has no batch dimension.
    if (s.empty() || g_.nodes()[node_index].op == graph::FxOp::kGetAttr) return s;
    return graph::Shape(s.begin() + 1, s.end());
  }

  // The quantizer a node applies to its input k (data_in; matmul's second operand: weight).
  std::optional<quant::OperandQuant> input_quantizer(const graph::Node& n, size_t k) const {
    const auto cfg = node_quant_config(n);
    if (!cfg) return std::nullopt;
    if (k == 1 && (n.mase_op == "matmul" || n.mase_op == "bmm")) return cfg->weight;
    return cfg->data_in;
  }

  // Bits of every element of input k of node `index`, one sample's shape (float64).
  at::Tensor input_bits(const graph::Node& n, size_t index, size_t k) {
    const size_t producer = index_.at(n.inputs.at(k));
    const graph::Shape shape = sample(producer);
    const auto q = input_quantizer(n, k);
    const auto uniform = [&](double v) {
      return at::full(shape, v, at::TensorOptions().dtype(at::kDouble));
    };
    const runtime::FixedFormat* produced = have_analysis_ && analysis_.nodes[producer].out.known
                                               ? &analysis_.nodes[producer].out
                                               : nullptr;
    if (o_.mode == "interval" && have_analysis_) {
      const auto& plan = analysis_.nodes[index];
      if (plan.integer && k < plan.inputs.size() && plan.inputs[k].known)
        return plan.inputs[k].bits().reshape(shape);
    }
    if (o_.mode == "calibrated") {
      const auto it = ranges_.find(key(index, k));
      if (it != ranges_.end()) {
        if (q && q->family == quant::QuantFamily::kInteger)
          return calibrated_bits(it->second, quant::effective_frac_width(q->width, q->frac_width));
        if (!q && produced) return calibrated_bits(it->second, produced->layer_kif().f);
      }
    }
    if (q) return uniform(quantizer_width(*q));
    if (produced) {
      if (o_.mode == "interval") return produced->bits().reshape(shape);
      return uniform(produced->layer_kif().width());
    }
    return uniform(o_.float_width);
  }

  // Effective bits of every weight of a parameter layer (folded with a following batch norm).
  at::Tensor weight_bits(const graph::Node& n) {
    at::NoGradGuard no_grad;
    at::Tensor w = n.param("weight")->detach();
    if (const graph::Node* bn = folded_bn_after(n)) {
      std::vector<int64_t> shape(static_cast<size_t>(w.dim()), 1);
      shape[0] = w.size(0);
      w = w * bn_scale(*bn).reshape(shape);
    }
    const auto cfg = node_quant_config(n);
    if (cfg && cfg->weight && n.quant && n.quant->weight) {
      const at::Tensor q = n.quant->weight(w).to(at::kDouble).contiguous();
      if (cfg->weight->family != quant::QuantFamily::kInteger)
        return (q != 0).to(at::kDouble) * quantizer_width(*cfg->weight);
      at::Tensor bits = at::empty(q.sizes(), q.options());
      const double* p = q.data_ptr<double>();
      double* b = bits.data_ptr<double>();
      for (int64_t e = 0, m = q.numel(); e < m; ++e) b[e] = runtime::effective_bits(p[e]);
      return bits;
    }
    return (w != 0).to(at::kDouble) * o_.float_width;
  }

  double bias_bits_mean(const graph::Node& n) {
    const at::Tensor* b = n.param("bias");
    if (!b) return 0;
    const auto cfg = node_quant_config(n);
    if (cfg && cfg->bias) return quantizer_width(*cfg->bias);
    return (b->detach() != 0).to(at::kDouble).mean().item<double>() * o_.float_width;
  }

  // gamma / sqrt(var + eps) of a batch norm, per channel.
  static at::Tensor bn_scale(const graph::Node& bn) {
    graph::Node& m = const_cast<graph::Node&>(bn);
    at::Tensor var = m.buffer("running_var")->detach();
    at::Tensor s = 1.0 / at::sqrt(var + bn.attrs.value("eps", 1e-5));
    if (const at::Tensor* gamma = bn.param("weight")) s = s * gamma->detach();
    return s;
  }

  // The batch norm folded into `n` (fold mode: n is its only input and it is n's only user).
  const graph::Node* folded_bn_after(const graph::Node& n) const {
    if (!o_.fold) return nullptr;
    const auto users = g_.users(n.name);
    if (users.size() != 1) return nullptr;
    const graph::Node& u = g_.node(users[0]);
    if ((u.mase_op != "batch_norm1d" && u.mase_op != "batch_norm2d") || !u.param("weight") ||
        !const_cast<graph::Node&>(u).buffer("running_var"))
      return nullptr;
    return &u;
  }

  bool folded(const graph::Node& bn) const {
    if (!o_.fold) return false;
    const graph::Node& p = g_.node(bn.inputs.at(0));
    return (p.mase_op == "linear" || p.mase_op == "conv1d" || p.mase_op == "conv2d") &&
           folded_bn_after(p) == &bn;
  }

  double node_ebops(graph::Node& n, size_t index) {
    const std::string& op = n.mase_op;
    if (op == "linear" || op == "conv1d" || op == "conv2d") {
      const at::Tensor bw_in = input_bits(n, index, 0);
      const at::Tensor bw_w = weight_bits(n);
      double e;
      if (op == "linear") {
        e = at::matmul(bw_in, bw_w.t()).sum().item<double>();
      } else {
        auto ints = [&](const char* key) {
          const graph::Json& v = n.attrs.at(key);
          std::vector<int64_t> r =
              v.is_number_integer() ? std::vector<int64_t>(op == "conv1d" ? 1 : 2, v.get<int64_t>())
                                    : v.get<std::vector<int64_t>>();
          return r;
        };
        const int64_t groups = n.attrs.value("groups", int64_t{1});
        const at::Tensor x = bw_in.unsqueeze(0);
        const at::Tensor flat = bw_in.reshape({bw_in.size(0), -1});
        if (op == "conv2d" && at::equal(flat.amax(1), flat.amin(1))) {
          // The same bits at every position of a channel: per-tap sums (HGQ's convolution of
          // the bit maps, without a float64 conv over every position).
          e = runtime::channel_uniform_conv2d(flat.select(1, 0), bw_w, bw_in.size(1), bw_in.size(2),
                                              ints("stride"), ints("padding"), ints("dilation"),
                                              groups)
                  .sum()
                  .item<double>();
        } else {
          e = (op == "conv1d" ? at::conv1d(x, bw_w, {}, ints("stride"), ints("padding"),
                                           ints("dilation"), groups)
                              : at::conv2d(x, bw_w, {}, ints("stride"), ints("padding"),
                                           ints("dilation"), groups))
                  .sum()
                  .item<double>();
        }
      }
      if (o_.include_bias) {
        const graph::Shape out = sample(index);
        int64_t size = 1;
        for (int64_t d : out) size *= d;
        e += bias_bits_mean(n) * static_cast<double>(size);
      }
      return e;
    }
    if (op == "matmul" || op == "bmm")
      return at::matmul(input_bits(n, index, 0), input_bits(n, index, 1)).sum().item<double>();
    if (op == "batch_norm1d" || op == "batch_norm2d") {
      if (folded(n)) return 0;
      // HGQ2 QBatchNormalization: sum(bits_in x bits_scale) + mean(bits_bias) x size; chop's
      // batch norms are float, so scale and shift count float_width bits (0 where 0).
      const at::Tensor bw_in = input_bits(n, index, 0);
      at::Tensor scale = bn_scale(n);
      at::Tensor shift = -const_cast<graph::Node&>(n).buffer("running_mean")->detach() * scale;
      if (const at::Tensor* beta = n.param("bias")) shift = shift + beta->detach();
      std::vector<int64_t> cshape(static_cast<size_t>(bw_in.dim()), 1);
      cshape[0] = scale.numel();
      const at::Tensor bw_scale = ((scale != 0).to(at::kDouble) * o_.float_width).reshape(cshape);
      const double bias_mean = (shift != 0).to(at::kDouble).mean().item<double>() * o_.float_width;
      return (bw_in * bw_scale).sum().item<double>() + bias_mean * bw_in.numel();
    }
    if (op == "add" || op == "sub" || op == "mul") {
      const at::Tensor a = input_bits(n, index, 0), b = input_bits(n, index, 1);
      if (op == "mul") return (a * b).sum().item<double>();  // HGQ2 QMultiply
      const double m = at::maximum(a, b).sum().item<double>();
      return op == "add" ? 0.65 * m : m;  // HGQ2 QAdd (sum - min = max for two) / QSubtract
    }
    if (op == "max_pool2d" || op == "avg_pool2d" || op == "adaptive_avg_pool2d")
      return input_bits(n, index, 0).sum().item<double>();  // HGQ2 QBasePooling
    return 0;  // relu, clamps, reshapes, dropout: wiring and comparators HGQ does not count
  }

  static std::string key(size_t index, size_t k) {
    return std::to_string(index) + ":" + std::to_string(k);
  }

  // Observed per-element min/max of every consumed operand over n_batches batches.
  void calibrate() {
    std::unordered_map<const graph::Node*, size_t> where;
    for (size_t i = 0; i < g_.nodes().size(); ++i) where[&g_.nodes()[i]] = i;
    runtime::RunOptions ro;
    ro.observer = [&](const graph::Node& n, const std::vector<at::Tensor>& in, const at::Tensor&) {
      const size_t index = where.at(&n);
      for (size_t k = 0; k < in.size(); ++k) {
        at::Tensor v = in[k].detach();
        const bool second = k == 1 && (n.mase_op == "matmul" || n.mase_op == "bmm");
        if (n.quant && (second ? n.quant->weight : n.quant->data_in))
          v = second ? n.quant->weight(v) : n.quant->data_in(v);
        v = v.to(at::kDouble);
        const at::Tensor lo = v.amin(0), hi = v.amax(0);
        auto it = ranges_.find(key(index, k));
        if (it == ranges_.end()) {
          ranges_[key(index, k)] = Range{lo, hi};
        } else {
          it->second.lo = at::minimum(it->second.lo, lo);
          it->second.hi = at::maximum(it->second.hi, hi);
        }
      }
    };
    at::NoGradGuard no_grad;
    for (int64_t b = 0; b < o_.n_batches; ++b) runtime::forward(g_, ctx_.batch(g_, b), ro);
  }

  graph::Graph& g_;
  Options o_;
  PassContext& ctx_;
  std::vector<graph::Shape> shapes_;
  std::unordered_map<std::string, size_t> index_;
  FixedPointAnalysis analysis_;
  bool have_analysis_ = false;
  std::unordered_map<std::string, Range> ranges_;
};

Options parse(const Json& opts, const PassContext& ctx) {
  Options o;
  o.mode = opts["activation_bits"].get<std::string>();
  const std::vector<std::string> modes = {"quantizer", "interval", "calibrated"};
  if (std::find(modes.begin(), modes.end(), o.mode) == modes.end())
    throw ConfigError(ctx.locate("activation_bits"),
                      "activation_bits = \"" + o.mode + "\" is not allowed" +
                          did_you_mean(o.mode, modes) + "; expected one of " + list_of(modes));
  const std::string bn = opts["batch_norm"].get<std::string>();
  if (bn != "separate" && bn != "fold")
    throw ConfigError(ctx.locate("batch_norm"), "batch_norm = \"" + bn +
                                                    "\" is not allowed; expected \"separate\" or "
                                                    "\"fold\" (into the linear/conv before it)");
  o.fold = bn == "fold";
  o.float_width = opts["float_width"].get<double>();
  if (!(o.float_width >= 1 && o.float_width <= 64))
    throw ConfigError(
        ctx.locate("float_width"),
        "float_width must be a number of bits in [1, 64], got " + format_double(o.float_width));
  o.include_bias = opts["include_bias"].get<bool>();
  o.n_batches = opts["n_batches"].get<int64_t>();
  if (o.n_batches < 1)
    throw ConfigError(ctx.locate("n_batches"),
                      "n_batches must be at least 1, got " + std::to_string(o.n_batches));
  return o;
}

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  return Ebops(g, parse(opts, ctx), ctx).run();
}

void check(const Json& opts, const PassContext& ctx) {
  parse(opts, ctx);
}

}  // namespace

Pass ebops_pass() {
  return Pass{
      "ebops",
      "analysis",
      "HGQ's effective bit operations per inference: MACs x effective operand bits (zero "
      "weights and trailing zero bits are free)",
      {{"activation_bits", "string", "quantizer", false,
        "input bits: \"quantizer\" (its width), \"interval\" (hls4ml's inferred format), "
        "\"calibrated\" (HGQ: observed range over n_batches batches)"},
       {"batch_norm", "string", "separate", false,
        "\"separate\" (its own per-element multiply) or \"fold\" (into the linear/conv before "
        "it, whose weights are then scaled)"},
       {"float_width", "number", 32, false, "bits of an unquantized operand"},
       {"include_bias", "bool", false, false, "add HGQ2's bias term: mean bias bits x outputs"},
       {"n_batches", "int", 4, false, "calibration batches (activation_bits = \"calibrated\")"}},
      false,
      run,
      check};
}

}  // namespace chop::passes
