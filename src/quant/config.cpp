// Parser for per-node quantization configs, following MASE's parse_node_config rules, with
// chop's stricter checks (types, widths, unknown keys) reported as ConfigErrors.
#include "quant/config.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/strings.h"

namespace chop::quant {
namespace {

using json = nlohmann::ordered_json;

const std::vector<std::string> kOperands = {"data_in", "weight", "bias", "data_out"};

struct FamilyKeys {
  QuantFamily family;
  std::vector<std::string> required;  // suffixes MASE copies strictly (in its metadata order)
  std::vector<std::string> optional;  // suffixes chop accepts when absent
};

const std::vector<FamilyKeys>& family_table() {
  static const std::vector<FamilyKeys> table = {
      {QuantFamily::kInteger, {"width", "frac_width"}, {}},
      {QuantFamily::kMinifloatDenorm, {"width", "exponent_width", "exponent_bias"}, {}},
      {QuantFamily::kMinifloatIeee, {"width", "exponent_width", "exponent_bias"}, {}},
      {QuantFamily::kLog, {"width", "exponent_bias"}, {}},
      {QuantFamily::kBlockFp,
       {"width", "exponent_width", "exponent_bias", "block_size"},
       {"skip_first_dim"}},
      {QuantFamily::kBlockMinifloat,
       {"width", "exponent_width", "exponent_bias_width", "block_size"},
       {"skip_first_dim"}},
      {QuantFamily::kBlockLog, {"width", "exponent_bias_width", "block_size"}, {"skip_first_dim"}},
      {QuantFamily::kBinary, {"width", "stochastic", "bipolar"}, {}},
      {QuantFamily::kTernary, {"width", "scaling_factor"}, {"mean", "median", "max"}},
  };
  return table;
}

const FamilyKeys& keys_of(QuantFamily f) {
  for (const auto& k : family_table())
    if (k.family == f) return k;
  CHOP_ASSERT(false, "family missing from the key table");
  return family_table().front();
}

// chop's per-operand keys beyond MASE's: a float operand, and integer signedness/narrow range.
constexpr const char* kOperandExtensions[] = {"bypass", "signed", "narrow"};

// Keys chop accepts but does not interpret (MASE's linear additional_layers group).
const std::vector<std::string> kExtraKeys = {"additional_layers_inputs",
                                             "additional_layers_outputs"};

// MASE names chop knows but does not implement, with what to do instead.
const std::map<std::string, std::string>& unsupported_names() {
  static const std::map<std::string, std::string> m = {
      {"msfp", "\"msfp\" is the old name of block floating point: use name = \"block_fp\""},
      {"binary_residual", "MASE's \"binary_residual\" is not supported by chop"},
      {"lutnet", "MASE's \"lutnet\" research layers are not supported by chop"},
      {"logicnets", "MASE's \"logicnets\" research layers are not supported by chop"},
  };
  return m;
}

const std::vector<std::string>& known_keys() {
  static const std::vector<std::string> keys = [] {
    std::set<std::string> s = {"name", "bypass"};
    for (const auto& fk : family_table())
      for (const auto& op : kOperands) {
        for (const auto& suf : fk.required) s.insert(op + "_" + suf);
        for (const auto& suf : fk.optional)
          if (suf != "skip_first_dim" || op == "data_in") s.insert(op + "_" + suf);
      }
    for (const auto& k : kExtraKeys) s.insert(k);
    for (const auto& op : kOperands)
      for (const char* suf : kOperandExtensions) s.insert(op + "_" + suf);
    return std::vector<std::string>(s.begin(), s.end());
  }();
  return keys;
}

std::string type_name(const json& v) {
  if (v.is_null()) return "null (\"NA\")";
  if (v.is_boolean()) return "boolean " + v.dump();
  if (v.is_number_integer()) return "integer " + v.dump();
  if (v.is_number()) return "float " + v.dump();
  if (v.is_string()) return "string " + v.dump();
  if (v.is_array()) return "array " + v.dump();
  return "table";
}

[[noreturn]] void wrong_type(const std::string& where, const std::string& key, const json& v,
                             const std::string& expected) {
  throw ConfigError(where, "key '" + key + "' must be " + expected + ", got " + type_name(v));
}

int get_int(const json& v, const std::string& key, const std::string& where, int lo, int hi,
            const std::string& what) {
  if (!v.is_number_integer()) wrong_type(where, key, v, what);
  const int64_t i = v.get<int64_t>();
  if (i < lo || i > hi)
    throw ConfigError(where, "key '" + key + "' must be " + what + " in [" + std::to_string(lo) +
                                 ", " + std::to_string(hi) + "], got " + std::to_string(i));
  return static_cast<int>(i);
}

int get_width(const json& v, const std::string& key, const std::string& where, int min_width) {
  if (!v.is_number_integer()) wrong_type(where, key, v, "a positive integer (bits)");
  const int64_t i = v.get<int64_t>();
  if (i <= 0)
    throw ConfigError(where, "key '" + key + "' must be a positive integer (bits), got " +
                                 std::to_string(i) + "; set it to the number of bits, e.g. 8");
  if (i < min_width || i > 64)
    throw ConfigError(where, "key '" + key + "' must be in [" + std::to_string(min_width) +
                                 ", 64] bits for this quantization, got " + std::to_string(i));
  return static_cast<int>(i);
}

std::optional<int> get_nullable_int(const json& v, const std::string& key,
                                    const std::string& where) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_number_integer()) wrong_type(where, key, v, "an integer or \"NA\"");
  const int64_t i = v.get<int64_t>();
  if (i < -1000 || i > 1000)
    throw ConfigError(where,
                      "key '" + key + "' must be in [-1000, 1000], got " + std::to_string(i));
  return static_cast<int>(i);
}

