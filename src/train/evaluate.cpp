// Batched evaluation; see evaluate.h. Batches are narrow views of the split (no copies).
#include "train/evaluate.h"

#include <cmath>

#include "core/error.h"
#include "runtime/executor.h"

namespace chop::train {
namespace {

// Summed cross-entropy and argmax hits of one batch of CPU float logits [B, C] in one pass (in
// double), instead of log_softmax, nll, argmax, eq and sum as separate ATen ops: on the small
// batches of a quantization search those dominated the forward itself. false: not this case
// (other device or dtype, NaN logits, a label out of range), use the ATen ops, which also
// produce their own error for bad labels.
bool fused_batch_metrics(const at::Tensor& logits, const at::Tensor& y, double& loss_sum,
                         int64_t& correct) {
  if (logits.dim() != 2 || !logits.device().is_cpu() || logits.scalar_type() != at::kFloat ||
      y.dim() != 1 || !y.device().is_cpu() || y.scalar_type() != at::kLong ||
      y.size(0) != logits.size(0) || logits.size(1) == 0)
    return false;
  const at::Tensor l = logits.contiguous();
  const at::Tensor t = y.contiguous();
  const float* p = l.data_ptr<float>();
  const int64_t* label = t.data_ptr<int64_t>();
  const int64_t rows = l.size(0), classes = l.size(1);
  double loss = 0.0;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r, p += classes) {
    const int64_t target = label[r];
    if (target < 0 || target >= classes) return false;
    int64_t arg = 0;
    for (int64_t c = 0; c < classes; ++c) {
      if (std::isnan(p[c])) return false;
      if (p[c] > p[arg]) arg = c;  // first maximum, as at::argmax
    }
    const float m = p[arg];
    double sum = 0.0;  // terms in (0, 1], exp in float (as log_softmax), summed in double
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(p[c] - m);
    loss += std::log(sum) + static_cast<double>(m) - static_cast<double>(p[target]);
    hits += arg == target;
  }
  loss_sum += loss;
  correct += hits;
  return true;
}

}  // namespace

EvalResult evaluate(graph::Graph& g, const data::TensorDataset& split, int64_t batch_size,
                    int64_t num_samples, const at::Device& device) {
  if (batch_size <= 0)
    throw UserError("batch size must be positive, got " + std::to_string(batch_size));
  const int64_t n = split.size();
  if (n == 0) throw UserError("cannot evaluate model '" + g.model_name() + "' on an empty split");
  int64_t n_batches = data::num_batches(n, batch_size);
  if (num_samples > 0) n_batches = std::min(n_batches, (num_samples + batch_size - 1) / batch_size);
  at::NoGradGuard no_grad;
  runtime::RunOptions eval_mode;
  eval_mode.training = false;
  double loss_sum = 0.0;
  int64_t correct = 0, total = 0;
  for (int64_t b = 0; b < n_batches; ++b) {
    data::TensorDataset batch = data::get_batch(split, at::Tensor(), b, batch_size);
    at::Tensor x = batch.x.device() == device ? batch.x : batch.x.to(device);
    at::Tensor y = batch.y.device() == device ? batch.y : batch.y.to(device);
    at::Tensor logits = runtime::forward(g, x, eval_mode);
    if (!fused_batch_metrics(logits, y, loss_sum, correct)) {
      loss_sum += at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    }
    total += y.size(0);
  }
  return {loss_sum / static_cast<double>(total),
          static_cast<double>(correct) / static_cast<double>(total), total};
}

}  // namespace chop::train
