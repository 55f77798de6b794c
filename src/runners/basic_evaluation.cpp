// sw runner "basic_evaluation": loss and accuracy on the first ceil(num_samples / batch_size)
// batches of the chosen split. Unlike MASE, metrics start fresh every trial, data_loader is
// honoured, and accuracy is plain (micro) accuracy, the same as training reports. With
// bit_exact = true the candidate runs in chop's integer engine (runtime/fixed_point.h) instead
// of the fake-quantized float path, and its mismatches with that path are reported too.
#include "core/error.h"
#include "runners/runner.h"
#include "runtime/fixed_point.h"
#include "train/eval_prefix.h"

namespace chop::runners {
namespace {

class BasicEvaluation : public Runner {
 public:
  BasicEvaluation(int64_t num_samples, std::string split, bool bit_exact,
                  runtime::BitExactOptions options)
      : num_samples_(num_samples),
        split_(std::move(split)),
        bit_exact_(bit_exact),
        options_(options) {}

  Json run(graph::Graph& g, RunnerEnv& env) override {
    CHOP_ASSERT(env.data, "basic_evaluation needs data");
    const data::TensorDataset& d = split_ == "train_dataloader"  ? env.data->train
                                   : split_ == "test_dataloader" ? env.data->test
                                                                 : env.data->val;
    if (bit_exact_) return run_bit_exact(g, d, env.batch_size);
    // The candidates of a search usually share their leading nodes (a PTQ space that leaves
    // them unquantized): their activations are computed once (same numbers, bit for bit).
    auto r = train::evaluate_with_prefix(g, d, env.batch_size, num_samples_, env.device, prefix_);
    return Json{{"loss", r.loss}, {"accuracy", r.accuracy}};
  }

 private:
  // The same batches as train::evaluate, through the integer engine (CPU): mean cross-entropy,
  // plain accuracy, and the engine's report.
  Json run_bit_exact(graph::Graph& g, const data::TensorDataset& d, int64_t batch_size) {
    if (d.size() == 0)
      throw UserError("cannot evaluate model '" + g.model_name() + "' on an empty split");
    runtime::BitExactEngine engine(g, options_);
    int64_t n_batches = data::num_batches(d.size(), batch_size);
    if (num_samples_ > 0)
      n_batches = std::min(n_batches, (num_samples_ + batch_size - 1) / batch_size);
    double loss_sum = 0;
    int64_t correct = 0, total = 0;
    at::NoGradGuard no_grad;
    for (int64_t b = 0; b < n_batches; ++b) {
      const int64_t begin = b * batch_size, end = std::min(d.size(), begin + batch_size);
      const data::TensorDataset chunk = d.slice(begin, end);
      const at::Tensor logits = engine.run(chunk.x.cpu());
      const at::Tensor y = chunk.y.cpu();
      loss_sum += at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      total += y.size(0);
    }
    const runtime::BitExactReport& r = engine.report();
    int max_bits = 0;
    for (const auto& s : r.nodes)
      if (s.integer && s.mac) max_bits = std::max(max_bits, s.format.width());
    return Json{{"loss", loss_sum / static_cast<double>(total)},
                {"accuracy", static_cast<double>(correct) / static_cast<double>(total)},
                {"bit_exact_mismatches", r.output_mismatches},
                {"bit_exact_overflows", r.overflows},
                {"max_accumulator_bits", max_bits}};
  }

  int64_t num_samples_;
  std::string split_;
  bool bit_exact_;
  runtime::BitExactOptions options_;
  train::PrefixCache prefix_;
};

}  // namespace

std::unique_ptr<Runner> make_basic_evaluation(const RunnerEntry& /*entry*/,
                                              const config::TableReader& o) {
  o.require("num_samples");
  const int64_t n = o.get_int("num_samples", -1, 1);
  const std::vector<std::string> splits = {"val_dataloader", "train_dataloader", "test_dataloader"};
  const std::string key =
      o.has("data_loader") || !o.has("dataloader") ? "data_loader" : "dataloader";
  const bool bit_exact = o.get_bool("bit_exact", false);
  runtime::BitExactOptions be;
  be.rounding =
      *runtime::parse_rounding(o.get_string("rounding", "half_even", {"half_even", "half_up", "truncate"}));
  be.overflow = *runtime::parse_overflow(o.get_string("overflow", "saturate", {"saturate", "wrap"}));
  if (!bit_exact && (o.has("rounding") || o.has("overflow")))
    throw ConfigError(o.locate(o.has("rounding") ? "rounding" : "overflow"),
                      "rounding and overflow apply to the integer engine: set bit_exact = true");
  return std::make_unique<BasicEvaluation>(n, o.get_string(key, "val_dataloader", splits),
                                           bit_exact, be);
}

}  // namespace chop::runners
