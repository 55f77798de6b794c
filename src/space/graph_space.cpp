// Search-space registry and MASE's flatten/unflatten helpers; see search_space.h.
#include "space/graph_space.h"

#include <limits>

#include "core/error.h"
#include "core/strings.h"

namespace chop::space {

std::string SpaceSetup::locate(const std::string& key) const {
  std::string p = key.empty() ? path : path + "." + key;
  std::string w = where ? where(p) : "";
  return w.empty() ? p : w + " (" + p + ")";
}

int64_t GraphSpace::size() const {
  int64_t n = 1;
  for (const auto& p : params_) {
    int64_t c = static_cast<int64_t>(p.choices.size());
    if (c && n > std::numeric_limits<int64_t>::max() / c)
      return std::numeric_limits<int64_t>::max();
    n *= c;
  }
  return n;
}

const std::vector<SpaceEntry>& space_registry() {
  static const std::vector<SpaceEntry> table = {
      {"graph/quantize/mixed_precision_ptq",
       "post-training mixed-precision quantization: per-node quantizer configs (MASE)",
       make_mixed_precision_ptq},
      {"graph/quantize/mixed_precision_qat",
       "the same space, quantization-aware: each candidate is fine-tuned fake-quantized "
       "(needs the basic_train runner)",
       make_mixed_precision_qat},
      {"graph/architecture/channel_multiplier",
       "layer widths: a channel multiplier per linear/conv output (per_layer) or one for all "
       "(uniform); candidates get fresh weights and are trained (needs basic_train)",
       make_channel_multiplier},
      {"graph/joint/channel_multiplier_quantize",
       "per-layer widths and per-node quantizers in one trial: channels rewritten, then "
       "quantized, then trained fake-quantized (needs basic_train)",
       make_channel_multiplier_quantize},
  };
  return table;
}

std::unique_ptr<GraphSpace> make_graph_space(const SpaceSetup& setup) {
  std::vector<std::string> names;
  for (const auto& e : space_registry()) names.push_back(e.name);
  if (!setup.table.is_object() || !setup.table.contains("name") || !setup.table["name"].is_string())
    throw ConfigError(setup.locate("name"),
                      "the search space needs name = one of " + list_of(names));
  std::string name = setup.table["name"].get<std::string>();
  for (const auto& e : space_registry())
    if (e.name == name) return e.make(setup);
  throw ConfigError(setup.locate("name"), "unknown search space '" + name + "'" +
                                              did_you_mean(name, names) + "; expected one of " +
                                              list_of(names));
}

void check_space_keys(const SpaceSetup& setup) {
  for (auto it = setup.table.begin(); it != setup.table.end(); ++it)
    if (it.key() != "name" && it.key() != "setup" && it.key() != "seed")
      throw ConfigError(setup.locate(it.key()), "unknown key '" + it.key() +
                                                    "' in the search space; expected name, "
                                                    "setup, seed");
}

void flatten_into(const Json& nested, const std::string& prefix, std::vector<SpaceParam>& out,
                  const std::function<std::string(const std::string&)>& where_of_key) {
  for (auto it = nested.begin(); it != nested.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "/" + it.key();
    if (it.value().is_object()) {
      flatten_into(it.value(), key, out, where_of_key);
      continue;
    }
    if (!it.value().is_array())
      throw ConfigError(where_of_key(key), "'" + it.key() + "' must be a list of choices (write [" +
                                               it.value().dump() + "] for a single value)");
    if (it.value().empty())
      throw ConfigError(where_of_key(key), "'" + it.key() + "' has an empty choice list");
    SpaceParam p;
    p.key = key;
    for (const auto& v : it.value()) p.choices.push_back(v);
    out.push_back(std::move(p));
  }
}

Json unflatten(const std::map<std::string, Json>& flat) {
  Json root = Json::object();
  for (const auto& [key, value] : flat) {
    Json* cur = &root;
    auto parts = split(key, '/');
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!cur->contains(parts[i])) (*cur)[parts[i]] = Json::object();
      cur = &(*cur)[parts[i]];
    }
    (*cur)[parts.back()] = value;
  }
  return root;
}

}  // namespace chop::space
