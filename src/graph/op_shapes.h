// Output-shape rules of the op-table rows for pooling (1-D and 2-D, ceil mode), concatenation
// and constants; shared by graph/ops.cpp. Each throws UserError naming the node on a mismatch.
#pragma once

#include <vector>

#include "graph/ops.h"

namespace chop::graph::shapes {

/// max/avg pooling over the last `dims` dimensions (kernel_size, stride = kernel when null,
/// padding, dilation, ceil_mode as PyTorch's MaxPool/AvgPool).
Shape pool(const Node& n, const std::vector<Shape>& in, size_t dims);
Shape pool1d(const Node& n, const std::vector<Shape>& in);
Shape pool2d(const Node& n, const std::vector<Shape>& in);
Shape adaptive_pool1d(const Node& n, const std::vector<Shape>& in);
/// torch.cat along `dim`: every input has the same rank and the same size off that dimension.
Shape cat(const Node& n, const std::vector<Shape>& in);
/// A constant's shape is its attribute `shape` (its values are in `value`).
Shape constant(const Node& n, const std::vector<Shape>& in);
/// The output of softmax/log_softmax: the input's shape, with `dim` checked against its rank.
Shape along_dim(const Node& n, const std::vector<Shape>& in);

/// Integer list attribute `key` with `dims` entries (a scalar is repeated).
Shape int_list(const Node& n, const std::string& key, size_t dims);

}  // namespace chop::graph::shapes
