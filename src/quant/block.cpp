// Blocking via pad + view + amax: equivalent to MASE's unfold/fold for the 1-D, 2-D and 3-D
// cases it supports, and defined for any rank.
#include "quant/block.h"

#include "core/error.h"

namespace chop::quant {

std::vector<int64_t> infer_block_shape(at::IntArrayRef shape,
                                       const std::vector<int64_t>& block_size,
                                       bool skip_first_dim) {
  const size_t n = shape.size();
  std::vector<int64_t> ref(shape.begin(), shape.end());
  if (skip_first_dim && n >= 2) ref[0] = 1;
  std::vector<int64_t> blk(n, -1);
  const size_t m = block_size.size();
  for (size_t i = 0; i < n && i < m; ++i) blk[n - 1 - i] = block_size[m - 1 - i];
  for (size_t i = 0; i < n; ++i) {
    CHOP_ASSERT(blk[i] == -1 || blk[i] >= 1, "block size entries must be >= 1 or -1");
    if (blk[i] == -1 || blk[i] > ref[i]) blk[i] = ref[i];
  }
  return blk;
}

at::Tensor block_abs_max(const at::Tensor& x, const std::vector<int64_t>& block_size,
                         bool skip_first_dim) {
  at::Tensor a = at::abs(x);
  if (x.dim() == 0 || x.numel() == 0) return a;
  const auto shape = x.sizes().vec();
  const auto blk = infer_block_shape(shape, block_size, skip_first_dim);
  const size_t n = shape.size();
  std::vector<int64_t> pad;  // constant_pad_nd wants (last-dim lo, hi, previous-dim lo, hi, ...)
  std::vector<int64_t> padded(n), tiled, reduce_dims;
  for (size_t i = n; i-- > 0;) {
    const int64_t n_blocks = (shape[i] + blk[i] - 1) / blk[i];
    padded[i] = n_blocks * blk[i];
    pad.push_back(0);
    pad.push_back(padded[i] - shape[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    tiled.push_back(padded[i] / blk[i]);
    tiled.push_back(blk[i]);
    reduce_dims.push_back(static_cast<int64_t>(2 * i + 1));
  }
  at::Tensor m = at::constant_pad_nd(a, pad, 0).reshape(tiled).amax(reduce_dims, true);
  m = m.expand(tiled).reshape(padded);
  for (size_t i = 0; i < n; ++i) m = m.narrow(static_cast<int64_t>(i), 0, shape[i]);
  m = m.contiguous();

  at::Tensor is_zero = m.eq(0);
  if (is_zero.all().item<bool>()) return at::ones_like(m);
  if (is_zero.any().item<bool>()) {
    at::Tensor min_nonzero = at::where(is_zero, at::full({}, INFINITY, m.options()), m).min();
    m = at::where(is_zero, min_nonzero, m);
  }
  return m;
}

nlohmann::ordered_json blocks_json(const std::vector<int64_t>& block_size) {
  nlohmann::ordered_json blocks = nlohmann::ordered_json::array();
  for (int64_t b : block_size) blocks.push_back(b);
  return blocks;
}

}  // namespace chop::quant
