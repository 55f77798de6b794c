// The hw runners (average_bitwidth, flops, bitops, model_size, latency, ebops, luts, dsps, bram,
// bops): each reports its registry row's metrics from passes::hardware_metrics, with the options
// of the pass behind them, checked when the search config is parsed.
#include <mutex>

#include "core/error.h"
#include "passes/analysis/hardware_metrics.h"
#include "passes/registry.h"
#include "runners/runner.h"

namespace chop::runners {
namespace {

class Hardware : public Runner {
 public:
  Hardware(std::vector<std::string> metrics, passes::HardwareMetricOptions options,
           passes::PassContext ctx)
      : metrics_(std::move(metrics)), options_(std::move(options)), ctx_(std::move(ctx)) {}

  Json run(graph::Graph& g, RunnerEnv& env) override {
    passes::PassContext ctx = ctx_;
    ctx.seed = env.seed;
    ctx.batch_size = env.batch_size;
    ctx.device = env.device.str();
    const data::Splits* data = env.data;
    if (data && data->val.size() > 0) {
      // Shapes and latency use the first validation batch; ebops' calibrated mode observes
      // validation batches (wrapping around a short split).
      const int64_t batch = std::min<int64_t>(env.batch_size, data->val.size());
      const int64_t n_batches = std::max<int64_t>(1, data->val.size() / batch);
      ctx.dummy_input = first_batch(data->val.x, batch);
      ctx.input_batch = [data, batch, n_batches](int64_t i) {
        return data->val.x.narrow(0, (i % n_batches) * batch, batch);
      };
    }
    return passes::hardware_metrics(g, metrics_, ctx, options_);
  }

 private:
  // The first `batch` rows of x, as a view made once per split and batch size: every trial
  // asks for the same one, and ATen's narrow dispatch cost more than the metric here.
  at::Tensor first_batch(const at::Tensor& x, int64_t batch) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!first_.defined() || first_of_.data_ptr() != x.data_ptr() ||
        first_of_.sizes() != x.sizes() || first_.size(0) != batch) {
      first_of_ = x;  // held, so no other tensor can take its address
      first_ = x.narrow(0, 0, batch);
    }
    return first_;
  }

  std::mutex mu_;
  at::Tensor first_of_, first_;
  std::vector<std::string> metrics_;
  passes::HardwareMetricOptions options_;
  passes::PassContext ctx_;
};

}  // namespace

std::unique_ptr<Runner> make_hardware_runner(const RunnerEntry& entry,
                                             const config::TableReader& o) {
  CHOP_ASSERT(entry.kind == "hw" && !entry.metrics.empty(), "no hw runner " + entry.name);
  for (const auto& key : o.doc().keys)
    if (key.required) o.require(key.key);
  // One pass behind all of a runner's metrics: its options are that pass's.
  const std::string& pass_name = passes::hardware_metric(entry.metrics.front()).pass;
  passes::PassContext ctx =
      passes::context_for_table([&o](const std::string& key) { return o.locate(key); });
  const passes::Pass& pass = passes::pass_named(pass_name, o.locate());
  passes::HardwareMetricOptions options;
  // The pass's own value checks (ranges, allowed strings) fail here, before any trial.
  options.pass_options[pass_name] =
      passes::resolve_options(pass, o.table().is_null() ? Json::object() : o.table(), ctx);
  // The reader only lives while the config is parsed: errors during trials (a strict reuse
  // factor a candidate's widths make invalid) name the runner's table.
  const std::string table = o.locate();
  const size_t cut = table.rfind(" (");
  ctx.where = [pos = cut == std::string::npos ? table : table.substr(0, cut)](
                  const std::string&) { return pos; };
  return std::make_unique<Hardware>(entry.metrics, std::move(options), std::move(ctx));
}

}  // namespace chop::runners
