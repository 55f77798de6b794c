// Ternary quantizer. MASE's ops hard-code 4-D inputs; chop reduces over all dims after the first,
// which is identical for 4-D tensors.
#include "quant/ternary.h"

#include <vector>

#include "quant/ste.h"

namespace chop::quant {

std::optional<double> ternary_threshold(std::optional<double> mean, std::optional<double> median,
                                        std::optional<double> max) {
  // MASE tests Python truthiness, so a statistic of exactly 0 counts as missing.
  if (mean && *mean != 0) return 0.75 * *mean;
  if (max && *max != 0) return 0.05 * *max;
  if (median && *median != 0) return 0.75 * *median;
  return std::nullopt;
}

namespace {

// View as [slices, ...] so per-slice reductions are over dims 1..n-1.
at::Tensor as_slices(const at::Tensor& x) {
  if (x.dim() >= 2) return x;
  return x.reshape({1, x.numel()});
}

std::vector<int64_t> inner_dims(const at::Tensor& s) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < s.dim(); ++d) dims.push_back(d);
  return dims;
}

// delta = 0.75 * sum|x| / n per slice, broadcastable against s.
at::Tensor slice_delta(const at::Tensor& s) {
  const int64_t n = s.numel() / s.size(0);
  std::vector<int64_t> view(s.dim(), 1);
  view[0] = s.size(0);
  return at::abs(s.flatten(1)).sum(1).mul(0.75).div(n).reshape(view);
}

at::Tensor ternary_raw(const at::Tensor& x, bool scaling_factor, std::optional<double> threshold) {
  at::Tensor s = as_slices(x);
  at::Tensor one = at::ones({}, s.options());
  at::Tensor zero = at::zeros({}, s.options());
  at::Tensor out;
  if (scaling_factor || !threshold) {
    at::Tensor delta = slice_delta(s);
    at::Tensor pos = at::where(s.gt(delta), one, zero);
    at::Tensor neg = at::where(s.lt(at::neg(delta)), at::neg(one), zero);
    out = pos.add(neg);
    if (scaling_factor) {
      at::Tensor abs = at::abs(s);
      at::Tensor truth = abs.gt(delta).to(s.scalar_type());
      const auto dims = inner_dims(s);
      at::Tensor count = truth.sum(dims, /*keepdim=*/true);
      at::Tensor alpha = truth.mul(abs).sum(dims, /*keepdim=*/true).div(count);
      // An all-zero slice has no element above delta: MASE yields 0/0 = NaN there, chop 0.
      alpha = at::where(count.gt(0), alpha, zero);
      out = out.mul(alpha);
    }
  } else {
    at::Tensor pos = at::where(s.gt(*threshold), one, zero);
    at::Tensor neg = at::where(s.lt(-*threshold), at::neg(one), zero);
    out = pos.add(neg);
  }
  return out.reshape(x.sizes());
}

}  // namespace

at::Tensor ternary_quantize(const at::Tensor& x, bool scaling_factor,
                            std::optional<double> threshold) {
  return straight_through(
      x, [=](const at::Tensor& v) { return ternary_raw(v, scaling_factor, threshold); });
}

void parse_ternary(const OperandKeys& keys, OperandQuant& q) {
  q.width = keys.width(1);
  q.scaling_factor = keys.boolean("scaling_factor");
  if (keys.has("mean")) q.mean = keys.nullable_number("mean");
  if (keys.has("median")) q.median = keys.nullable_number("median");
  if (keys.has("max")) q.max = keys.nullable_number("max");
}

at::Tensor ternary_apply(const OperandQuant& q, const at::Tensor& x,
                         std::optional<at::Generator>) {
  return ternary_quantize(x, q.scaling_factor, ternary_threshold(q.mean, q.median, q.max));
}

nlohmann::ordered_json ternary_precision(const OperandQuant& q, bool) {
  auto opt = [](std::optional<double> v) {
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
  };
  return nlohmann::ordered_json::array(
      {q.width, q.scaling_factor, opt(q.mean), opt(q.median), opt(q.max)});
}

}  // namespace chop::quant
