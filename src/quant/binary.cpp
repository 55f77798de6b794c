// Binary quantizer. MASE's scaled ops hard-code 4-D inputs (mean over dims 1,2,3); chop uses all
// dims after the first, which is identical for 4-D and also defined for 2-D weights.
#include "quant/binary.h"

#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "quant/ste.h"

namespace chop::quant {

at::Generator make_generator(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

namespace detail {

at::Tensor per_slice_abs_mean(const at::Tensor& x) {
  if (x.dim() <= 1) return at::abs(x).mean();
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < x.dim(); ++d) dims.push_back(d);
  return at::abs(x).mean(dims, /*keepdim=*/true);
}

}  // namespace detail

namespace {

at::Tensor zero_scaled(const at::Tensor& v) {
  at::Tensor pos = at::where(v.gt(0), at::ones({}, v.options()), at::zeros({}, v.options()));
  return pos.mul(detail::per_slice_abs_mean(v));
}

at::Tensor bipolar_at(const at::Tensor& v, const at::Tensor& threshold) {
  return at::where(v.ge(threshold), at::ones({}, v.options()), at::full({}, -1.0, v.options()));
}

}  // namespace

at::Tensor binary_quantize(const at::Tensor& x, bool stochastic, bool bipolar,
                           std::optional<at::Generator> gen) {
  if (!stochastic) {
    return straight_through(x, [=](const at::Tensor& v) {
      return bipolar ? bipolar_at(v, at::zeros({}, v.options())) : zero_scaled(v);
    });
  }
  CHOP_ASSERT(gen.has_value(), "stochastic binary_quantize needs an explicitly seeded generator");
  // (x + 1) / 2 is differentiated normally, as in MASE; clamp and binarisation are straight
  // through.
  at::Tensor sig =
      straight_through(x.add(1).div(2), [](const at::Tensor& v) { return at::clamp(v, 0, 1); });
  at::Tensor r = at::rand(x.sizes(), c10::optional<at::Generator>(*gen),
                          x.options().device(gen->device()).requires_grad(false))
                     .to(x.device());
  return straight_through(
      sig, [=](const at::Tensor& v) { return bipolar ? bipolar_at(v, r) : zero_scaled(v); });
}

void parse_binary(const OperandKeys& keys, OperandQuant& q) {
  q.width = keys.width(1);
  q.stochastic = keys.boolean("stochastic");
  q.bipolar = keys.boolean("bipolar");
}

at::Tensor binary_apply(const OperandQuant& q, const at::Tensor& x,
                        std::optional<at::Generator> gen) {
  return binary_quantize(x, q.stochastic, q.bipolar, std::move(gen));
}

nlohmann::ordered_json binary_precision(const OperandQuant& q, bool) {
  return nlohmann::ordered_json::array({q.width, q.stochastic, q.bipolar});
}

bool binary_needs_generator(const OperandQuant& q) {
  return q.stochastic;
}

}  // namespace chop::quant
