// latency: median and p90 milliseconds per forward batch (inference mode, no autograd) over
// n_batches timed batches after `warmup` untimed ones, on the chosen device and thread count.
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>

#include "core/error.h"
#include "core/strings.h"
#include "passes/metadata.h"
#include "passes/pass_list.h"
#include "runtime/executor.h"

namespace chop::passes {
namespace {

// Linear interpolation between closest ranks (numpy's default percentile).
double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

void check(const Json& opts, const PassContext& ctx) {
  if (opts["warmup"].get<int64_t>() < 0)
    throw ConfigError(ctx.locate("warmup"), "warmup must be >= 0");
  if (opts["n_batches"].get<int64_t>() < 1)
    throw ConfigError(ctx.locate("n_batches"), "n_batches must be >= 1");
  if (!opts["batch_size"].is_null() && opts["batch_size"].get<int64_t>() < 1)
    throw ConfigError(ctx.locate("batch_size"), "batch_size must be >= 1");
  if (opts["threads"].get<int64_t>() < 0)
    throw ConfigError(ctx.locate("threads"), "threads must be >= 0 (0: keep)");
}

PassResult run(graph::Graph& g, const Json& opts, PassContext& ctx) {
  const int64_t warmup = opts["warmup"].get<int64_t>();
  const int64_t n_batches = opts["n_batches"].get<int64_t>();
  const int64_t batch_size =
      opts["batch_size"].is_null() ? ctx.batch_size : opts["batch_size"].get<int64_t>();
  const int64_t threads = opts["threads"].get<int64_t>();
  const at::Device device = runtime::parse_device(
      opts["device"].is_null() ? ctx.device : opts["device"].get<std::string>());

  const int saved_threads = at::get_num_threads();
  if (threads > 0) at::set_num_threads(static_cast<int>(threads));
  at::Device original = at::kCPU;
  for (const auto& n : g.nodes())
    if (!n.params.empty()) original = n.params.front().second.device();
  g.to(device);
  int64_t saved_bs = ctx.batch_size;
  ctx.batch_size = batch_size;
  at::Tensor x = ctx.batch(g, 0);
  ctx.batch_size = saved_bs;
  if (x.size(0) != batch_size) x = x.narrow(0, 0, std::min<int64_t>(batch_size, x.size(0)));
  x = x.to(device);
  std::vector<double> t_ms;
  {
    at::NoGradGuard no_grad;
    for (int64_t i = 0; i < warmup + n_batches; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      at::Tensor y = runtime::forward(g, x);
      if (device.is_cuda()) y.sum().item<float>();  // waits for the device
      auto t1 = std::chrono::steady_clock::now();
      if (i >= warmup) t_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  }
  g.to(original);
  if (threads > 0) at::set_num_threads(saved_threads);
  double mean = 0;
  for (double t : t_ms) mean += t;
  mean /= static_cast<double>(t_ms.size());
  PassResult r;
  r.info["median_ms"] = percentile(t_ms, 0.5);
  r.info["p90_ms"] = percentile(t_ms, 0.9);
  r.info["mean_ms"] = mean;
  r.info["min_ms"] = *std::min_element(t_ms.begin(), t_ms.end());
  r.info["n_batches"] = n_batches;
  r.info["batch_size"] = x.size(0);
  r.info["device"] = device.str();
  r.info["threads"] = at::get_num_threads();
  if (threads > 0) r.info["threads"] = threads;
  g.meta()["software"]["latency_ms"] = r.info["median_ms"];
  if (ctx.out)
    *ctx.out << "Latency per batch of " << x.size(0) << " on " << device.str() << ": median "
             << format_double(r.info["median_ms"].get<double>()) << " ms, p90 "
             << format_double(r.info["p90_ms"].get<double>()) << " ms over " << n_batches
             << " batches\n";
  return r;
}

}  // namespace

Pass latency_pass() {
  return Pass{"latency",
              "analysis",
              "median and p90 ms per forward batch after warm-up, on a device and thread count",
              {{"warmup", "int", 5, false, "untimed batches first"},
               {"n_batches", "int", 20, false, "timed batches"},
               {"batch_size", "int", nullptr, false, "batch size (default: --batch-size)"},
               {"device", "string", nullptr, false, "cpu, cuda[:N], gpu, auto (default: run's)"},
               {"threads", "int", 0, false, "intra-op threads (0: keep the current setting)"}},
              false,
              run,
              check};
}

}  // namespace chop::passes
