// hw runners backed by analysis passes: flops, bitops, model_size (+ params), latency. Shapes come
// from add_common_metadata on a seeded dummy batch of the run's batch size.
#include "core/error.h"
#include "passes/registry.h"
#include "runners/runner.h"

namespace chop::runners {
namespace {

class PassMetric : public Runner {
 public:
  PassMetric(std::string runner, Json options)
      : runner_(std::move(runner)), options_(std::move(options)) {}

  Json run(graph::Graph& g, RunnerEnv& env) override {
    passes::PassContext ctx;
    ctx.seed = env.seed;
    ctx.batch_size = env.batch_size;
    ctx.device = env.device.str();
    if (env.data && env.data->val.size() > 0) {
      int64_t n = std::min<int64_t>(env.batch_size, env.data->val.size());
      ctx.dummy_input = env.data->val.x.narrow(0, 0, n);
    }
    if (runner_ == "flops" || runner_ == "bitops") {
      passes::run_pass("add_common_metadata", g, Json{{"forward", false}}, ctx);
      auto r = passes::run_pass(runner_, g, Json::object(), ctx);
      return Json{{runner_, r.info["total"]}};
    }
    if (runner_ == "model_size") {
      auto r = passes::run_pass("model_size", g, Json::object(), ctx);
      return Json{{"model_size", r.info["size_bytes"]}, {"params", r.info["params"]}};
    }
    auto r = passes::run_pass("latency", g, options_, ctx);
    return Json{{"latency", r.info["median_ms"]}};
  }

 private:
  std::string runner_;
  Json options_;
};

}  // namespace

std::unique_ptr<Runner> make_pass_metric_runner(const std::string& runner,
                                                const config::TableReader& o) {
  Json options = Json::object();
  if (runner == "latency") {
    if (o.has("n_batches")) options["n_batches"] = o.get_int("n_batches", 20, 1);
    if (o.has("warmup")) options["warmup"] = o.get_int("warmup", 5, 0);
  }
  return std::make_unique<PassMetric>(runner, options);
}

}  // namespace chop::runners
