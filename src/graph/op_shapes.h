// Output-shape rules of the op-table rows (graph/ops.cpp): one function per op kind, each
// throwing UserError naming the node on a mismatch.
#pragma once

#include <vector>

#include "graph/ops.h"

namespace chop::graph::shapes {

/// The first input's shape (element-wise ops, activations, dropout, output).
Shape same(const Node& n, const std::vector<Shape>& in);
/// nn.Linear: the last dimension in_features -> out_features.
Shape linear(const Node& n, const std::vector<Shape>& in);
/// nn.Conv1d/Conv2d (stride, padding, dilation as PyTorch).
Shape conv(const Node& n, const std::vector<Shape>& in, size_t dims);
Shape conv1d(const Node& n, const std::vector<Shape>& in);
Shape conv2d(const Node& n, const std::vector<Shape>& in);
/// BatchNorm1d/2d: the input's shape, num_features in dimension 1.
Shape batch_norm(const Node& n, const std::vector<Shape>& in);
Shape adaptive_pool2d(const Node& n, const std::vector<Shape>& in);
/// torch.flatten(start_dim, end_dim), overflow-checked.
Shape flatten(const Node& n, const std::vector<Shape>& in);
/// Tensor.view with at most one -1, overflow-checked.
Shape view(const Node& n, const std::vector<Shape>& in);
/// NumPy broadcasting of two inputs (add, mul, sub).
Shape broadcast(const Node& n, const std::vector<Shape>& in);
/// matmul/bmm of two (batched) matrices.
Shape matmul(const Node& n, const std::vector<Shape>& in);
/// A placeholder's declared `shape` attribute.
Shape placeholder(const Node& n, const std::vector<Shape>& in);

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

/// torch.mean/sum/amax/amin over `dim` (an index or a list of them, not the batch dimension 0),
/// keeping the reduced dimensions as 1 when `keepdim`.
Shape reduce(const Node& n, const std::vector<Shape>& in);
/// The dimensions `dim` of a reduction, normalised, sorted and checked (no duplicates, not 0).
std::vector<int64_t> reduced_dims(const Node& n, size_t rank);
/// ConvTranspose1d/2d: (in - 1) x stride - 2 x padding + dilation x (k - 1) + output_padding + 1.
Shape conv_transpose(const Node& n, const std::vector<Shape>& in, size_t dims);
Shape conv_transpose1d(const Node& n, const std::vector<Shape>& in);
Shape conv_transpose2d(const Node& n, const std::vector<Shape>& in);
/// Upsample (nearest, integer scale_factor) of the dimensions after the channels of a 3-D/4-D input.
Shape upsample(const Node& n, const std::vector<Shape>& in);
/// PReLU: the input's shape; num_parameters is 1 or the size of dimension 1.
Shape prelu(const Node& n, const std::vector<Shape>& in);

/// Integer list attribute `key` with `dims` entries (a scalar is repeated).
Shape int_list(const Node& n, const std::string& key, size_t dims);

}  // namespace chop::graph::shapes