bool get_bool(const json& v, const std::string& key, const std::string& where) {
  if (!v.is_boolean()) wrong_type(where, key, v, "true or false");
  return v.get<bool>();
}

std::optional<double> get_nullable_number(const json& v, const std::string& key,
                                          const std::string& where) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_number() || v.is_boolean()) wrong_type(where, key, v, "a number or \"NA\"");
  return v.get<double>();
}

std::vector<int64_t> get_block_size(const json& v, const std::string& key,
                                    const std::string& where) {
  const std::string what = "a block size: an integer or a list of integers (-1 = whole dim)";
  std::vector<json> items;
  if (v.is_number_integer()) {
    items.push_back(v);
  } else if (v.is_array() && !v.empty()) {
    for (const auto& e : v) items.push_back(e);
  } else {
    wrong_type(where, key, v, what);
  }
  std::vector<int64_t> out;
  for (const auto& e : items) {
    if (!e.is_number_integer()) wrong_type(where, key, v, what);
    const int64_t b = e.get<int64_t>();
    if (b == 0 || b < -1)
      throw ConfigError(where, "key '" + key + "' entries must be >= 1 or -1 (whole dim), got " +
                                   std::to_string(b));
    out.push_back(b);
  }
  return out;
}

std::string needs_list(const std::string& op, const FamilyKeys& fk) {
  std::vector<std::string> keys;
  for (const auto& s : fk.required) keys.push_back(op + "_" + s);
  return list_of(keys);
}

