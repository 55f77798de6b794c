// Typed getters of one operand's quantization keys; see operand_keys.h.
#include "quant/operand_keys.h"

#include "core/error.h"

namespace chop::quant {

using json = nlohmann::ordered_json;

std::string json_type_name(const json& v) {
  if (v.is_null()) return "null (\"NA\")";
  if (v.is_boolean()) return "boolean " + v.dump();
  if (v.is_number_integer()) return "integer " + v.dump();
  if (v.is_number()) return "float " + v.dump();
  if (v.is_string()) return "string " + v.dump();
  if (v.is_array()) return "array " + v.dump();
  return "table";
}

namespace {

[[noreturn]] void wrong_type(const std::string& where, const std::string& key, const json& v,
                             const std::string& expected) {
  throw ConfigError(where, "key '" + key + "' must be " + expected + ", got " + json_type_name(v));
}

}  // namespace

OperandKeys::OperandKeys(const json& config, std::string op, std::string name,
                         std::string mase_op, std::string where)
    : config_(config),
      op_(std::move(op)),
      name_(std::move(name)),
      mase_op_(std::move(mase_op)),
      where_(std::move(where)) {}

bool OperandKeys::has(const std::string& suffix) const {
  return config_.contains(key(suffix));
}

const json& OperandKeys::at(const std::string& suffix) const {
  return config_.at(key(suffix));
}

void OperandKeys::fail(const std::string& message) const {
  throw ConfigError(where_, message);
}

int OperandKeys::width(int min_width) const {
  const json& v = at("width");
  const std::string k = key("width");
  if (!v.is_number_integer()) wrong_type(where_, k, v, "a positive integer (bits)");
  const int64_t i = v.get<int64_t>();
  if (i <= 0)
    fail("key '" + k + "' must be a positive integer (bits), got " + std::to_string(i) +
         "; set it to the number of bits, e.g. 8");
  if (i < min_width || i > 64)
    fail("key '" + k + "' must be in [" + std::to_string(min_width) +
         ", 64] bits for this quantization, got " + std::to_string(i));
  return static_cast<int>(i);
}

int OperandKeys::integer(const std::string& suffix, int lo, int hi,
                         const std::string& what) const {
  const json& v = at(suffix);
  const std::string k = key(suffix);
  if (!v.is_number_integer()) wrong_type(where_, k, v, what);
  const int64_t i = v.get<int64_t>();
  if (i < lo || i > hi)
    fail("key '" + k + "' must be " + what + " in [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "], got " + std::to_string(i));
  return static_cast<int>(i);
}

std::optional<int> OperandKeys::nullable_int(const std::string& suffix) const {
  const json& v = at(suffix);
  const std::string k = key(suffix);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number_integer()) wrong_type(where_, k, v, "an integer or \"NA\"");
  const int64_t i = v.get<int64_t>();
  if (i < -1000 || i > 1000)
    fail("key '" + k + "' must be in [-1000, 1000], got " + std::to_string(i));
  return static_cast<int>(i);
}

bool OperandKeys::boolean(const std::string& suffix) const {
  const json& v = at(suffix);
  if (!v.is_boolean()) wrong_type(where_, key(suffix), v, "true or false");
  return v.get<bool>();
}

std::optional<double> OperandKeys::nullable_number(const std::string& suffix) const {
  const json& v = at(suffix);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number() || v.is_boolean()) wrong_type(where_, key(suffix), v, "a number or \"NA\"");
  return v.get<double>();
}

std::vector<int64_t> OperandKeys::block_size(const std::string& suffix) const {
  const json& v = at(suffix);
  const std::string k = key(suffix);
  const std::string what = "a block size: an integer or a list of integers (-1 = whole dim)";
  std::vector<json> items;
  if (v.is_number_integer()) {
    items.push_back(v);
  } else if (v.is_array() && !v.empty()) {
    for (const auto& e : v) items.push_back(e);
  } else {
    wrong_type(where_, k, v, what);
  }
  std::vector<int64_t> out;
  for (const auto& e : items) {
    if (!e.is_number_integer()) wrong_type(where_, k, v, what);
    const int64_t b = e.get<int64_t>();
    if (b == 0 || b < -1)
      fail("key '" + k + "' entries must be >= 1 or -1 (whole dim), got " + std::to_string(b));
    out.push_back(b);
  }
  return out;
}

}  // namespace chop::quant
