// Batched evaluation-mode inference; see infer.h.
#include "interop/infer.h"

#include "core/error.h"
#include "graph/ops.h"
#include "runtime/executor.h"

namespace chop::interop {

at::Tensor fit_input(const graph::Graph& g, const at::Tensor& x_in, const std::string& what) {
  const graph::Node& in = g.nodes().front();
  graph::Shape shape = in.attrs.value("shape", graph::Shape{});
  if (shape.empty())
    throw UserError("model " + g.model_name() + " does not declare its input shape");
  graph::Shape sample(shape.begin() + 1, shape.end());
  int64_t per_sample = 1;
  for (int64_t d : sample) per_sample *= d;
  at::Tensor x = x_in.to(at::kFloat);
  if (x.dim() == 1) x = x.unsqueeze(0);
  const graph::Shape have(x.sizes().begin() + 1, x.sizes().end());
  int64_t have_numel = 1;
  for (int64_t d : have) have_numel *= d;
  if (have != sample) {
    if (have_numel != per_sample)
      throw UserError(what + ": samples of shape " + graph::shape_str(have) + " (" +
                      std::to_string(have_numel) + " values) do not fit model " + g.model_name() +
                      ", whose input '" + in.name + "' takes " + graph::shape_str(sample) + " (" +
                      std::to_string(per_sample) + " values)");
    graph::Shape target{x.size(0)};
    target.insert(target.end(), sample.begin(), sample.end());
    x = x.reshape(target);
  }
  return x.contiguous();
}

namespace {

// The integer engine runs on the CPU, one batch at a time; its report sums over the batches.
at::Tensor run_bit_exact(graph::Graph& g, const at::Tensor& x, const InferOptions& opts,
                         runtime::BitExactReport* report) {
  g.to(at::kCPU);
  runtime::BitExactEngine engine(g, opts.bit_exact_options);
  std::vector<at::Tensor> outs;
  const int64_t n = x.size(0);
  for (int64_t begin = 0; begin < n; begin += opts.batch_size) {
    const int64_t len = std::min(opts.batch_size, n - begin);
    outs.push_back(engine.run(x.narrow(0, begin, len).cpu()).to(at::kFloat));
  }
  if (report) *report = engine.report();
  if (outs.empty()) return run_inference(g, x, InferOptions{opts.batch_size, at::kCPU});
  return at::cat(outs, 0);
}

}  // namespace

at::Tensor run_inference(graph::Graph& g, const at::Tensor& x, const InferOptions& opts,
                         runtime::BitExactReport* bit_exact_report) {
  if (opts.batch_size <= 0) throw UserError("the batch size must be positive");
  at::NoGradGuard no_grad;
  if (opts.bit_exact) return run_bit_exact(g, x, opts, bit_exact_report);
  runtime::RunOptions ro;
  ro.training = false;
  std::vector<at::Tensor> outs;
  const int64_t n = x.size(0);
  for (int64_t begin = 0; begin < n; begin += opts.batch_size) {
    const int64_t len = std::min(opts.batch_size, n - begin);
    at::Tensor batch = x.narrow(0, begin, len).to(opts.device);
    outs.push_back(runtime::forward(g, batch, ro).to(at::kCPU).to(at::kFloat));
  }
  if (outs.empty()) {
    graph::Shape probe = g.nodes().front().attrs.value("shape", graph::Shape{-1});
    probe[0] = 1;
    at::Tensor one = runtime::forward(g, at::zeros(probe).to(opts.device), ro);
    graph::Shape shape = one.sizes().vec();
    shape[0] = 0;
    return at::empty(shape, at::kFloat);
  }
  return at::cat(outs, 0);
}

}  // namespace chop::interop
