// Parser for per-node quantization configs, following MASE's parse_node_config rules, with
// chop's stricter checks (types, widths, unknown keys) reported as ConfigErrors.
#include "quant/config.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "quant/family.h"
#include "quant/operand_keys.h"

namespace chop::quant {
namespace {

using json = nlohmann::ordered_json;

const std::vector<std::string> kOperands = {"data_in", "weight", "bias", "data_out"};

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
    for (const auto& f : family_registry())
      for (const auto& op : kOperands)
        for (const auto& k : f.keys)
          if (k.key != "skip_first_dim" || op == "data_in") s.insert(op + "_" + k.key);
    for (const auto& k : kExtraKeys) s.insert(k);
    for (const auto& op : kOperands)
      for (const char* suf : kOperandExtensions) s.insert(op + "_" + suf);
    return std::vector<std::string>(s.begin(), s.end());
  }();
  return keys;
}

[[noreturn]] void wrong_type(const std::string& where, const std::string& key, const json& v,
                             const std::string& expected) {
  throw ConfigError(where, "key '" + key + "' must be " + expected + ", got " + json_type_name(v));
}

bool get_bool(const json& v, const std::string& key, const std::string& where) {
  if (!v.is_boolean()) wrong_type(where, key, v, "true or false");
  return v.get<bool>();
}

std::string needs_list(const std::string& op, const FamilyEntry& f) {
  std::vector<std::string> keys;
  for (const auto& k : f.keys)
    if (k.required) keys.push_back(op + "_" + k.key);
  return list_of(keys);
}

bool documents(const FamilyEntry& f, const std::string& suffix) {
  for (const auto& k : f.keys)
    if (k.key == suffix) return true;
  return false;
}

OperandQuant parse_operand(const json& cfg, const std::string& name, QuantFamily family,
                           const std::string& op, const std::string& mase_op,
                           const std::string& where) {
  const FamilyEntry& f = family_entry(family);
  for (const auto& k : f.keys) {
    if (!k.required) continue;
    const std::string key = op + "_" + k.key;
    if (!cfg.contains(key))
      throw ConfigError(where, "missing key '" + key + "': " + mase_op + " quantized as \"" + name +
                                   "\" needs " + needs_list(op, f) +
                                   " (use \"NA\" where a default is allowed)");
  }
  const OperandKeys keys(cfg, op, name, mase_op, where);
  OperandQuant q;
  q.family = family;
  q.name = name;
  q.operand = op;
  f.parse(keys, q);
  // chop's integer extensions belong to the families that document them.
  for (const char* suf : {"signed", "narrow"})
    if (keys.has(suf) && !documents(f, suf))
      throw ConfigError(where, "key '" + keys.key(suf) +
                                   "' applies to integer quantization only, "
                                   "not \"" +
                                   name + "\"");
  if (f.blockwise) {
    // MASE blocks activations per batch item (data_in_skip_first_dim, default true) and
    // weights/biases over all dims.
    q.skip_first_dim = (op == "data_in" || op == "data_out");
    if (op == "data_in" && keys.has("skip_first_dim"))
      q.skip_first_dim = keys.boolean("skip_first_dim");
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
  return family_entry(family).name;
}

std::optional<QuantFamily> family_from_name(const std::string& name) {
  const FamilyEntry* f = find_family(name);
  return f ? std::optional<QuantFamily>(f->family) : std::nullopt;
}

const std::vector<std::string>& quant_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& f : family_registry()) {
      out.push_back(f.name);
      for (const auto& a : f.aliases) out.push_back(a);
    }
    return out;
  }();
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
        where,
        "expected a table of quantization keys (name = ..., ...), got " + json_type_name(config));
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
