// Batched evaluation; see evaluate.h. Batches are narrow views of the split (no copies).
#include "train/evaluate.h"

#include "core/error.h"
#include "runtime/executor.h"

namespace chop::train {

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
    loss_sum += at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    total += y.size(0);
  }
  return {loss_sum / static_cast<double>(total),
          static_cast<double>(correct) / static_cast<double>(total), total};
}

}  // namespace chop::train