OperandQuant parse_operand(const json& cfg, const std::string& name, QuantFamily family,
                           const std::string& op, const std::string& mase_op,
                           const std::string& where) {
  const FamilyKeys& fk = keys_of(family);
  for (const auto& suf : fk.required) {
    const std::string key = op + "_" + suf;
    if (!cfg.contains(key))
      throw ConfigError(where, "missing key '" + key + "': " + mase_op + " quantized as \"" + name +
                                   "\" needs " + needs_list(op, fk) +
                                   " (use \"NA\" where a default is allowed)");
  }
  auto at = [&](const std::string& suf) -> const json& { return cfg.at(op + "_" + suf); };
  auto has = [&](const std::string& suf) { return cfg.contains(op + "_" + suf); };
  auto key = [&](const std::string& suf) { return op + "_" + suf; };

  OperandQuant q;
  q.family = family;
  q.name = name;
  q.operand = op;
  switch (family) {
    case QuantFamily::kInteger:
      q.width = get_width(at("width"), key("width"), where, 1);
      q.frac_width = get_nullable_int(at("frac_width"), key("frac_width"), where);
      q.is_signed = !(mase_op == "relu" && op == "data_in");
      if (has("signed")) q.is_signed = get_bool(at("signed"), key("signed"), where);
      if (has("narrow")) q.narrow = get_bool(at("narrow"), key("narrow"), where);
      break;
    case QuantFamily::kMinifloatDenorm:
    case QuantFamily::kMinifloatIeee:
      q.width = get_width(at("width"), key("width"), where, 2);
      q.exponent_width = get_int(at("exponent_width"), key("exponent_width"), where, 1, 30,
                                 "a positive integer (bits)");
      if (q.exponent_width > q.width - 1)
        throw ConfigError(where, "key '" + key("exponent_width") + "' (" +
                                     std::to_string(q.exponent_width) + ") must be at most " +
                                     key("width") + " - 1 (" + std::to_string(q.width - 1) +
                                     "): one bit is the sign");
      q.exponent_bias = get_nullable_int(at("exponent_bias"), key("exponent_bias"), where);
      break;
    case QuantFamily::kLog:
      q.width = get_width(at("width"), key("width"), where, 2);
      if (q.width > 31)
        throw ConfigError(where, "key '" + key("width") + "' must be at most 31 for log, got " +
                                     std::to_string(q.width));
      q.exponent_bias = get_nullable_int(at("exponent_bias"), key("exponent_bias"), where);
      break;
    case QuantFamily::kBlockFp:
      q.width = get_width(at("width"), key("width"), where, 1);
      q.exponent_width = get_int(at("exponent_width"), key("exponent_width"), where, 1, 30,
                                 "a positive integer (bits)");
      q.exponent_bias = get_nullable_int(at("exponent_bias"), key("exponent_bias"), where);
      q.block_size = get_block_size(at("block_size"), key("block_size"), where);
      break;
    case QuantFamily::kBlockMinifloat:
      q.width = get_width(at("width"), key("width"), where, 2);
      q.exponent_width = get_int(at("exponent_width"), key("exponent_width"), where, 1, 30,
                                 "a positive integer (bits)");
      if (q.exponent_width > q.width - 1)
        throw ConfigError(where, "key '" + key("exponent_width") + "' must be at most " +
                                     key("width") + " - 1: one bit is the sign");
      q.exponent_bias_width = get_int(at("exponent_bias_width"), key("exponent_bias_width"), where,
                                      0, 30, "a non-negative integer (bits)");
      q.block_size = get_block_size(at("block_size"), key("block_size"), where);
      break;
    case QuantFamily::kBlockLog:
      q.width = get_width(at("width"), key("width"), where, 2);
      if (q.width > 31)
        throw ConfigError(where, "key '" + key("width") + "' must be at most 31 for block_log");
      q.exponent_bias_width = get_int(at("exponent_bias_width"), key("exponent_bias_width"), where,
                                      0, 30, "a non-negative integer (bits)");
      q.block_size = get_block_size(at("block_size"), key("block_size"), where);
      break;
    case QuantFamily::kBinary:
      q.width = get_width(at("width"), key("width"), where, 1);
      q.stochastic = get_bool(at("stochastic"), key("stochastic"), where);
      q.bipolar = get_bool(at("bipolar"), key("bipolar"), where);
      break;
    case QuantFamily::kTernary:
      q.width = get_width(at("width"), key("width"), where, 1);
      q.scaling_factor = get_bool(at("scaling_factor"), key("scaling_factor"), where);
      if (has("mean")) q.mean = get_nullable_number(at("mean"), key("mean"), where);
      if (has("median")) q.median = get_nullable_number(at("median"), key("median"), where);
      if (has("max")) q.max = get_nullable_number(at("max"), key("max"), where);
      break;
  }
  if (family != QuantFamily::kInteger)
    for (const char* suf : {"signed", "narrow"})
      if (has(suf))
        throw ConfigError(where, "key '" + key(suf) +
                                     "' applies to integer quantization only, "
                                     "not \"" +
                                     name + "\"");
  if (family == QuantFamily::kBlockFp || family == QuantFamily::kBlockMinifloat ||
      family == QuantFamily::kBlockLog) {
    // MASE blocks activations per batch item (data_in_skip_first_dim, default true) and
    // weights/biases over all dims.
    q.skip_first_dim = (op == "data_in" || op == "data_out");
    if (op == "data_in" && has("skip_first_dim"))
      q.skip_first_dim = get_bool(at("skip_first_dim"), key("skip_first_dim"), where);
  }
  return q;
}

struct OpEntries {
  std::vector<std::string> required;  // operand groups
  std::vector<std::string> optional;  // operand groups and "additional_layers"
};

const std::map<std::string, OpEntries>& op_table() {
  static const std::map<std::string, OpEntries> t = {
      {"add", {{"data_in"}, {}}},
      {"bmm", {{"data_in", "weight"}, {}}},
      {"conv1d", {{"data_in", "weight"}, {"bias"}}},
      {"conv2d", {{"data_in", "weight"}, {"bias", "data_out"}}},
      {"matmul", {{"data_in", "weight"}, {}}},
      {"mul", {{"data_in"}, {}}},
      {"linear", {{"data_in", "weight"}, {"bias", "data_out", "additional_layers"}}},
      {"relu", {{"data_in"}, {}}},
      {"sub", {{"data_in"}, {}}},
  };
  return t;
}

std::optional<OperandQuant>* slot(NodeQuantConfig& c, const std::string& op) {
  if (op == "data_in") return &c.data_in;
  if (op == "weight") return &c.weight;
  if (op == "bias") return &c.bias;
  if (op == "data_out") return &c.data_out;
  return nullptr;
}

bool has_prefix_key(const json& cfg, const std::string& prefix) {
  for (const auto& [k, v] : cfg.items())
    if (starts_with(k, prefix)) return true;
  return false;
}

}  // namespace

