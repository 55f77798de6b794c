// "graph/quantize/mixed_precision_ptq" (MASE's GraphSearchSpaceMixedPrecisionPTQ) and its
// quantization-aware twin. Choices are keyed by node name for every quantizable node; with
// setup.by = "type" the seed is looked up by mase_op but the sampled config is still keyed by node
// name and applied by name, so by-type really quantizes (MASE's silently quantizes nothing).
#include <map>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "passes/metadata.h"
#include "passes/pass.h"
#include "passes/transforms/quantize.h"
#include "quant/config.h"
#include "space/graph_space.h"

namespace chop::space {
namespace {

class MixedPrecisionSpace : public GraphSpace {
 public:
  MixedPrecisionSpace(const SpaceSetup& setup, bool qat)
      : base_(setup.base), setup_(setup), qat_(qat) {
    // The quantize pass needs the common metadata (shapes, precisions): computed once here
    // rather than on every candidate (a copy of the base shares its weight tensors).
    prepared_ = *base_;
    passes::PassContext meta_ctx;
    passes::ensure_common_metadata(prepared_, meta_ctx);
    const Json& t = setup.table;
    const config::TableReader s = read_space_setup(
        setup, qat ? "graph/quantize/mixed_precision_qat" : "graph/quantize/mixed_precision_ptq");
    if (!s.has("by"))
      throw ConfigError(setup.locate("setup"),
                        "setup.by is required: \"name\" (seed per node) or \"type\" (per mase_op)");
    by_type_ = s.get_string("by", "name", {"name", "type"}) == "type";
    if (!t.contains("seed") || !t["seed"].is_object() || !t["seed"].contains("default"))
      throw ConfigError(setup.locate("seed"),
                        "seed.default.config is required (the choices for nodes without a seed)");
    const Json& seed = t["seed"];
    check_seed_keys(setup, seed);
    std::vector<SpaceParam> params;
    for (const auto& n : base_->nodes()) {
      if (!quant::is_quantizable_op(n.mase_op)) continue;
      std::string seed_key = by_type_ ? n.mase_op : n.name;
      if (!seed.contains(seed_key)) seed_key = "default";
      const Json& entry = seed[seed_key];
      std::string path = "seed." + seed_key;
      if (!entry.is_object() || !entry.contains("config") || !entry["config"].is_object())
        throw ConfigError(setup.locate(path), "seed '" + seed_key +
                                                  "' needs a config table of choice lists "
                                                  "([...seed." +
                                                  seed_key + ".config])");
      Json per_node = Json{{n.name, Json{{"config", entry["config"]}}}};
      flatten_into(per_node, "", params, [&](const std::string& key) {
        std::string rest = key.substr(key.find('/') + 1);
        return setup.locate(path + "." + replace_all(rest, "/", "."));
      });
      nodes_.push_back(n.name);
      seed_path_[n.name] = path;
    }
    warn_unused_seeds(setup, seed);
    if (params.empty())
      throw ConfigError(setup.locate("seed"), "model '" + base_->model_name() +
                                                  "' has no quantizable node (" +
                                                  list_of(quant::quantizable_ops()) + ")");
    params_ = std::move(params);
  }

  std::string name() const override {
    return qat_ ? "graph/quantize/mixed_precision_qat" : "graph/quantize/mixed_precision_ptq";
  }
  bool copies_weights() const override { return qat_; }

  std::string locate_sampled(const std::string& key_path) const override {
    const std::string node = key_path.substr(0, key_path.find('.'));
    auto it = seed_path_.find(node);
    if (it == seed_path_.end()) return setup_.locate("seed");
    return setup_.locate(it->second + key_path.substr(node.size()));
  }

  Candidate build(const std::map<std::string, Json>& sampled) const override {
    Json per_node = unflatten(sampled);
    Json table = Json{{"by", "name"}, {"default", Json{{"config", Json{{"name", nullptr}}}}}};
    for (auto it = per_node.begin(); it != per_node.end(); ++it) table[it.key()] = it.value();
    Candidate c{qat_ ? prepared_.clone() : prepared_, Json::object()};
    passes::PassContext ctx;
    // Errors in a sampled configuration point at the seed table the choices came from:
    // "<node>.config.<key>" -> the TOML location of "seed.<seed key>.config.<key>".
    ctx.where_names_key = true;
    ctx.where = [this](const std::string& key_path) { return locate_sampled(key_path); };
    passes::quantize_graph(c.graph, table, ctx);
    c.sampled_config = per_node;
    c.sampled_config["default"] = table["default"];
    return c;
  }

 private:
  // A seed must name a node of the model or a mase_op (MASE's own example seeds "linear" while
  // searching by name, so op names are always accepted).
  void check_seed_keys(const SpaceSetup& setup, const Json& seed) const {
    std::set<std::string> ops;
    std::vector<std::string> node_names;
    for (const auto& n : base_->nodes()) {
      ops.insert(n.mase_op);
      node_names.push_back(n.name);
    }
    for (const auto& op : quant::quantizable_ops()) ops.insert(op);
    for (auto it = seed.begin(); it != seed.end(); ++it) {
      const std::string& k = it.key();
      if (k == "default" || ops.count(k) || base_->find(k)) continue;
      throw ConfigError(setup.locate("seed." + k), "seed '" + k + "' names no node of model '" +
                                                       base_->model_name() + "' and no mase_op" +
                                                       did_you_mean(k, node_names) +
                                                       "; nodes are " + list_of(node_names));
    }
  }

  // A seed no node looks up (MASE's example seeds "linear" while searching by name) is accepted,
  // but its choices are never sampled or checked: say so at its line.
  void warn_unused_seeds(const SpaceSetup& setup, const Json& seed) const {
    std::set<std::string> used;
    for (const auto& [node, path] : seed_path_) used.insert(path);
    for (auto it = seed.begin(); it != seed.end(); ++it) {
      const std::string& k = it.key();
      if (k == "default" || used.count("seed." + k)) continue;
      std::string why = by_type_ ? "setup.by = \"type\" looks seeds up by mase_op and no "
                                   "quantizable node is of type '" +
                                       k + "'"
                                 : "setup.by = \"name\" looks seeds up by node name and no "
                                   "quantizable node is named '" +
                                       k + "'";
      log_warning(setup.locate("seed." + k) + ": seed '" + k + "' is not used: " + why +
                  "; its choices are neither sampled nor checked");
    }
  }

  const graph::Graph* base_;
  SpaceSetup setup_;                              // for the locations of seed tables
  std::map<std::string, std::string> seed_path_;  // node -> "seed.<its seed key>"
  graph::Graph prepared_;                         // *base_ with its common metadata
  bool qat_;
  bool by_type_ = false;
  std::vector<std::string> nodes_;
};

}  // namespace

std::unique_ptr<GraphSpace> make_mixed_precision_ptq(const SpaceSetup& setup) {
  return std::make_unique<MixedPrecisionSpace>(setup, false);
}

std::unique_ptr<GraphSpace> make_mixed_precision_qat(const SpaceSetup& setup) {
  return std::make_unique<MixedPrecisionSpace>(setup, true);
}

}  // namespace chop::space
