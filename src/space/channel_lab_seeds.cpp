// "graph/architecture/channel_multiplier" with MASE lab 4's seeds as the lab wrote them: per-node
// tables of redefine_linear_transform_pass options whose every key is a list of choices —
// name = ["output_only", "both", "input_only"], channel_multiplier[_in|_out], parent_block_name.
// Each candidate is the redefine_channels pass run on the sampled per-node table, so lab 4's
// input_only on the last Linear resizes its input (as the previous layer's output), and choices
// that disagree about one width fail that trial with the pass's message. parent_block_name (the
// layer whose output feeds this one) makes this layer's input follow that output: its own input
// multiplier is not applied, so the two always agree.
#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "passes/transforms/channel_groups.h"
#include "passes/transforms/redefine_channels.h"
#include "space/graph_space.h"

namespace chop::space {
namespace {

const std::vector<std::string> kLeaves = {"name", "channel_multiplier", "channel_multiplier_in",
                                          "channel_multiplier_out", "parent_block_name"};
const std::vector<std::string> kModes = {"output_only", "both", "input_only"};

class LabChannelSpace : public GraphSpace {
 public:
  explicit LabChannelSpace(const SpaceSetup& setup) : base_(setup.base), seed_(setup.seed) {
    const Json& t = setup.table;
    if (t.contains("setup")) read_setup(setup, t["setup"]);
    const Json& seed = t["seed"];
    std::vector<std::string> layers, names;
    for (const auto& n : base_->nodes()) {
      names.push_back(n.name);
      if (passes::is_resizable_op(n.mase_op)) layers.push_back(n.name);
    }
    for (auto it = seed.begin(); it != seed.end(); ++it) {
      const std::string& k = it.key();
      if (k == "default" || passes::is_resizable_op(k)) continue;
      const graph::Node* n = base_->find(k);
      if (!n)
        throw ConfigError(setup.locate("seed." + k),
                          "seed '" + k + "' names no node of model '" + base_->model_name() + "'" +
                              did_you_mean(k, names) + "; its linear/conv layers are " +
                              list_of(layers));
      if (!passes::is_resizable_op(n->mase_op))
        throw ConfigError(setup.locate("seed." + k),
                          "node '" + k + "' is a " + n->mase_op +
                              "; lab-4 seeds name linear and conv layers (" + list_of(layers) +
                              "); the others follow their producer");
    }
    // The default seed is sampled once and applies (at the lowest level) to every layer without
    // its own seed; by-name and by-type seeds are sampled per layer.
    if (seed.contains("default")) add_params(setup, seed["default"], "default", "default");
    for (const auto& n : base_->nodes()) {
      if (!passes::is_resizable_op(n.mase_op)) continue;
      const std::string key = seed.contains(n.name)      ? n.name
                              : seed.contains(n.mase_op) ? n.mase_op
                                                         : "";
      if (!key.empty()) add_params(setup, seed[key], key, n.name);
    }
  }

  std::string name() const override { return "graph/architecture/channel_multiplier"; }
  bool copies_weights() const override { return true; }
  bool fresh_weights() const override { return !inherit_weights_; }

  Candidate build(const std::map<std::string, Json>& sampled) const override {
    return build_for_trial(sampled, seed_);
  }

  Candidate build_for_trial(const std::map<std::string, Json>& sampled,
                            uint64_t trial_seed) const override {
    // The sampled per-node table is a [passes.redefine_channels] config (by name).
    Json config{{"by", "name"}, {"inherit_weights", inherit_weights_}};
    for (const auto& p : params_) {
      const size_t slash = p.key.find('/');
      const std::string entry = p.key.substr(0, slash);
      const std::string leaf = p.key.substr(p.key.rfind('/') + 1);
      auto it = sampled.find(p.key);
      CHOP_ASSERT(it != sampled.end(), "sampled configuration lacks " + p.key);
      config[entry]["config"][leaf] = it->second;
    }
    for (auto it = config.begin(); it != config.end(); ++it) {
      if (!it.value().is_object()) continue;
      Json& cfg = it.value()["config"];
      if (!cfg.contains("parent_block_name") || cfg["parent_block_name"].is_null()) continue;
      // The input follows the parent's output: keep only the output side.
      const Json mode = cfg.value("name", Json());
      cfg.erase("channel_multiplier_in");
      if (mode == "input_only") {
        cfg["name"] = nullptr;
      } else if (mode == "both") {
        cfg["name"] = "output_only";
        if (cfg.contains("channel_multiplier_out")) {
          cfg["channel_multiplier"] = cfg["channel_multiplier_out"];
          cfg.erase("channel_multiplier_out");
        }
      }
    }
    Candidate c;
    c.graph = base_->clone();
    passes::redefine_channels(c.graph, config, trial_seed, "search.search_space (sampled)");
    config.erase("by");
    config.erase("inherit_weights");
    c.sampled_config = config;
    return c;
  }

