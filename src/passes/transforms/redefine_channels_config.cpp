// Parsing of redefine_channels configs: MASE lab 4's per-node tables (name = output_only | both
// | input_only with channel_multiplier) plus chop's channel_multiplier_in / _out.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "passes/transforms/redefine_channels.h"

namespace chop::passes {
namespace {

const std::vector<std::string> kEntryKeys = {"name", "channel_multiplier", "channel_multiplier_in",
                                             "channel_multiplier_out", "parent_block_name"};
const std::vector<std::string> kModes = {"output_only", "both", "input_only"};

class ConfigReader {
 public:
  ConfigReader(std::string where, std::function<std::string(const std::string&)> locate)
      : where_(std::move(where)), locate_(std::move(locate)) {}

  std::string at(const std::string& key) const {
    if (locate_) return locate_(key);
    if (where_.empty()) return key;
    return key.empty() ? where_ : where_ + "." + key;
  }

  std::optional<double> multiplier(const Json& table, const std::string& key,
                                   const std::string& path) const {
    if (!table.contains(key) || table[key].is_null()) return std::nullopt;
    const Json& v = table[key];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= 0)
      throw ConfigError(at(path + "." + key), key +
                                                  " must be a positive number (the factor the "
                                                  "width is multiplied by), got " +
                                                  v.dump());
    return v.get<double>();
  }

  ChannelRequest entry(const Json& value, const std::string& key, RequestLevel level) const {
    ChannelRequest r;
    r.level = level;
    r.key = key;
    if (value.is_null()) return r;
    if (!value.is_object())
      throw ConfigError(at(key),
                        "must be a table such as {config = {name = \"both\", "
                        "channel_multiplier = 2}}, got " +
                            value.dump());
    const Json* inner = &value;
    if (value.contains("config")) {
      if (value.size() != 1)
        throw ConfigError(at(key),
                          "put every option inside its 'config' table (MASE layout), "
                          "or drop the 'config' level");
      inner = &value["config"];
      r.key = key + ".config";
      if (inner->is_null()) return r;
      if (!inner->is_object()) throw ConfigError(at(r.key), "must be a table");
    }
    for (auto it = inner->begin(); it != inner->end(); ++it)
      if (std::find(kEntryKeys.begin(), kEntryKeys.end(), it.key()) == kEntryKeys.end())
        throw ConfigError(at(r.key + "." + it.key()),
                          "unknown key '" + it.key() + "'" + did_you_mean(it.key(), kEntryKeys) +
                              "; redefine_channels entries take " + list_of(kEntryKeys));
    auto m = multiplier(*inner, "channel_multiplier", r.key);
    auto m_in = multiplier(*inner, "channel_multiplier_in", r.key);
    auto m_out = multiplier(*inner, "channel_multiplier_out", r.key);
    bool in_side = false, out_side = false;
    if (inner->contains("name") && !(*inner)["name"].is_null()) {
      const Json& name = (*inner)["name"];
      std::string mode = name.is_string() ? name.get<std::string>() : name.dump();
      if (!name.is_string() || std::find(kModes.begin(), kModes.end(), mode) == kModes.end())
        throw ConfigError(at(r.key + ".name"), "unknown mode '" + mode + "'" +
                                                   did_you_mean(mode, kModes) + "; use one of " +
                                                   list_of(kModes));
      in_side = mode != "output_only";
      out_side = mode != "input_only";
      if (m_in && !in_side)
        throw ConfigError(at(r.key + ".channel_multiplier_in"),
                          "contradicts name = \"" + mode + "\" (use name = \"both\")");
      if (m_out && !out_side)
        throw ConfigError(at(r.key + ".channel_multiplier_out"),
                          "contradicts name = \"" + mode + "\" (use name = \"both\")");
      if ((in_side && !m_in && !m) || (out_side && !m_out && !m))
        throw ConfigError(at(r.key), "name = \"" + mode + "\" needs channel_multiplier");
      if (in_side) r.scale.in = m_in ? m_in : m;
      if (out_side) r.scale.out = m_out ? m_out : m;
    } else {
      // MASE: name = None leaves the node alone, whatever channel_multiplier says.
      bool name_given = inner->contains("name");
      if (m && !name_given)
        throw ConfigError(at(r.key + ".channel_multiplier"),
                          "needs name = " + list_of(kModes) +
                              " (or use channel_multiplier_in / channel_multiplier_out)");
      r.scale.in = m_in;
      r.scale.out = m_out;
    }
    return r;
  }

 private:
  std::string where_;
  std::function<std::string(const std::string&)> locate_;
};

}  // namespace

RedefineChannelsOptions parse_redefine_channels_config(
    const Json& config, const std::string& where,
    const std::function<std::string(const std::string&)>& locate) {
  ConfigReader reader(where, locate);
  RedefineChannelsOptions opts;
  if (config.is_null()) return opts;
  if (!config.is_object())
    throw ConfigError(reader.at(""), "the redefine_channels config must be a table");
  if (config.contains("by") && !config["by"].is_null()) {
    const Json& by = config["by"];
    if (!by.is_string() || (by != "name" && by != "type"))
      throw ConfigError(reader.at("by"), "must be \"name\" or \"type\", got " + by.dump());
    opts.by = by.get<std::string>();
  }
  if (config.contains("inherit_weights") && !config["inherit_weights"].is_null()) {
    if (!config["inherit_weights"].is_boolean())
      throw ConfigError(reader.at("inherit_weights"), "must be true or false");
    opts.inherit_weights = config["inherit_weights"].get<bool>();
  }
  RequestLevel level = opts.by == "name" ? RequestLevel::kName : RequestLevel::kType;
  for (auto it = config.begin(); it != config.end(); ++it) {
    const std::string& key = it.key();
    if (key == "by" || key == "inherit_weights") continue;
    if (key == "default")
      opts.default_request = reader.entry(it.value(), key, RequestLevel::kDefault);
    else
      opts.entries[key] = reader.entry(it.value(), key, level);
  }
  return opts;
}

Json RedefineChannelsResult::info() const {
  Json nodes = Json::array();
  for (const auto& r : resized)
    nodes.push_back(Json{{"node", r.name},
                         {"mase_op", r.mase_op},
                         {"in", {r.in_before, r.in_after}},
                         {"out", {r.out_before, r.out_after}}});
  return Json{{"resized", nodes},
              {"ignored", ignored},
              {"params_before", params_before},
              {"params_after", params_after}};
}

}  // namespace chop::passes
