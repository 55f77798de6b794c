// "graph/architecture/channel_multiplier" (MASE lab 4's channel search): choices of channel
// multipliers from MASE-style seed lists, either one per resizable linear/conv output
// (per_layer) or one for every hidden width (uniform). Candidates are rewritten by
// redefine_channels with fresh weights seeded from the trial, so they must be trained.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "passes/transforms/channel_groups.h"
#include "passes/transforms/redefine_channels.h"
#include "space/graph_space.h"

namespace chop::space {
namespace {

const char* const kMultiplierKey = "channel_multiplier";

class ChannelMultiplierSpace : public GraphSpace {
 public:
  explicit ChannelMultiplierSpace(const SpaceSetup& setup) : base_(setup.base), seed_(setup.seed) {
    const Json& t = setup.table;
    parse_setup(setup);
    if (!t.contains("seed") || !t["seed"].is_object() || t["seed"].empty())
      throw ConfigError(setup.locate("seed"),
                        "the channel search needs seed lists, e.g. "
                        "seed.default.config.channel_multiplier = [1, 2, 4]");
    const Json& seed = t["seed"];
    std::vector<passes::ResizableNode> nodes = passes::resizable_nodes(*base_);
    check_seed_keys(setup, seed, nodes);
    if (uniform_) {
      if (!seed.contains("default"))
        throw ConfigError(setup.locate("seed"),
                          "setup.mode = \"uniform\" samples one multiplier for all layers from "
                          "seed.default.config.channel_multiplier; it is missing");
      add_param(setup, seed, "default", "default");
    } else {
      // Outputs joined by a residual add (x + f(x)) are one width: one multiplier per width
      // group, sampled for the group's first layer with the most specific seed (name > type >
      // default); the other layers of the group follow it.
      const passes::ChannelGroups groups = passes::find_channel_groups(*base_);
      struct Choice {
        std::string node, key;
        int level = -1;
      };
      std::map<int, Choice> per_group;
      std::vector<int> order;
      for (const auto& n : nodes) {
        if (!n.out_resizable) continue;
        const int level = seed.contains(n.name)      ? 2
                          : seed.contains(n.mase_op) ? 1
                          : seed.contains("default") ? 0
                                                     : -1;
        if (level < 0) continue;  // no seed: the node keeps its width
        const std::string key = level == 2 ? n.name : level == 1 ? n.mase_op : "default";
        const int g = groups.out_group.at(n.name);
        auto it = per_group.find(g);
        if (it == per_group.end()) {
          per_group[g] = Choice{n.name, key, level};
          order.push_back(g);
        } else if (level == 2 && it->second.level == 2) {
          throw ConfigError(setup.locate("seed." + n.name),
                            "nodes " + it->second.node + " and " + n.name +
                                " produce one width (their outputs are added together); give a "
                                "seed to one of them, the other follows");
        } else if (level > it->second.level) {
          it->second = Choice{n.name, key, level};
        }
      }
      for (int g : order) add_param(setup, seed, per_group[g].key, per_group[g].node);
    }
    if (params_.empty())
      throw ConfigError(setup.locate("seed"),
                        "no layer of model '" + base_->model_name() +
                            "' gets a multiplier: give seed.default or seed.<node>; resizable "
                            "outputs are " +
                            list_of(resizable_outputs(nodes)));
  }

  std::string name() const override { return "graph/architecture/channel_multiplier"; }
  bool copies_weights() const override { return true; }
  bool fresh_weights() const override { return !inherit_weights_; }

  Candidate build(const std::map<std::string, Json>& sampled) const override {
    return build_for_trial(sampled, seed_);
  }

  Candidate build_for_trial(const std::map<std::string, Json>& sampled,
                            uint64_t trial_seed) const override {
    Candidate c;
    if (uniform_) {
      double m = multiplier(sampled, "default/config/channel_multiplier");
      c.graph = passes::with_uniform_channel_multiplier(*base_, m, trial_seed, inherit_weights_);
      c.sampled_config["default"] = Json{{"config", Json{{"name", "both"}, {kMultiplierKey, m}}}};
    } else {
      std::map<std::string, passes::ChannelScale> per_node;
      for (const auto& p : params_) {
        std::string node = p.key.substr(0, p.key.find('/'));
        double m = multiplier(sampled, p.key);
        per_node[node].out = m;
        // The sampled config is a valid [passes.redefine_channels] table (by name).
        c.sampled_config[node] =
            Json{{"config", Json{{"name", "output_only"}, {kMultiplierKey, m}}}};
      }
      c.graph = passes::with_channel_multipliers(*base_, per_node, trial_seed, inherit_weights_);
    }
    return c;
  }

 private:
  void parse_setup(const SpaceSetup& setup) {
    const config::TableReader s = read_space_setup(setup, "graph/architecture/channel_multiplier");
    uniform_ = s.get_string("mode", "per_layer", {"per_layer", "uniform"}) == "uniform";
    inherit_weights_ = s.get_bool("inherit_weights", inherit_weights_);
    // Accepted for symmetry with the quantization spaces: seeds may name nodes or mase_ops.
    s.get_string("by", "name", {"name", "type"});
  }

