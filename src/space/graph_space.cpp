// Search-space registry and MASE's flatten/unflatten helpers; see graph_space.h.
#include "space/graph_space.h"

#include <algorithm>
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

namespace {

const std::string kPath = "search.search_space";

config::TableDoc mase_space_table(const std::string& name) {
  return {kPath + " (" + name + ")",
          "the space: its name, set-up and per-node seeds",
          {{"name", "string", nullptr, true, "the space (see `chop list spaces`)"},
           {"setup", "table", nullptr, false, "[search.search_space.setup]"},
           {"seed", "table", nullptr, true,
            "per-node choice lists: seed.default.config and seed.<node or mase_op>.config"}}};
}

config::TableDoc quantize_setup(const std::string& name) {
  return {kPath + ".setup (" + name + ")",
          "how seeds are matched to nodes",
          {{"by", "string", nullptr, true,
            "\"name\": a seed per node name; \"type\": a seed per mase_op"},
           {"seed_default", "any", nullptr, false, "accepted for MASE configs; unused"}}};
}

}  // namespace

const Registry<SpaceEntry>& space_registry() {
  static const Registry<SpaceEntry> table{
      {"search space", "search spaces", "chop list spaces"},
      {
          {"graph/quantize/mixed_precision_ptq",
           "post-training mixed-precision quantization: per-node quantizer configs (MASE)",
           {mase_space_table("mixed_precision_ptq"), quantize_setup("mixed_precision_ptq")},
           make_mixed_precision_ptq},
          {"graph/quantize/mixed_precision_qat",
           "the same space, quantization-aware: each candidate is fine-tuned fake-quantized "
           "(needs a training runner, basic_train)",
           {mase_space_table("mixed_precision_qat"), quantize_setup("mixed_precision_qat")},
           make_mixed_precision_qat},
          {"graph/architecture/channel_multiplier",
           "layer widths: a channel multiplier per linear/conv output (per_layer) or one for all "
           "(uniform); candidates get fresh weights and are trained (needs basic_train)",
           {mase_space_table("channel_multiplier"),
            {kPath + ".setup (channel_multiplier)",
             "how multipliers are laid out",
             {{"mode", "string", "per_layer", false,
               "\"per_layer\" (a multiplier per layer output) or \"uniform\" (one for all)"},
              {"inherit_weights", "bool", false, false,
               "resized layers keep the leading slice of the trained weights"},
              {"by", "string", "name", false, "seeds by node \"name\" or mase_op \"type\""}}}},
           make_channel_multiplier},
          {"graph/joint/channel_multiplier_quantize",
           "per-layer widths and per-node quantizers in one trial: channels rewritten, then "
           "quantized, then trained fake-quantized (needs basic_train)",
           {{kPath + " (channel_multiplier_quantize)",
             "two sub-spaces sampled in the same trial",
             {{"name", "string", nullptr, true, "graph/joint/channel_multiplier_quantize"},
              {"channels", "table", nullptr, true,
               "a channel_multiplier space (setup, seed) at [search.search_space.channels]"},
              {"quantize", "table", nullptr, true,
               "a mixed-precision space (setup, seed) at [search.search_space.quantize]"}}}},
           make_channel_multiplier_quantize},
      }};
  return table;
}

const SpaceEntry& space_entry(const std::string& name) {
  const SpaceEntry* e = space_registry().find(name);
  CHOP_ASSERT(e, "no search space '" + name + "'");
  return *e;
}

std::unique_ptr<GraphSpace> make_graph_space(const SpaceSetup& setup) {
  if (!setup.table.is_object() || !setup.table.contains("name") || !setup.table["name"].is_string())
    throw ConfigError(setup.locate("name"),
                      "the search space needs name = one of " + list_of(space_registry().names()));
  return space_registry()
      .get(setup.table["name"].get<std::string>(), setup.locate("name"))
      .make(setup);
}

config::TableReader read_space_setup(const SpaceSetup& setup, const std::string& space_name) {
  const SpaceEntry& e = space_entry(space_name);
  const config::Locate locate = [&setup](const std::string& k) { return setup.locate(k); };
  const config::TableReader table(setup.table, e.tables.at(0), locate);
  const Json s = table.get_json("setup");
  if (!s.is_null() && !s.is_object())
    throw ConfigError(setup.locate("setup"), "setup must be a table");
  return config::TableReader(s, e.tables.at(1), config::locate_below(locate, "setup"));
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
    for (const auto& v : it.value()) {
      // A repeated choice would count configurations twice and make samplers favour it.
      if (std::find(p.choices.begin(), p.choices.end(), v) != p.choices.end())
        throw ConfigError(where_of_key(key), "'" + it.key() + "' lists " + v.dump() +
                                                 " twice; each choice must be different");
      p.choices.push_back(v);
    }
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
