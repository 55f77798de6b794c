// The pass-registry entry of redefine_channels: [passes.redefine_channels] tables in TOML
// pipelines map onto parse_redefine_channels_config / redefine_channels.
#include "passes/pass_list.h"
#include "passes/transforms/redefine_channels.h"

namespace chop::passes {
namespace {

PassResult run(graph::Graph& g, const Json& options, PassContext& ctx) {
  auto locate = [&ctx](const std::string& key) { return ctx.locate(key); };
  RedefineChannelsOptions opts = parse_redefine_channels_config(options, ctx.option_path, locate);
  RedefineChannelsResult r = redefine_channels(g, opts, ctx.seed, ctx.option_path, locate);
  PassResult out;
  out.info = r.info();
  out.changed = r.changed();
  return out;
}

}  // namespace

Pass redefine_channels_pass() {
  return Pass{"redefine_channels",
              "transform",
              "MASE lab 4's channel multipliers for linear/conv nodes (by name or type, with a "
              "default); BatchNorm, next layers and flatten/view follow automatically",
              {{"by", "string", "name", false, "\"name\" or \"type\""},
               {"inherit_weights", "bool", false, false,
                "tile/slice the old weights per channel instead of fresh seeded init"},
               {"default", "any", nullptr, false,
                "entry for nodes without their own (MASE: {config = {name = \"NA\"}})"}},
              true,
              run};
}

}  // namespace chop::passes
