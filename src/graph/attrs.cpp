// Attribute rules; see attrs.h. One row per attribute name: PyTorch gives each name one meaning
// across modules (kernel_size is an int or a tuple of positive ints wherever it appears).
#include "graph/attrs.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/limits.h"
#include "graph/ops.h"

namespace chop::graph {
namespace {

enum class Kind {
  kSize,          // integer 1 .. kMaxAttrSize
  kIndex,         // integer -64 .. 64 (dimension indices)
  kBool,
  kNumber,        // finite number
  kNumberOrNull,  // finite number or null (momentum)
  kSizes,         // integer >= 1 or a list of them (kernel_size, dilation, output_size)
  kSizesOrNull,   // kSizes or null (pooling stride)
  kPadding,       // integer >= 0 or a list of them
  kShape,         // list of integers, each -1 .. kMaxAttrSize (view / placeholder shapes)
  kShapeStrict,   // list of integers 1 .. kMaxAttrSize (normalized_shape)
};

struct Rule {
  const char* name;
  Kind kind;
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> table = {
      {"in_features", Kind::kSize},     {"out_features", Kind::kSize},
      {"in_channels", Kind::kSize},     {"out_channels", Kind::kSize},
      {"num_features", Kind::kSize},    {"groups", Kind::kSize},
      {"kernel_size", Kind::kSizes},    {"dilation", Kind::kSizes},
      {"output_size", Kind::kSizes},    {"stride", Kind::kSizesOrNull},
      {"padding", Kind::kPadding},      {"bias", Kind::kBool},
      {"affine", Kind::kBool},          {"track_running_stats", Kind::kBool},
      {"inplace", Kind::kBool},         {"elementwise_affine", Kind::kBool},
      {"eps", Kind::kNumber},           {"momentum", Kind::kNumberOrNull},
      {"p", Kind::kNumber},             {"min_val", Kind::kNumber},
      {"max_val", Kind::kNumber},       {"start_dim", Kind::kIndex},
      {"end_dim", Kind::kIndex},        {"shape", Kind::kShape},
      {"normalized_shape", Kind::kShapeStrict},
      {"num_parameters", Kind::kSize},  {"alpha", Kind::kNumber},
      {"beta", Kind::kNumber},          {"threshold", Kind::kNumber},
      {"exponent", Kind::kNumber},      {"keepdim", Kind::kBool},
      {"output_padding", Kind::kPadding}, {"scale_factor", Kind::kSizes},
  };
  return table;
}

bool int_in(const Json& v, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
  const int64_t x = v.get<int64_t>();
  return x >= lo && x <= hi;
}

bool list_of_ints(const Json& v, int64_t lo, int64_t hi, bool allow_empty) {
  if (!v.is_array() || (!allow_empty && v.empty()) || v.size() > 8) return false;
  for (const auto& e : v)
    if (!int_in(e, lo, hi)) return false;
  return true;
}

/// "" when `v` fits `kind`, else what it must be.
std::string problem(Kind kind, const Json& v) {
  const std::string max = std::to_string(kMaxAttrSize);
  switch (kind) {
    case Kind::kSize:
      return int_in(v, 1, kMaxAttrSize) ? "" : "an integer between 1 and " + max;
    case Kind::kIndex:
      return int_in(v, -64, 64) ? "" : "an integer dimension index between -64 and 64";
    case Kind::kBool:
      return v.is_boolean() ? "" : "true or false";
    case Kind::kNumber:
      return v.is_number() && std::isfinite(v.get<double>()) ? "" : "a finite number";
    case Kind::kNumberOrNull:
      return v.is_null() || (v.is_number() && std::isfinite(v.get<double>()))
                 ? ""
                 : "a finite number or null";
    case Kind::kSizes:
      return int_in(v, 1, kMaxAttrSize) || list_of_ints(v, 1, kMaxAttrSize, false)
                 ? ""
                 : "a positive integer or a list of them (at most " + max + ")";
    case Kind::kSizesOrNull:
      return v.is_null() || int_in(v, 1, kMaxAttrSize) || list_of_ints(v, 1, kMaxAttrSize, false)
                 ? ""
                 : "null, a positive integer or a list of them";
    case Kind::kPadding:
      return int_in(v, 0, kMaxAttrSize) || list_of_ints(v, 0, kMaxAttrSize, false)
                 ? ""
                 : "an integer >= 0 or a list of them";
    case Kind::kShape:
      return list_of_ints(v, -1, kMaxAttrSize, true)
                 ? ""
                 : "a list of at most 8 integers, each -1 .. " + max;
    case Kind::kShapeStrict:
      return list_of_ints(v, 1, kMaxAttrSize, false)
                 ? ""
                 : "a non-empty list of at most 8 positive integers";
  }
  return "";
}

}  // namespace

void check_node_attrs(const Node& n) {
  if (!n.attrs.is_object())
    throw UserError("node " + n.name + " (" + n.mase_op + "): attributes must be a table");
  for (const Rule& r : rules()) {
    if (!n.attrs.contains(r.name)) continue;
    const std::string want = problem(r.kind, n.attrs[r.name]);
    if (!want.empty())
      throw UserError("node " + n.name + " (" + n.mase_op + "): attribute '" + r.name +
                      "' must be " + want + ", got " + n.attrs[r.name].dump());
  }
  if (n.attrs.contains("groups") && n.attrs.contains("in_channels") &&
      n.attrs.contains("out_channels")) {
    const int64_t g = n.attrs["groups"].get<int64_t>();
    if (n.attrs["in_channels"].get<int64_t>() % g != 0 ||
        n.attrs["out_channels"].get<int64_t>() % g != 0)
      throw UserError("node " + n.name + " (" + n.mase_op +
                      "): in_channels and out_channels must be divisible by groups");
  }
}

std::optional<uint64_t> param_elements(const Node& n) {
  auto get = [&](const char* k) -> int64_t {
    return n.attrs.contains(k) && n.attrs[k].is_number_integer() ? n.attrs[k].get<int64_t>() : 0;
  };
  auto sizes = [&](const char* k, size_t dims) -> std::vector<int64_t> {
    if (!n.attrs.contains(k)) return std::vector<int64_t>(dims, 1);
    const Json& v = n.attrs[k];
    if (v.is_number_integer()) return std::vector<int64_t>(dims, v.get<int64_t>());
    if (v.is_array()) return v.get<std::vector<int64_t>>();
    return {};
  };
  const std::string& op = n.mase_op;
  if (op == "linear") {
    auto w = element_count({get("out_features"), get("in_features")});
    if (!w) return std::nullopt;
    return checked_add(*w, static_cast<uint64_t>(get("out_features")));
  }
  if (op == "conv1d" || op == "conv2d") {
    const size_t dims = op == "conv1d" ? 1 : 2;
    const int64_t groups = std::max<int64_t>(1, get("groups"));
    std::vector<int64_t> shape{get("out_channels"), get("in_channels") / groups};
    for (int64_t k : sizes("kernel_size", dims)) shape.push_back(k);
    auto w = element_count(shape);
    if (!w) return std::nullopt;
    return checked_add(*w, static_cast<uint64_t>(get("out_channels")));
  }
  if (op == "conv_transpose1d" || op == "conv_transpose2d") {
    const size_t dims = op == "conv_transpose1d" ? 1 : 2;
    const int64_t groups = std::max<int64_t>(1, get("groups"));
    std::vector<int64_t> shape{get("in_channels"), get("out_channels") / groups};
    for (int64_t k : sizes("kernel_size", dims)) shape.push_back(k);
    auto w = element_count(shape);
    if (!w) return std::nullopt;
    return checked_add(*w, static_cast<uint64_t>(get("out_channels")));
  }
  if (op == "prelu") return static_cast<uint64_t>(get("num_parameters"));
  if (op == "batch_norm1d" || op == "batch_norm2d")
    return checked_mul(4, static_cast<uint64_t>(get("num_features")));
  if (op == "layer_norm") {
    auto e = element_count(sizes("normalized_shape", 0));
    if (!e) return std::nullopt;
    return checked_mul(2, *e);
  }
  return 0;
}

}  // namespace chop::graph
