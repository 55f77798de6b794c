// Batched evaluation; see evaluate.h. Batches are narrow views of the split (no copies).
#include "train/evaluate.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "core/error.h"
#include "engine/engine.h"
#include "runtime/executor.h"
#include "train/row_metrics.h"

namespace chop::train {
namespace {

// Whether fused_rows_metrics (row_metrics.h) applies to these tensors (CPU float logits [B, C],
// int64 labels).
bool fusable(const at::Tensor& logits, const at::Tensor& y) {
  return logits.dim() == 2 && logits.device().is_cpu() && logits.scalar_type() == at::kFloat &&
         y.dim() == 1 && y.device().is_cpu() && y.scalar_type() == at::kLong &&
         y.size(0) == logits.size(0) && logits.size(1) > 0;
}

// How many batches one forward may cover: several when the rows of `g` are independent in
// inference (runtime::rows_independent_in_inference: the logits are bit-identical to batch by
// batch, the metrics are still summed batch by batch), so small batches do not each pay the
// per-op dispatch and allocation. Capped so one activation stays within 64 KiB: it stays in
// the L2 cache, and below glibc's mmap threshold (larger blocks come back as fresh pages, whose
// page faults cost more than the merged dispatches save).
int64_t batches_per_forward(const graph::Graph& g, const data::TensorDataset& split,
                            int64_t batch_size, const at::Device& device) {
  if (!device.is_cpu() || !split.x.device().is_cpu() || split.x.dim() != 2 ||
      split.x.scalar_type() != at::kFloat || !runtime::rows_independent_in_inference(g))
    return 1;
  int64_t widest = split.x.size(1);
  for (const auto& n : g.nodes())
    for (const char* key : {"in_features", "out_features", "num_features"})
      if (n.attrs.contains(key) && n.attrs[key].is_number_integer())
        widest = std::max(widest, n.attrs[key].get<int64_t>());
  constexpr int64_t kElementsPerActivation = int64_t{1} << 14;
  return std::max<int64_t>(1, kElementsPerActivation / std::max<int64_t>(1, widest) / batch_size);
}

// Adds one batch's loss and hits: the fused pass, or ATen's ops (NaN logits, bad labels).
// Class-major logits (ld > 0): logit (r, c) at logits[c * ld + r].
void add_batch_metrics(const float* logits, int64_t ld, const int64_t* labels, int64_t rows,
                       int64_t classes, double& loss_sum, int64_t& correct) {
  if (ld > 0 ? fused_class_major_metrics(logits, ld, labels, rows, classes, loss_sum, correct)
             : fused_rows_metrics(logits, labels, rows, classes, loss_sum, correct))
    return;
  const at::Tensor l =
      ld > 0 ? at::from_blob(const_cast<float*>(logits), {rows, classes}, {1, ld}, at::kFloat)
             : at::from_blob(const_cast<float*>(logits), {rows, classes}, at::kFloat);
  const at::Tensor y = at::from_blob(const_cast<int64_t*>(labels), {rows}, at::kLong);
  loss_sum += at::cross_entropy_loss(l, y, {}, at::Reduction::Sum).item<double>();
  correct += l.argmax(1).eq(y).sum().item<int64_t>();
}

int64_t evaluation_batches(const std::string& model, const data::TensorDataset& split,
                           int64_t batch_size, int64_t num_samples) {
  if (batch_size <= 0)
    throw UserError("batch size must be positive, got " + std::to_string(batch_size));
  if (split.size() == 0) throw UserError("cannot evaluate model '" + model + "' on an empty split");
  int64_t n_batches = data::num_batches(split.size(), batch_size);
  if (num_samples > 0) n_batches = std::min(n_batches, (num_samples + batch_size - 1) / batch_size);
  return n_batches;
}

// Rows per engine forward: whole batches, several when rows are independent, with the
// activations of one call within ~512 KiB: they stay in L2 from op to op (512 KiB on Zen 3),
// and the plan's arena stays under the 1 MiB that plan.cpp maps pre-populated — a PTQ search's
// first candidate spent ~1.5 ms populating a 1.8 MiB arena (~3 us a page here); a smaller one
// comes from the heap and the pool, and the extra calls cost far less.
int64_t engine_rows_per_forward(int64_t floats_per_row, bool rows_independent, int64_t batch_size,
                                int64_t rows_needed) {
  if (!rows_independent) return std::min(batch_size, rows_needed);
  constexpr int64_t kFloatsPerCall = int64_t{1} << 17;
  const int64_t batches =
      std::max<int64_t>(1, kFloatsPerCall / std::max<int64_t>(1, floats_per_row) / batch_size);
  return std::min(batches * batch_size, rows_needed);
}

}  // namespace

EvalResult evaluate(engine::Engine& e, const data::TensorDataset& split, int64_t batch_size,
                    int64_t num_samples) {
  const int64_t n_batches = evaluation_batches("(engine)", split, batch_size, num_samples);
  const int64_t n = split.size();
  const int64_t rows_needed = std::min(n, n_batches * batch_size);
  // Whole batches per call (one short call when the engine holds less than a batch).
  const int64_t per_call =
      e.max_rows() >= batch_size ? e.max_rows() / batch_size * batch_size : e.max_rows();
  CHOP_ASSERT(per_call >= batch_size || rows_needed <= per_call, "engine holds too few rows");
  const at::Tensor x = split.x.contiguous(), y = split.y.contiguous();
  const float* xp = x.data_ptr<float>();
  const int64_t* yp = y.data_ptr<int64_t>();
  const int64_t classes = e.n_classes(), sample = e.sample_size();
  double loss_sum = 0.0;
  int64_t correct = 0;
  for (int64_t begin = 0; begin < rows_needed;) {
    const int64_t take = std::min(per_call, rows_needed - begin);
    const float* logits = e.forward(xp + begin * sample, nullptr, take);
    // Summed batch by batch, whatever the rows per call: the same numbers as evaluate_in_forwards.
    for (int64_t off = 0; off < take; off += batch_size) {
      const int64_t len = std::min(batch_size, take - off);
      if (e.logits_class_major())
        add_batch_metrics(logits + off, take, yp + begin + off, len, classes, loss_sum, correct);
      else
        add_batch_metrics(logits + off * classes, 0, yp + begin + off, len, classes, loss_sum,
                          correct);
    }
    begin += take;
  }
  return {loss_sum / static_cast<double>(rows_needed),
          static_cast<double>(correct) / static_cast<double>(rows_needed), rows_needed};
}

std::unique_ptr<engine::Engine> compile_for_evaluation(graph::Graph& g,
                                                      const data::TensorDataset& split,
                                                      int64_t batch_size, int64_t num_samples,
                                                      const at::Device& device, std::string* why) {
  const int64_t n_batches = evaluation_batches(g.model_name(), split, batch_size, num_samples);
  if (!(device.is_cpu() && split.x.device().is_cpu() && split.x.scalar_type() == at::kFloat &&
        split.y.scalar_type() == at::kLong && engine::engine_enabled()))
    return nullptr;
  const int64_t rows_needed = std::min(split.size(), n_batches * batch_size);
  engine::EngineOptions o;
  o.training = false;
  o.n_threads = 0;
  o.class_major_logits = true;  // evaluate(Engine&) reads either layout
  // Shapes are checked at one batch; the plan holds the real call size, chosen from how wide
  // a row is once the plan knows it (one compile per evaluation, not two).
  o.max_rows = std::min(batch_size, rows_needed);
  o.choose_max_rows = [&](int64_t floats_per_row, bool rows_independent) {
    return std::max(o.max_rows, engine_rows_per_forward(floats_per_row, rows_independent,
                                                        batch_size, rows_needed));
  };
  const std::vector<int64_t> sample(split.x.sizes().begin() + 1, split.x.sizes().end());
  return engine::Engine::compile(g, sample, o, why);
}

EvalResult evaluate(graph::Graph& g, const data::TensorDataset& split, int64_t batch_size,
                    int64_t num_samples, const at::Device& device) {
  std::string why;
  if (std::unique_ptr<engine::Engine> e =
          compile_for_evaluation(g, split, batch_size, num_samples, device, &why))
    return evaluate(*e, split, batch_size, num_samples);
  if (!why.empty()) engine::note_fallback("evaluating model " + g.model_name(), why);
  return evaluate_in_forwards(g, split, batch_size, num_samples, device, 0);
}

EvalResult evaluate_in_forwards(graph::Graph& g, const data::TensorDataset& split,
                                int64_t batch_size, int64_t num_samples, const at::Device& device,
                                int64_t max_batches_per_forward) {
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
  int64_t per_forward = batches_per_forward(g, split, batch_size, device);
  if (max_batches_per_forward > 0) per_forward = std::min(per_forward, max_batches_per_forward);
  for (int64_t b = 0; b < n_batches; b += per_forward) {
    // Batches b .. b + k - 1 are consecutive rows: one narrow view (the last batch may be short).
    const int64_t k = std::min(per_forward, n_batches - b);
    const int64_t begin = b * batch_size, rows = std::min(k * batch_size, n - begin);
    data::TensorDataset chunk = split.slice(begin, begin + rows);
    at::Tensor x = chunk.x.device() == device ? chunk.x : chunk.x.to(device);
    at::Tensor y_all = chunk.y.device() == device ? chunk.y : chunk.y.to(device);
    at::Tensor logits_all = runtime::forward(g, x, eval_mode);
    const bool fused = fusable(logits_all, y_all);
    if (fused) {
      logits_all = logits_all.contiguous();
      y_all = y_all.contiguous();
    }
    // Summed batch by batch, whatever the batches per forward: the same numbers either way.
    for (int64_t off = 0; off < rows; off += batch_size) {
      const int64_t len = std::min(batch_size, rows - off);
      if (!fused || !fused_rows_metrics(logits_all.data_ptr<float>() + off * logits_all.size(1),
                                        y_all.data_ptr<int64_t>() + off, len, logits_all.size(1),
                                        loss_sum, correct)) {
        const at::Tensor logits = logits_all.narrow(0, off, len), y = y_all.narrow(0, off, len);
        loss_sum += at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum).item<double>();
        correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      }
      total += len;
    }
  }
  return {loss_sum / static_cast<double>(total),
          static_cast<double>(correct) / static_cast<double>(total), total};
}

}  // namespace chop::train
