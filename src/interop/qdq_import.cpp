// ONNX Runtime's QDQ format: QuantizeLinear -> DequantizeLinear pairs with a power-of-two scale
// and zero point 0 become chop's integer quantizers (int8 signed, uint8 unsigned), narrowed to
// fewer bits when a Clip to a code range precedes QuantizeLinear — what `chop export --format
// qdq` writes; int8/uint8 initializers behind DequantizeLinear become quantized weights.
#include <cmath>

#include "core/strings.h"
#include "interop/onnx_import_internal.h"

namespace chop::interop::onnx_import {
namespace {

using Kind = Value::Kind;

struct CodeType {
  bool is_signed;
  double lo, hi;
};

CodeType code_type(const ConvertContext& ctx, size_t zp_input) {
  const int t = ctx.has_input(zp_input) ? onnx_dtype_of(ctx, zp_input) : onnx::TensorProto::UINT8;
  if (t == onnx::TensorProto::INT8) return {true, -128, 127};
  if (t == onnx::TensorProto::UINT8) return {false, 0, 255};
  ctx.fail("zero point of ONNX type " + std::to_string(t) +
           " is not supported; chop reads int8 and uint8 QDQ pairs");
}

void check_zero_point(const ConvertContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return;
  at::Tensor zp = ctx.const_input(i, "zero point").to(at::kDouble);
  if (zp.numel() == 0 || zp.abs().max().item<double>() != 0.0)
    ctx.fail("a non-zero zero point is not supported; chop's integer quantizer is symmetric");
}

// width / signedness / narrow range of the code range [lo, hi] (clipped inside int8/uint8).
QuantSpec spec_for(const ConvertContext& ctx, int frac, const CodeType& c, double lo, double hi) {
  QuantSpec q;
  q.family = "integer";
  q.frac_width = frac;
  q.is_signed = c.is_signed;
  for (int w = 1; w <= 8; ++w) {
    const double top = c.is_signed ? std::ldexp(1.0, w - 1) - 1 : std::ldexp(1.0, w) - 1;
    const double bottom = c.is_signed ? -std::ldexp(1.0, w - 1) : 0;
    if (hi == top && lo == bottom) {
      q.width = w;
      return q;
    }
    if (c.is_signed && hi == top && lo == bottom + 1) {
      q.width = w;
      q.narrow = true;
      return q;
    }
    if (!c.is_signed && lo == 0 && hi == top - 1) {
      q.width = w;
      q.narrow = true;
      return q;
    }
  }
  ctx.fail("the Clip before QuantizeLinear keeps codes [" + format_double(lo) + ", " +
           format_double(hi) + "], not the range of a signed or unsigned integer");
}

// Codes [lo, hi] of a Clip(min, max) before a quantizer with scale 2^-frac, when both bounds
// are whole codes inside the code type's range.
std::optional<std::pair<double, double>> clip_codes(double min, double max, int frac,
                                                    const CodeType& c) {
  const double lo = std::ldexp(min, frac), hi = std::ldexp(max, frac);
  if (lo != std::floor(lo) || hi != std::floor(hi) || lo < c.lo || hi > c.hi) return std::nullopt;
  return std::make_pair(lo, hi);
}

}  // namespace

void convert_quantize_linear(ConvertContext& ctx) {
  ctx.allow_attrs({"axis"});
  const int frac = power_of_two_frac(ctx, ctx.const_input(1, "y_scale"));
  check_zero_point(ctx, 2);
  const CodeType c = code_type(ctx, 2);
  Value x = ctx.input(0);
  if (x.kind == Kind::kShape) ctx.fail("quantizes a shape vector");
  if (x.quant) ctx.fail("quantizes a tensor that " + x.quant->onnx_node + " already quantized");
  double lo = c.lo, hi = c.hi;
  // A Clip to whole codes right before: the quantizer's narrower range (chop's export writes
  // widths below 8 bits this way).
  if (x.kind == Kind::kConstant && x.clip) {
    if (auto r = clip_codes(x.clip->first, x.clip->second, frac, c)) {
      lo = r->first;
      hi = r->second;
    }
  } else if (x.kind == Kind::kActivation && x.producer >= 0) {
    PendingNode& p = ctx.pending(x.producer);
    const std::string& clipped = ctx.node.input(0);
    const Value* source = p.source_value.empty() ? nullptr : ctx.find_value(p.source_value);
    if (p.onnx_op == "Clip" && source && ctx.consumers_of(clipped).size() == 1 &&
        !ctx.is_graph_value(clipped)) {
      if (auto r = clip_codes(p.clip_min, p.clip_max, frac, c)) {
        lo = r->first;
        hi = r->second;
        p.dead = true;  // the Clip is this quantizer's range
        x = *source;
      }
    }
  }
  QuantSpec q = spec_for(ctx, frac, c, lo, hi);
  q.onnx_node = ctx.node.name();
  Value out = x;
  out.clip.reset();
  out.codes = q;
  ctx.set_output(0, out);
}

void convert_dequantize_linear(ConvertContext& ctx) {
  ctx.allow_attrs({"axis"});
  const int frac = power_of_two_frac(ctx, ctx.const_input(1, "x_scale"));
  check_zero_point(ctx, 2);
  const Value& q = ctx.input(0);
  if (q.codes) {
    if (q.codes->frac_width != frac)
      ctx.fail("its scale differs from the QuantizeLinear that produced the codes");
    Value out = q;
    out.quant = *q.codes;
    out.codes.reset();
    ctx.set_output(0, out);
    return;
  }
  // Weights stored as integers: int8/uint8 initializer -> float constant with its quantizer.
  if (q.kind != Kind::kConstant || q.constant.is_floating_point())
    ctx.fail(
        "dequantizes a tensor that no QuantizeLinear produced; chop reads QDQ pairs and "
        "int8/uint8 weights");
  const CodeType c = code_type(ctx, 2);
  const int t = q.onnx_dtype;
  if (t != onnx::TensorProto::INT8 && t != onnx::TensorProto::UINT8)
    ctx.fail("dequantizes an initializer of ONNX type " + std::to_string(t) + " (int8/uint8 only)");
  Value out;
  out.kind = Kind::kConstant;
  out.constant = (q.constant.to(at::kFloat) * std::ldexp(1.0, -frac)).contiguous();
  QuantSpec spec = spec_for(ctx, frac, c, c.lo, c.hi);
  spec.onnx_node = ctx.node.name();
  out.quant = spec;
  ctx.set_output(0, out);
}

}  // namespace chop::interop::onnx_import