 private:
  void read_setup(const SpaceSetup& setup, const Json& s) {
    if (!s.is_object()) throw ConfigError(setup.locate("setup"), "setup must be a table");
    for (auto it = s.begin(); it != s.end(); ++it) {
      const std::string& k = it.key();
      if (k == "inherit_weights") {
        if (!it.value().is_boolean())
          throw ConfigError(setup.locate("setup.inherit_weights"), "must be true or false");
        inherit_weights_ = it.value().get<bool>();
      } else if (k == "by") {
        if (it.value() != "name" && it.value() != "type")
          throw ConfigError(setup.locate("setup.by"), "by must be \"name\" or \"type\"");
      } else if (k == "mode") {
        if (it.value() != "per_layer")
          throw ConfigError(setup.locate("setup.mode"),
                            "lab-4 seeds (name = [...], channel_multiplier_in/out) are per "
                            "layer; mode = \"uniform\" takes seed.default.config."
                            "channel_multiplier only");
      } else {
        throw ConfigError(setup.locate("setup." + k),
                          "unknown key '" + k + "' in setup" +
                              did_you_mean(k, {"mode", "inherit_weights", "by"}) +
                              "; expected inherit_weights (and by, mode)");
      }
    }
  }

  void add_params(const SpaceSetup& setup, const Json& entry, const std::string& seed_key,
                  const std::string& target) {
    const std::string path = "seed." + seed_key + ".config";
    if (!entry.is_object() || !entry.contains("config") || !entry["config"].is_object())
      throw ConfigError(setup.locate("seed." + seed_key),
                        "seed '" + seed_key + "' needs a config table, e.g. seed." + seed_key +
                            ".config.name = [\"both\"] and channel_multiplier = [1, 2]");
    const Json& cfg = entry["config"];
    for (auto it = cfg.begin(); it != cfg.end(); ++it) {
      const std::string& leaf = it.key();
      const std::string where = setup.locate(path + "." + leaf);
      if (std::find(kLeaves.begin(), kLeaves.end(), leaf) == kLeaves.end())
        throw ConfigError(where, "unknown key '" + leaf + "'" + did_you_mean(leaf, kLeaves) +
                                     "; lab-4 channel seeds take " + list_of(kLeaves));
      // MASE: every leaf of a seed is a list of choices.
      if (!it.value().is_array() || it.value().empty())
        throw ConfigError(where, leaf + " must be a non-empty list of choices (write [" +
                                     it.value().dump() + "] for a single value)");
      SpaceParam p;
      p.key = target + "/config/" + leaf;
      for (const auto& v : it.value()) {
        if (leaf == "name" && !v.is_null() &&
            (!v.is_string() || std::find(kModes.begin(), kModes.end(), v) == kModes.end()))
          throw ConfigError(where, "unknown mode " + v.dump() + "; use " + list_of(kModes) +
                                       " or \"NA\" (leave the layer alone)");
        if (leaf == "parent_block_name" && !v.is_null() &&
            (!v.is_string() || !base_->find(v.get<std::string>())))
          throw ConfigError(where, "parent_block_name " + v.dump() + " names no node of model '" +
                                       base_->model_name() + "'");
        if (starts_with(leaf, "channel_multiplier") && (!v.is_number() || !(v.get<double>() > 0)))
          throw ConfigError(where, leaf + " choices must be positive numbers, got " + v.dump());
        p.choices.push_back(v);
      }
      params_.push_back(std::move(p));
    }
  }

  const graph::Graph* base_;
  uint64_t seed_;
  bool inherit_weights_ = false;
};

}  // namespace

bool is_lab_channel_seed(const Json& seed_table) {
  if (!seed_table.is_object()) return false;
  for (auto it = seed_table.begin(); it != seed_table.end(); ++it) {
    const Json& e = it.value();
    if (!e.is_object() || !e.contains("config") || !e["config"].is_object()) continue;
    for (auto leaf = e["config"].begin(); leaf != e["config"].end(); ++leaf)
      if (leaf.key() != "channel_multiplier") return true;
  }
  return false;
}

std::unique_ptr<GraphSpace> make_lab_channel_space(const SpaceSetup& setup) {
  return std::make_unique<LabChannelSpace>(setup);
}

}  // namespace chop::space
