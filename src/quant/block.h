// Blocking for the block_* quantizers: tiles a tensor into rectangular blocks (MASE's block
// shape inference, zero padding at the end of each dim) and gives each element its block's max.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace chop::quant {

/// MASE's _infer_block_shape: block_size is right-aligned with the shape (extra leading entries
/// dropped, missing ones = -1); -1 or an entry larger than the dim means the whole dim. With
/// skip_first_dim (and ndim >= 2) the first dim is treated as size 1, so blocks never span it.
std::vector<int64_t> infer_block_shape(at::IntArrayRef shape,
                                       const std::vector<int64_t>& block_size, bool skip_first_dim);

/// Tensor of x's shape holding, per element, max |x| over its block. Blocks whose max is 0 get
/// the smallest non-zero block max, or 1 when every block is 0 (MASE avoids log2(0) this way).
at::Tensor block_abs_max(const at::Tensor& x, const std::vector<int64_t>& block_size,
                         bool skip_first_dim);

/// A block size as MASE's metadata writes it (a JSON list).
nlohmann::ordered_json blocks_json(const std::vector<int64_t>& block_size);

}  // namespace chop::quant