std::string family_name(QuantFamily family) {
  switch (family) {
    case QuantFamily::kInteger:
      return "integer";
    case QuantFamily::kMinifloatDenorm:
      return "minifloat_denorm";
    case QuantFamily::kMinifloatIeee:
      return "minifloat_ieee";
    case QuantFamily::kLog:
      return "log";
    case QuantFamily::kBlockFp:
      return "block_fp";
    case QuantFamily::kBlockMinifloat:
      return "block_minifloat";
    case QuantFamily::kBlockLog:
      return "block_log";
    case QuantFamily::kBinary:
      return "binary";
    case QuantFamily::kTernary:
      return "ternary";
  }
  return "?";
}

std::optional<QuantFamily> family_from_name(const std::string& name) {
  if (name == "fixed") return QuantFamily::kInteger;
  for (const auto& fk : family_table())
    if (family_name(fk.family) == name) return fk.family;
  return std::nullopt;
}

const std::vector<std::string>& quant_names() {
  static const std::vector<std::string> names = {
      "integer",  "fixed",           "minifloat_denorm", "minifloat_ieee", "log",
      "block_fp", "block_minifloat", "block_log",        "binary",         "ternary"};
  return names;
}

const std::vector<std::string>& quantizable_ops() {
  static const std::vector<std::string> ops = {"add", "bmm",    "conv1d", "conv2d", "matmul",
                                               "mul", "linear", "relu",   "sub"};
  return ops;
}

bool is_quantizable_op(const std::string& mase_op) {
  return op_table().count(mase_op) > 0;
}

NodeQuantConfig parse_node_quant_config(const json& config, const std::string& mase_op,
                                        const std::string& where) {
  if (!config.is_object())
    throw ConfigError(
        where, "expected a table of quantization keys (name = ..., ...), got " + type_name(config));
  for (const auto& [k, v] : config.items()) {
    if (std::find(known_keys().begin(), known_keys().end(), k) != known_keys().end()) continue;
    throw ConfigError(where, "unknown key '" + k + "'" + did_you_mean(k, known_keys()) +
                                 "; quantization keys are name, bypass and "
                                 "<data_in|weight|bias|data_out>_<width|frac_width|...>");
  }
  NodeQuantConfig out;
  if (!config.contains("name"))
    throw ConfigError(where,
                      "missing key 'name': set name = \"integer\" (or another "
                      "quantization), or name = \"NA\" to leave the node unquantized");
  const json& name_v = config.at("name");
  if (name_v.is_null()) return out;  // "NA": not quantized
  if (!name_v.is_string()) wrong_type(where, "name", name_v, "a quantization name or \"NA\"");
  const std::string name = name_v.get<std::string>();
  const auto family = family_from_name(name);
  if (!family) {
    auto it = unsupported_names().find(name);
    if (it != unsupported_names().end())
      throw ConfigError(where,
                        "key 'name': " + it->second + "; supported: " + list_of(quant_names()));
    throw ConfigError(where, "key 'name': unknown quantization \"" + name + "\"" +
                                 did_you_mean(name, quant_names()) + "; expected one of " +
                                 list_of(quant_names()) + ", or \"NA\" for none");
  }
  out.name = name;
  if (config.contains("bypass")) out.bypass = get_bool(config.at("bypass"), "bypass", where);
  if (out.bypass) return out;

  auto op_it = op_table().find(mase_op);
  if (op_it == op_table().end())
    throw ConfigError(where, "op '" + mase_op + "' cannot be quantized; quantizable ops are " +
                                 list_of(quantizable_ops()) + " (set name = \"NA\" for this node)");
  // `<group>_bypass = true`: the operand stays float; no other key of the group may be set.
  auto bypassed = [&](const std::string& group) {
    const std::string k = group + "_bypass";
    if (!config.contains(k) || !get_bool(config.at(k), k, where)) return false;
    for (const auto& [key, v] : config.items())
      if (starts_with(key, group + "_") && key != k)
        throw ConfigError(where, "key '" + key + "' contradicts " + k + " = true");
    return true;
  };
  for (const auto& group : op_it->second.required)
    if (!bypassed(group))
      *slot(out, group) = parse_operand(config, name, *family, group, mase_op, where);
  for (const auto& group : op_it->second.optional) {
    if (!has_prefix_key(config, group) || bypassed(group)) continue;
    if (group == "additional_layers") {
      for (const auto& k : kExtraKeys)
        if (config.contains(k)) out.extra[k] = config.at(k);
      continue;
    }
    *slot(out, group) = parse_operand(config, name, *family, group, mase_op, where);
  }
  return out;
}

}  // namespace chop::quant