  static std::vector<std::string> resizable_outputs(
      const std::vector<passes::ResizableNode>& nodes) {
    std::vector<std::string> out;
    for (const auto& n : nodes)
      if (n.out_resizable) out.push_back(n.name);
    return out;
  }

  // A seed must name a linear/conv node whose output width may change, or a mase_op of one.
  void check_seed_keys(const SpaceSetup& setup, const Json& seed,
                       const std::vector<passes::ResizableNode>& nodes) const {
    std::set<std::string> ops;
    for (const auto& n : nodes) ops.insert(n.mase_op);
    std::vector<std::string> names;
    for (const auto& n : base_->nodes()) names.push_back(n.name);
    for (auto it = seed.begin(); it != seed.end(); ++it) {
      const std::string& k = it.key();
      std::string where = setup.locate("seed." + k);
      if (k == "default" || ops.count(k)) {
        if (uniform_ && k != "default")
          throw ConfigError(where,
                            "setup.mode = \"uniform\" samples one multiplier for all "
                            "layers (seed.default); per-node or per-type seeds need "
                            "mode = \"per_layer\"");
        continue;
      }
      const graph::Node* n = base_->find(k);
      if (!n)
        throw ConfigError(where, "seed '" + k + "' names no node of model '" + base_->model_name() +
                                     "'" + did_you_mean(k, names) +
                                     "; resizable layer outputs are " +
                                     list_of(resizable_outputs(nodes)));
      if (uniform_)
        throw ConfigError(where,
                          "setup.mode = \"uniform\" samples one multiplier for all layers "
                          "(seed.default); per-node seeds need mode = \"per_layer\"");
      auto r = std::find_if(nodes.begin(), nodes.end(),
                            [&](const passes::ResizableNode& x) { return x.name == k; });
      if (r == nodes.end())
        throw ConfigError(where, "node '" + k + "' is a " + n->mase_op +
                                     "; only linear and conv layers get channel multipliers "
                                     "(the others follow their producer); resizable outputs "
                                     "are " +
                                     list_of(resizable_outputs(nodes)));
      if (!r->out_resizable)
        throw ConfigError(where, "the output width of '" + k +
                                     "' is fixed (it feeds the model output or an op whose width "
                                     "chop cannot change); resizable outputs are " +
                                     list_of(resizable_outputs(nodes)));
    }
  }

  void add_param(const SpaceSetup& setup, const Json& seed, const std::string& seed_key,
                 const std::string& node) {
    const Json& entry = seed[seed_key];
    std::string path = "seed." + seed_key;
    if (!entry.is_object() || !entry.contains("config") || !entry["config"].is_object())
      throw ConfigError(setup.locate(path), "seed '" + seed_key + "' needs a config table: seed." +
                                                seed_key + ".config.channel_multiplier = [...]");
    const Json& cfg = entry["config"];
    for (auto it = cfg.begin(); it != cfg.end(); ++it)
      if (it.key() != kMultiplierKey)
        throw ConfigError(setup.locate(path + ".config." + it.key()),
                          "unknown key '" + it.key() + "'" +
                              did_you_mean(it.key(), {kMultiplierKey}) +
                              "; a channel seed has only channel_multiplier = [choices]");
    std::string where = setup.locate(path + ".config." + kMultiplierKey);
    if (!cfg.contains(kMultiplierKey))
      throw ConfigError(where, "missing channel_multiplier = [choices]");
    const Json& list = cfg[kMultiplierKey];
    if (!list.is_array())
      throw ConfigError(where, "channel_multiplier must be a list of choices (write [" +
                                   list.dump() + "] for a single value)");
    if (list.empty()) throw ConfigError(where, "channel_multiplier has an empty choice list");
    SpaceParam p;
    p.key = node + "/config/" + kMultiplierKey;
    for (const auto& v : list) {
      if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= 0)
        throw ConfigError(where, "channel multipliers must be positive numbers, got " + v.dump());
      p.choices.push_back(v);
    }
    params_.push_back(std::move(p));
  }

  static double multiplier(const std::map<std::string, Json>& sampled, const std::string& key) {
    auto it = sampled.find(key);
    CHOP_ASSERT(it != sampled.end() && it->second.is_number(),
                "sampled configuration lacks a number for " + key);
    return it->second.get<double>();
  }

  const graph::Graph* base_;
  uint64_t seed_;
  bool uniform_ = false;
  bool inherit_weights_ = false;
};

}  // namespace

std::unique_ptr<GraphSpace> make_channel_multiplier(const SpaceSetup& setup) {
  if (setup.table.is_object() && setup.table.contains("seed") &&
      is_lab_channel_seed(setup.table["seed"])) {
    // The one reader checks the space's keys and its setup's types; the lab space reads the rest.
    read_space_setup(setup, "graph/architecture/channel_multiplier");
    return make_lab_channel_space(setup);
  }
  return std::make_unique<ChannelMultiplierSpace>(setup);
}

}  // namespace chop::space
