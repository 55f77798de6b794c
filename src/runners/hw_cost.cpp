// hw runners for the FPGA costs the field uses, each backed by an analysis pass and computed
// per inference: ebops (HGQ), luts / dsps / bram (QONNX's L0 estimate), bops (QONNX's inference
// cost). Their options are the pass's, checked when the search config is parsed.
#include "core/error.h"
#include "passes/registry.h"
#include "runners/runner.h"

namespace chop::runners {
namespace {

struct Metric {
  const char* runner;
  const char* pass;
  const char* total_key;  // key of info["total"] (ebops: info["total"] itself)
};

const Metric kMetrics[] = {{"ebops", "ebops", ""},
                           {"luts", "resources", "luts"},
                           {"dsps", "resources", "dsps"},
                           {"bram", "resources", "bram"},
                           {"bops", "inference_cost", "total_bops"}};

class HwCost : public Runner {
 public:
  HwCost(const Metric& m, Json options, passes::PassContext ctx)
      : metric_(m), options_(std::move(options)), ctx_(std::move(ctx)) {}

  Json run(graph::Graph& g, RunnerEnv& env) override {
    passes::PassContext ctx = ctx_;
    ctx.seed = env.seed;
    ctx.batch_size = env.batch_size;
    ctx.device = env.device.str();
    const data::Splits* data = env.data;
    if (data && data->val.size() > 0) {
      // ebops' calibrated mode observes validation batches (wrapping around a short split).
      const int64_t batch = std::min<int64_t>(env.batch_size, data->val.size());
      const int64_t n_batches = std::max<int64_t>(1, data->val.size() / batch);
      ctx.input_batch = [data, batch, n_batches](int64_t i) {
        return data->val.x.narrow(0, (i % n_batches) * batch, batch);
      };
    }
    const Json info = passes::run_pass(metric_.pass, g, options_, ctx).info;
    const Json& total = info["total"];
    return Json{{metric_.runner, *metric_.total_key ? total[metric_.total_key] : total}};
  }

 private:
  Metric metric_;
  Json options_;
  passes::PassContext ctx_;
};

}  // namespace

std::unique_ptr<Runner> make_hw_cost_runner(
    const std::string& runner, const Json& o,
    const std::function<std::string(const std::string&)>& locate) {
  for (const Metric& m : kMetrics) {
    if (runner != m.runner) continue;
    passes::PassContext ctx = passes::context_for_table(locate);
    const passes::Pass& pass = passes::pass_named(m.pass, locate(""));
    // Unknown keys, wrong types and bad values fail here, before any trial.
    Json options = passes::resolve_options(pass, o.is_null() ? Json::object() : o, ctx);
    // `locate` only lives while the config is parsed: errors during trials (a strict reuse
    // factor a candidate's widths make invalid) name the runner's table.
    const std::string table = locate("");
    const size_t cut = table.rfind(" (");
    ctx.where = [pos = cut == std::string::npos ? table : table.substr(0, cut)](
                    const std::string&) { return pos; };
    return std::make_unique<HwCost>(m, std::move(options), std::move(ctx));
  }
  CHOP_ASSERT(false, "no hw cost runner " + runner);
  return nullptr;
}

}  // namespace chop::runners
