// Shape rules for pooling, concatenation and constants; see op_shapes.h.
#include "graph/op_shapes.h"

#include "core/error.h"

namespace chop::graph::shapes {
namespace {

[[noreturn]] void fail(const Node& n, const std::string& msg) {
  throw UserError("node " + n.name + " (" + n.mase_op + "): " + msg);
}

int64_t normalised_dim(const Node& n, int64_t dim, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (dim < -r || dim >= r)
    fail(n, "dim " + std::to_string(dim) + " is out of range for a " + std::to_string(rank) +
                "-D input");
  return dim < 0 ? dim + r : dim;
}

}  // namespace

Shape int_list(const Node& n, const std::string& key, size_t dims) {
  const auto& v = n.attrs.at(key);
  if (v.is_number_integer()) return Shape(dims, v.get<int64_t>());
  Shape s = v.get<Shape>();
  if (s.size() != dims)
    fail(n, "attribute " + key + " must have " + std::to_string(dims) + " values");
  return s;
}

Shape pool(const Node& n, const std::vector<Shape>& in, size_t dims) {
  if (in.empty()) fail(n, "expects an input");
  const Shape& s = in[0];
  if (s.size() != dims + 2)
    fail(n, "expects a " + std::to_string(dims + 2) + "-D input, got " + shape_str(s));
  Shape k = int_list(n, "kernel_size", dims);
  Shape st =
      n.attrs.contains("stride") && !n.attrs["stride"].is_null() ? int_list(n, "stride", dims) : k;
  Shape p = int_list(n, "padding", dims);
  Shape d = n.attrs.contains("dilation") ? int_list(n, "dilation", dims) : Shape(dims, 1);
  const bool ceil_mode = n.attrs.value("ceil_mode", false);
  Shape out{s[0], s[1]};
  for (size_t i = 0; i < dims; ++i) {
    if (k[i] <= 0 || st[i] <= 0 || d[i] <= 0 || p[i] < 0)
      fail(n, "kernel_size, stride and dilation must be positive and padding non-negative");
    if (2 * p[i] > k[i])
      fail(n, "padding " + std::to_string(p[i]) + " is more than half the kernel size " +
                  std::to_string(k[i]) + " (PyTorch refuses it)");
    const int64_t span = s[2 + i] + 2 * p[i] - d[i] * (k[i] - 1) - 1;
    if (span < 0) fail(n, "input " + shape_str(s) + " is smaller than the pooling window");
    int64_t o = (ceil_mode ? (span + st[i] - 1) / st[i] : span / st[i]) + 1;
    // PyTorch: the last window must start inside the input or its left padding.
    if (ceil_mode && (o - 1) * st[i] >= s[2 + i] + p[i]) --o;
    out.push_back(o);
  }
  return out;
}

Shape pool1d(const Node& n, const std::vector<Shape>& in) {
  return pool(n, in, 1);
}
Shape pool2d(const Node& n, const std::vector<Shape>& in) {
  return pool(n, in, 2);
}

Shape adaptive_pool1d(const Node& n, const std::vector<Shape>& in) {
  if (in.empty() || in[0].size() != 3)
    fail(n, "expects a 3-D input, got " + (in.empty() ? std::string("none") : shape_str(in[0])));
  return {in[0][0], in[0][1], int_list(n, "output_size", 1)[0]};
}

Shape cat(const Node& n, const std::vector<Shape>& in) {
  if (in.empty()) fail(n, "expects at least one input");
  const size_t rank = in[0].size();
  const int64_t dim = normalised_dim(n, n.attrs.value("dim", int64_t{0}), rank);
  Shape out = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i].size() != rank)
      fail(n, "inputs differ in rank: " + shape_str(in[0]) + " and " + shape_str(in[i]));
    for (size_t d = 0; d < rank; ++d) {
      if (static_cast<int64_t>(d) == dim) continue;
      if (in[i][d] != in[0][d])
        fail(n, "inputs " + shape_str(in[0]) + " and " + shape_str(in[i]) +
                    " differ outside dimension " + std::to_string(dim));
    }
    out[dim] += in[i][dim];
  }
  return out;
}

Shape constant(const Node& n, const std::vector<Shape>&) {
  return n.attrs.at("shape").get<Shape>();
}

Shape along_dim(const Node& n, const std::vector<Shape>& in) {
  if (in.empty()) fail(n, "expects an input");
  normalised_dim(n, n.attrs.value("dim", int64_t{-1}), in[0].size());
  return in[0];
}

}  // namespace chop::graph::shapes
