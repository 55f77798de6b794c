// Output-shape rules of the op-table rows; see op_shapes.h.
#include "graph/op_shapes.h"

#include <algorithm>
#include <optional>

#include "core/error.h"
#include "core/limits.h"
#include "graph/attrs.h"

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
  if (!n.attrs.contains(key)) fail(n, "missing attribute '" + key + "'");
  const auto& v = n.attrs.at(key);
  if (v.is_number_integer()) return Shape(dims, v.get<int64_t>());
  Shape s = v.get<Shape>();
  if (s.size() != dims)
    fail(n, "attribute " + key + " must have " + std::to_string(dims) + " values");
  return s;
}

/// Sliding-window attributes as PyTorch requires them (a zero stride would divide by zero).
void check_window(const Node& n, const Shape& k, const Shape& st, const Shape& p, const Shape& d) {
  for (size_t i = 0; i < k.size(); ++i)
    if (k[i] <= 0 || st[i] <= 0 || d[i] <= 0 || p[i] < 0)
      fail(n, "kernel_size " + shape_str(k) + ", stride " + shape_str(st) + " and dilation " +
                  shape_str(d) + " must be positive and padding " + shape_str(p) + " non-negative");
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
  check_window(n, k, st, p, d);
  Shape out{s[0], s[1]};
  for (size_t i = 0; i < dims; ++i) {
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

std::vector<int64_t> reduced_dims(const Node& n, size_t rank) {
  const Json& v = n.attrs.at("dim");
  std::vector<int64_t> dims;
  if (v.is_number_integer()) {
    dims.push_back(v.get<int64_t>());
  } else if (v.is_array() && !v.empty() && v.size() <= 8) {
    for (const auto& e : v) {
      if (!e.is_number_integer()) fail(n, "attribute dim must be integers, got " + v.dump());
      dims.push_back(e.get<int64_t>());
    }
  } else {
    fail(n, "attribute dim must be a dimension index or a non-empty list of them, got " + v.dump());
  }
  for (auto& d : dims) d = normalised_dim(n, d, rank);
  std::sort(dims.begin(), dims.end());
  if (std::adjacent_find(dims.begin(), dims.end()) != dims.end())
    fail(n, "attribute dim names a dimension twice: " + v.dump());
  if (dims.front() == 0)
    fail(n, "reduces over dimension 0, the batch; chop keeps the batch in dimension 0");
  return dims;
}

Shape reduce(const Node& n, const std::vector<Shape>& in) {
  if (in.empty()) fail(n, "expects an input");
  const std::vector<int64_t> dims = reduced_dims(n, in[0].size());
  const bool keep = n.attrs.value("keepdim", false);
  Shape out;
  for (size_t d = 0; d < in[0].size(); ++d) {
    const bool reduced = std::binary_search(dims.begin(), dims.end(), static_cast<int64_t>(d));
    if (!reduced)
      out.push_back(in[0][d]);
    else if (keep)
      out.push_back(1);
  }
  return out;
}

Shape conv_transpose(const Node& n, const std::vector<Shape>& in, size_t dims) {
  Shape s = same(n, in);
  if (s.size() != dims + 2)
    fail(n, "expects a " + std::to_string(dims + 2) + "-D input, got " + shape_str(s));
  if (s[1] != n.attr_int("in_channels"))
    fail(n, "expects " + std::to_string(n.attr_int("in_channels")) + " input channels, got " +
                shape_str(s));
  Shape k = int_list(n, "kernel_size", dims), st = int_list(n, "stride", dims),
        p = int_list(n, "padding", dims), d = int_list(n, "dilation", dims),
        op = int_list(n, "output_padding", dims);
  check_window(n, k, st, p, d);
  Shape out{s[0], n.attr_int("out_channels")};
  for (size_t i = 0; i < dims; ++i) {
    // PyTorch: output_padding must be smaller than either stride or dilation.
    if (op[i] >= st[i] && op[i] >= d[i])
      fail(n, "output_padding " + shape_str(op) + " must be smaller than the stride " +
                  shape_str(st) + " or the dilation " + shape_str(d));
    // Attributes are at most 2^31 - 1 (attrs.h), so these products stay far inside int64.
    const int64_t o = (s[2 + i] - 1) * st[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1;
    if (o <= 0)
      fail(n, "padding " + shape_str(p) + " leaves no output for the input " + shape_str(s));
    out.push_back(o);
  }
  return out;
}
Shape conv_transpose1d(const Node& n, const std::vector<Shape>& in) {
  return conv_transpose(n, in, 1);
}
Shape conv_transpose2d(const Node& n, const std::vector<Shape>& in) {
  return conv_transpose(n, in, 2);
}

Shape upsample(const Node& n, const std::vector<Shape>& in) {
  Shape s = same(n, in);
  if (s.size() != 3 && s.size() != 4) fail(n, "expects a 3-D or 4-D input, got " + shape_str(s));
  const Json mode = n.attrs.contains("mode") ? n.attrs.at("mode") : Json("nearest");
  if (!mode.is_string() || mode.get<std::string>() != "nearest")
    fail(n, "mode " + mode.dump() + " is not supported; chop upsamples with nearest");
  const Shape f = int_list(n, "scale_factor", s.size() - 2);
  for (size_t i = 2; i < s.size(); ++i) {
    const auto o = checked_mul(static_cast<uint64_t>(s[i]), static_cast<uint64_t>(f[i - 2]));
    if (!o || *o > static_cast<uint64_t>(kMaxAttrSize))
      fail(n, "upsampling " + shape_str(s) + " by " + shape_str(f) + " is absurdly large");
    s[i] = static_cast<int64_t>(*o);
  }
  return s;
}

Shape prelu(const Node& n, const std::vector<Shape>& in) {
  if (in.empty()) fail(n, "expects an input");
  const int64_t k = n.attr_int("num_parameters");
  if (k != 1 && (in[0].size() < 2 || in[0][1] != k))
    fail(n, "num_parameters " + std::to_string(k) + " is neither 1 nor the " +
                (in[0].size() < 2 ? std::string("channel count") : std::to_string(in[0][1])) +
                " channels (dimension 1) of the input " + shape_str(in[0]));
  return in[0];
}

// Product of a shape, overflow-checked; a -1 (batch not yet known) contributes its sign only, so
// a view of [-1, 16] as [-1, 4, 4] infers -1 again.
static std::optional<int64_t> product(const Shape& s) {
  uint64_t magnitude = 1;
  bool negative = false;
  for (int64_t d : s) {
    if (d < -1) return std::nullopt;
    if (d == -1) {
      negative = !negative;
      continue;
    }
    auto m = checked_mul(magnitude, static_cast<uint64_t>(d));
    if (!m || *m > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    magnitude = *m;
  }
  const auto v = static_cast<int64_t>(magnitude);
  return negative ? -v : v;
}

Shape same(const Node& n, const std::vector<Shape>& in) {
  if (in.empty()) fail(n, "expects an input");
  return in[0];
}

Shape linear(const Node& n, const std::vector<Shape>& in) {
  Shape s = same(n, in);
  int64_t want = n.attr_int("in_features");
  if (s.empty() || s.back() != want)
    fail(n, "expects last input dimension " + std::to_string(want) + ", got " + shape_str(s));
  s.back() = n.attr_int("out_features");
  return s;
}

Shape conv(const Node& n, const std::vector<Shape>& in, size_t dims) {
  Shape s = same(n, in);
  if (s.size() != dims + 2)
    fail(n, "expects a " + std::to_string(dims + 2) + "-D input, got " + shape_str(s));
  if (s[1] != n.attr_int("in_channels"))
    fail(n, "expects " + std::to_string(n.attr_int("in_channels")) + " input channels, got " +
                shape_str(s));
  Shape k = int_list(n, "kernel_size", dims), st = int_list(n, "stride", dims),
        p = int_list(n, "padding", dims), d = int_list(n, "dilation", dims);
  check_window(n, k, st, p, d);
  Shape out{s[0], n.attr_int("out_channels")};
  for (size_t i = 0; i < dims; ++i) {
    // Attributes are at most 2^31 - 1 (attrs.h), so these products stay far inside int64.
    const int64_t span = s[2 + i] + 2 * p[i] - d[i] * (k[i] - 1) - 1;
    if (span < 0)
      fail(n, "kernel " + shape_str(k) + " (dilation " + shape_str(d) +
                  ") does not fit the padded input " + shape_str(s));
    out.push_back(span / st[i] + 1);
  }
  return out;
}
Shape conv1d(const Node& n, const std::vector<Shape>& in) {
  return conv(n, in, 1);
}
Shape conv2d(const Node& n, const std::vector<Shape>& in) {
  return conv(n, in, 2);
}

Shape batch_norm(const Node& n, const std::vector<Shape>& in) {
  Shape s = same(n, in);
  if (s.size() < 2 || s[1] != n.attr_int("num_features"))
    fail(n, "expects " + std::to_string(n.attr_int("num_features")) +
                " features in dimension 1, got " + shape_str(s));
  return s;
}

Shape adaptive_pool2d(const Node& n, const std::vector<Shape>& in) {
  Shape s = same(n, in);
  if (s.size() != 4) fail(n, "expects a 4-D input, got " + shape_str(s));
  Shape o = int_list(n, "output_size", 2);
  return {s[0], s[1], o[0], o[1]};
}

Shape flatten(const Node& n, const std::vector<Shape>& in) {
  Shape s = same(n, in);
  int64_t start = n.attrs.value("start_dim", int64_t{1});
  int64_t end = n.attrs.value("end_dim", int64_t{-1});
  int64_t r = static_cast<int64_t>(s.size());
  if (start < 0) start += r;
  if (end < 0) end += r;
  if (start < 0 || end >= r || start > end)
    fail(n, "start_dim/end_dim do not fit an input of shape " + shape_str(s));
  Shape out(s.begin(), s.begin() + start);
  auto prod = product(Shape(s.begin() + start, s.begin() + end + 1));
  if (!prod) fail(n, "flattened size of " + shape_str(s) + " overflows 64 bits");
  out.push_back(*prod);
  out.insert(out.end(), s.begin() + end + 1, s.end());
  return out;
}

Shape view(const Node& n, const std::vector<Shape>& in) {
  Shape s = same(n, in);
  Shape want = n.attrs.at("shape").get<Shape>();
  int64_t known = 1, infer_at = -1;
  auto total_count = product(s);
  if (!total_count) fail(n, "input size of " + shape_str(s) + " overflows 64 bits");
  const int64_t total = *total_count;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == -1) {
      if (infer_at >= 0) fail(n, "only one dimension of a view may be -1");
      infer_at = static_cast<int64_t>(i);
    } else {
      auto k = checked_mul(static_cast<uint64_t>(known), static_cast<uint64_t>(want[i]));
      if (!k || *k > static_cast<uint64_t>(INT64_MAX))
        fail(n, "view shape " + shape_str(want) + " overflows 64 bits");
      known = static_cast<int64_t>(*k);
    }
  }
  if (infer_at >= 0) {
    if (known == 0 || total % known)
      fail(n, "cannot view " + shape_str(s) + " as " + shape_str(want));
    want[infer_at] = total / known;
  } else if (known != total) {
    fail(n, "cannot view " + shape_str(s) + " as " + shape_str(want));
  }
  return want;
}

Shape broadcast(const Node& n, const std::vector<Shape>& in) {
  if (in.size() != 2) fail(n, "expects two inputs");
  const Shape &a = in[0], &b = in[1];
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (da != db && da != 1 && db != 1)
      fail(n, "cannot broadcast " + shape_str(a) + " with " + shape_str(b));
    out[i] = std::max(da, db);
  }
  return out;
}

Shape matmul(const Node& n, const std::vector<Shape>& in) {
  if (in.size() != 2 || in[0].size() < 2 || in[1].size() < 2) fail(n, "expects two matrices");
  Shape a = in[0], b = in[1];
  if (a.back() != b[b.size() - 2])
    fail(n, "inner dimensions differ: " + shape_str(a) + " @ " + shape_str(b));
  a.back() = b.back();
  return a;
}

Shape placeholder(const Node& n, const std::vector<Shape>&) {
  return n.attrs.contains("shape") ? n.attrs["shape"].get<Shape>() : Shape{};
}

}  // namespace chop::graph::shapes
