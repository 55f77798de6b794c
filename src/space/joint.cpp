// "graph/joint/channel_multiplier_quantize": layer widths and per-node quantizers sampled in the
// same trial. The [channels] sub-table is a channel_multiplier space, the [quantize] sub-table a
// mixed-precision space (MASE's PTQ seed format); a candidate is rewritten to its widths first,
// then quantized by node name, then trained fake-quantized by basic_train.
#include "core/error.h"
#include "core/strings.h"
#include "passes/pass.h"
#include "passes/transforms/quantize.h"
#include "space/graph_space.h"

namespace chop::space {
namespace {

const std::string kChannels = "channels";
const std::string kQuantize = "quantize";

class JointSpace : public GraphSpace {
 public:
  explicit JointSpace(const SpaceSetup& setup) : seed_(setup.seed) {
    const Json& t = setup.table;
    const config::TableReader table(
        t, space_entry("graph/joint/channel_multiplier_quantize").tables.at(0),
        [&setup](const std::string& k) { return setup.locate(k); });
    for (const auto& part : {kChannels, kQuantize})
      if (!t.contains(part) || !t[part].is_object())
        throw ConfigError(setup.locate(part),
                          "the joint space needs a [" + setup.path + "." + part +
                              "] table with setup and seed sub-tables (docs/nas.md)");
    channels_ = make_channel_multiplier(sub_setup(setup, kChannels));
    // The quantizable nodes keep their names when widths change, so the quantization choices
    // can be laid out on the original graph.
    quantize_ = make_mixed_precision_ptq(sub_setup(setup, kQuantize));
    for (const auto& p : channels_->params())
      params_.push_back({kChannels + "/" + p.key, p.choices});
    for (const auto& p : quantize_->params())
      params_.push_back({kQuantize + "/" + p.key, p.choices});
  }

  std::string name() const override { return "graph/joint/channel_multiplier_quantize"; }
  bool copies_weights() const override { return true; }
  bool fresh_weights() const override { return channels_->fresh_weights(); }

  Candidate build(const std::map<std::string, Json>& sampled) const override {
    return build_for_trial(sampled, seed_);
  }

  Candidate build_for_trial(const std::map<std::string, Json>& sampled,
                            uint64_t trial_seed) const override {
    std::map<std::string, Json> channel_choice, quant_choice;
    for (const auto& [key, value] : sampled) {
      if (starts_with(key, kChannels + "/"))
        channel_choice[key.substr(kChannels.size() + 1)] = value;
      else if (starts_with(key, kQuantize + "/"))
        quant_choice[key.substr(kQuantize.size() + 1)] = value;
    }
    Candidate c = channels_->build_for_trial(channel_choice, trial_seed);
    Json per_node = unflatten(quant_choice);
    Json table = Json{{"by", "name"}, {"default", Json{{"config", Json{{"name", nullptr}}}}}};
    for (auto it = per_node.begin(); it != per_node.end(); ++it) table[it.key()] = it.value();
    passes::PassContext ctx;
    ctx.where_names_key = true;
    ctx.where = [this](const std::string& key_path) { return quantize_->locate_sampled(key_path); };
    ctx.seed = trial_seed;
    passes::quantize_graph(c.graph, table, ctx);
    per_node["default"] = table["default"];
    c.sampled_config = Json{{kChannels, c.sampled_config}, {kQuantize, per_node}};
    return c;
  }

 private:
  static SpaceSetup sub_setup(const SpaceSetup& setup, const std::string& part) {
    SpaceSetup s = setup;
    s.table = setup.table[part];
    s.path = setup.path + "." + part;
    return s;
  }

  uint64_t seed_;
  std::unique_ptr<GraphSpace> channels_, quantize_;
};

}  // namespace

std::unique_ptr<GraphSpace> make_channel_multiplier_quantize(const SpaceSetup& setup) {
  return std::make_unique<JointSpace>(setup);
}

}  // namespace chop::space
