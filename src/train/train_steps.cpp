// The two step backends; see train_steps.h.
#include "train/train_steps.h"

#include <mutex>
#include <vector>

#include "engine/engine.h"
#include "runtime/cross_entropy.h"
#include "runtime/executor.h"

namespace chop::train {
namespace {

class TorchSteps : public TrainSteps {
 public:
  TorchSteps(graph::Graph& g, const data::TensorDataset& train, const TrainStepsOptions& o)
      : one_at_a_time_(torch_path_mutex()), g_(g), train_(train), o_(o), opt_(g, o.optimizer) {}

  StepOutcome forward_backward(const at::Tensor& order, int64_t b,
                               int64_t accumulation) override {
    data::TensorDataset batch = data::get_batch(train_, order, b, o_.batch_size);
    runtime::RunOptions train_mode;
    train_mode.training = true;
    at::Tensor logits = runtime::forward(g_, batch.x, train_mode);
    at::Tensor loss = runtime::cross_entropy(logits, batch.y);
    if (accumulation > 1)
      (loss / static_cast<double>(accumulation)).backward();
    else
      loss.backward();
    StepOutcome s;
    s.loss = loss.item<double>();
    s.rows = batch.y.size(0);
    at::NoGradGuard no_grad;
    s.correct = logits.argmax(1).eq(batch.y).sum().item<int64_t>();
    return s;
  }
  void apply(double lr) override {
    opt_.set_learning_rate(lr);
    opt_.step();
    opt_.zero_grad();
  }
  EvalResult evaluate(const data::TensorDataset& split, int64_t num_samples) override {
    return train::evaluate(g_, split, o_.batch_size, num_samples, o_.device);
  }
  void sync() override {}
  std::string backend() const override { return "LibTorch"; }

 private:
  static std::mutex& torch_path_mutex() {
    static std::mutex m;
    return m;
  }

  std::lock_guard<std::mutex> one_at_a_time_;  // taken first, released last
  graph::Graph& g_;
  const data::TensorDataset& train_;
  TrainStepsOptions o_;
  FlatOptimizer opt_;  // releases the flat buffers on every exit path
};

class EngineSteps : public TrainSteps {
 public:
  EngineSteps(std::unique_ptr<engine::Engine> e, const data::TensorDataset& train,
              int64_t batch_size)
      : e_(std::move(e)),
        x_(train.x.contiguous()),
        y_(train.y.contiguous()),
        batch_size_(batch_size),
        labels_(static_cast<size_t>(batch_size)) {
    e_->zero_grad();
  }
  ~EngineSteps() override {
    try {
      e_->push();  // the graph keeps the last weights on every way out of the loop
    } catch (...) {
      // Destructors must not throw; push() only copies into existing tensors.
    }
  }

  StepOutcome forward_backward(const at::Tensor& order, int64_t b,
                               int64_t accumulation) override {
    const int64_t begin = b * batch_size_;
    const int64_t rows = std::min(batch_size_, x_.size(0) - begin);
    const int64_t* index = order.data_ptr<int64_t>() + begin;
    const int64_t* y = y_.data_ptr<int64_t>();
    for (int64_t r = 0; r < rows; ++r) labels_[static_cast<size_t>(r)] = y[index[r]];
    // The LibTorch path divides the loss by the accumulation count in float.
    const double loss_scale = static_cast<double>(1.0f / static_cast<float>(accumulation));
    engine::StepStats st =
        e_->forward_backward(x_.data_ptr<float>(), index, labels_.data(), rows, loss_scale);
    return {st.loss, st.correct, rows};
  }
  void apply(double lr) override {
    e_->step(lr);
    e_->zero_grad();
  }
  EvalResult evaluate(const data::TensorDataset& split, int64_t num_samples) override {
    return train::evaluate(*e_, split, batch_size_, num_samples);
  }
  void sync() override { e_->push(); }
  void reload() override { e_->pull(); }
  std::string backend() const override {
    return std::string("fused engine (") + kernels::isa_name(e_->isa()) + ")";
  }
  double flops_per_sample() const override { return e_->train_flops_per_sample(); }

 private:
  std::unique_ptr<engine::Engine> e_;
  at::Tensor x_, y_;
  int64_t batch_size_;
  std::vector<int64_t> labels_;
};

engine::OptimizerSpec engine_optimizer(const OptimizerOptions& o) {
  engine::OptimizerSpec s;
  s.kind = o.kind == OptimizerKind::kSgd     ? engine::OptimizerKind::kSgd
           : o.kind == OptimizerKind::kAdamW ? engine::OptimizerKind::kAdamW
                                             : engine::OptimizerKind::kAdam;
  s.weight_decay = o.weight_decay;
  s.beta1 = o.beta1, s.beta2 = o.beta2, s.eps = o.eps;
  s.momentum = o.momentum;
  s.nesterov = o.nesterov;
  s.decay_biases = o.decay_biases;
  return s;
}

}  // namespace

std::unique_ptr<TrainSteps> make_train_steps(graph::Graph& g, const data::TensorDataset& train_data,
                                             const TrainStepsOptions& o) {
  if (o.fused_engine && engine::engine_enabled() && o.device.is_cpu() &&
      train_data.x.device().is_cpu() && train_data.x.scalar_type() == at::kFloat &&
      train_data.y.scalar_type() == at::kLong) {
    engine::EngineOptions eo;
    eo.max_rows = std::min(o.batch_size, train_data.size());
    eo.training = true;
    eo.n_threads = o.n_threads;
    eo.optimizer = engine_optimizer(o.optimizer);
    std::string why;
    const std::vector<int64_t> sample(train_data.x.sizes().begin() + 1, train_data.x.sizes().end());
    if (auto e = engine::Engine::compile(g, sample, eo, &why))
      return std::make_unique<EngineSteps>(std::move(e), train_data, o.batch_size);
    engine::note_fallback("training model " + g.model_name(), why);
  }
  return std::make_unique<TorchSteps>(g, train_data, o);
}

}  // namespace chop::train
