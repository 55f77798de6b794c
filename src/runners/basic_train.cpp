// sw runner "basic_train": trains the candidate (fake-quantized when the graph is quantized, with
// straight-through gradients), reports validation accuracy after every epoch to the trial so
// pruners can stop it, then evaluates it. MASE's keys; HuggingFace-style schedules with warm-up.
// On the fused engine when it covers the candidate (one engine per trial: trials may train in
// parallel), else on the LibTorch path; both give the same numbers.
#include <torch/torch.h>

#include <cfloat>
#include <cmath>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "engine/engine.h"
#include "runners/runner.h"
#include "runtime/cross_entropy.h"
#include "runtime/executor.h"
#include "search/trial.h"
#include "train/evaluate.h"

namespace chop::runners {
namespace {

struct TrainConfig {
  int64_t max_epochs = 1;
  int64_t num_samples = -1;
  std::string optimizer = "adam";
  double learning_rate = 1e-3;
  double weight_decay = 0.0;
  std::string lr_scheduler = "constant";
  int64_t num_warmup_steps = 0;
  int64_t accumulation = 1;
  int64_t eval_num_samples = -1;
};

double schedule_factor(const TrainConfig& c, int64_t step, int64_t total) {
  if (step < c.num_warmup_steps) return static_cast<double>(step + 1) / (c.num_warmup_steps + 1);
  if (c.lr_scheduler == "constant") return 1.0;
  double span = std::max<int64_t>(1, total - c.num_warmup_steps);
  double progress = std::min(1.0, (step - c.num_warmup_steps) / span);
  if (c.lr_scheduler == "linear") return 1.0 - progress;
  return 0.5 * (1.0 + std::cos(M_PI * progress));  // cosine
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& c, graph::Graph& g) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& [name, p] : g.named_parameters()) {
    if (!p.requires_grad()) continue;
    // MASE: biases (and LayerNorm weights) get no weight decay.
    bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    (is_bias ? no_decay : decay).push_back(p);
  }
  if (c.optimizer == "sgd") {
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(
        decay, std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(c.learning_rate)
                                                              .momentum(0.9)
                                                              .nesterov(true)
                                                              .weight_decay(c.weight_decay)));
    groups.emplace_back(
        no_decay, std::make_unique<torch::optim::SGDOptions>(
                      torch::optim::SGDOptions(c.learning_rate).momentum(0.9).nesterov(true)));
    return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(c.learning_rate));
  }
  if (c.optimizer == "adamw") {
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(
        decay, std::make_unique<torch::optim::AdamWOptions>(
                   torch::optim::AdamWOptions(c.learning_rate).weight_decay(c.weight_decay)));
    groups.emplace_back(no_decay,
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(c.learning_rate).weight_decay(0.0)));
    return std::make_unique<torch::optim::AdamW>(groups,
                                                 torch::optim::AdamWOptions(c.learning_rate));
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay,
                      std::make_unique<torch::optim::AdamOptions>(
                          torch::optim::AdamOptions(c.learning_rate).weight_decay(c.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamOptions>(
                                    torch::optim::AdamOptions(c.learning_rate)));
  return std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(c.learning_rate));
}

class BasicTrain : public Runner {
 public:
  explicit BasicTrain(TrainConfig c) : c_(std::move(c)) {}

  Json run(graph::Graph& g, RunnerEnv& env) override {
    CHOP_ASSERT(env.data, "basic_train needs data");
    const data::TensorDataset& train = env.data->train;
    const data::TensorDataset& val = env.data->val.size() > 0 ? env.data->val : train;
    std::string why;
    if (std::unique_ptr<engine::Engine> e = compile_engine(g, env, &why))
      return run_on_engine(g, *e, env, train, val);
    if (!why.empty()) engine::note_fallback("basic_train of " + g.model_name(), why);
    // The LibTorch path is not made for several trials training at once: one at a time.
    static std::mutex torch_path;
    std::lock_guard<std::mutex> lock(torch_path);
    return run_on_torch(g, env, train, val);
  }

 private:
  int64_t total_steps(const data::TensorDataset& train, int64_t batch_size) const {
    int64_t total = data::num_batches(train.size(), batch_size) * c_.max_epochs;
    if (c_.num_samples > 0) total = std::min(total, (c_.num_samples + batch_size - 1) / batch_size);
    return total;
  }

  // The fused engine when it covers the graph (CPU float data); why_not stays empty when the
  // engine was not even tried (another device, CHOP_ENGINE=0).
  std::unique_ptr<engine::Engine> compile_engine(graph::Graph& g, const RunnerEnv& env,
                                                 std::string* why_not) const {
    const data::TensorDataset& train = env.data->train;
    if (!engine::engine_enabled() || !env.device.is_cpu() || !train.x.device().is_cpu() ||
        train.x.scalar_type() != at::kFloat || train.y.scalar_type() != at::kLong ||
        train.size() == 0)
      return nullptr;
    engine::EngineOptions o;
    o.max_rows = std::min(env.batch_size, train.size());
    o.n_threads = env.n_threads;
    o.optimizer.kind = c_.optimizer == "sgd"     ? engine::OptimizerKind::kSgd
                       : c_.optimizer == "adamw" ? engine::OptimizerKind::kAdamW
                                                 : engine::OptimizerKind::kAdam;
    o.optimizer.weight_decay = c_.weight_decay;
    o.optimizer.decay_biases = false;  // MASE: biases get no weight decay
    const std::vector<int64_t> sample(train.x.sizes().begin() + 1, train.x.sizes().end());
    return engine::Engine::compile(g, sample, o, why_not);
  }

  // The same loop as run_on_torch, step for step and bit for bit (shared kernels), on the engine.
  Json run_on_engine(graph::Graph& g, engine::Engine& e, RunnerEnv& env,
                     const data::TensorDataset& train, const data::TensorDataset& val) {
    const int64_t steps_per_epoch = data::num_batches(train.size(), env.batch_size);
    const int64_t total = total_steps(train, env.batch_size);
    const at::Tensor x = train.x.contiguous(), y = train.y.contiguous();
    std::vector<int64_t> labels(static_cast<size_t>(env.batch_size));
    // The LibTorch path divides the loss by the accumulation count in float.
    const double loss_scale = static_cast<double>(1.0f / static_cast<float>(c_.accumulation));
    data::Shuffler shuffler(env.seed);
    int64_t step = 0;
    for (int64_t epoch = 0; step < total; ++epoch) {
      at::Tensor order = shuffler.next(train.size());
      e.zero_grad();
      for (int64_t b = 0; b < steps_per_epoch && step < total; ++b, ++step) {
        const int64_t begin = b * env.batch_size;
        const int64_t rows = std::min(env.batch_size, train.size() - begin);
        const int64_t* index = order.data_ptr<int64_t>() + begin;
        const int64_t* label_of = y.data_ptr<int64_t>();
        for (int64_t r = 0; r < rows; ++r) labels[static_cast<size_t>(r)] = label_of[index[r]];
        const double loss =
            e.forward_backward(x.data_ptr<float>(), index, labels.data(), rows, loss_scale).loss;
        if (!std::isfinite(loss)) {
          e.push();
          throw_diverged(loss, epoch, step);
        }
        bool last = step + 1 == total || b + 1 == steps_per_epoch;
        if ((b + 1) % c_.accumulation == 0 || last) {
          e.step(c_.learning_rate * schedule_factor(c_, step, total));
          e.zero_grad();
        }
      }
      if (env.trial && step < total) {
        auto r = train::evaluate(e, val, env.batch_size, c_.eval_num_samples);
        env.trial->report(epoch, r.accuracy);
        if (env.trial->should_prune()) {
          e.push();
          throw search::TrialPruned();
        }
      }
    }
    e.push();
    auto r = train::evaluate(e, val, env.batch_size, c_.eval_num_samples);
    if (env.trial)
      env.trial->report(std::max<int64_t>(0, (step - 1) / std::max<int64_t>(1, steps_per_epoch)),
                        r.accuracy);
    return Json{{"loss", r.loss}, {"accuracy", r.accuracy}};
  }

  [[noreturn]] void throw_diverged(double loss, int64_t epoch, int64_t step) const {
    throw RunError("basic_train: the loss became " + std::to_string(loss) + " at epoch " +
                   std::to_string(epoch) + ", step " + std::to_string(step) +
                   "; lower learning_rate");
  }

  Json run_on_torch(graph::Graph& g, RunnerEnv& env, const data::TensorDataset& train,
                    const data::TensorDataset& val) {
    int64_t steps_per_epoch = data::num_batches(train.size(), env.batch_size);
    int64_t total = total_steps(train, env.batch_size);
    g.set_requires_grad(true);
    auto opt = make_optimizer(c_, g);
    std::vector<double> base_lr;
    for (auto& group : opt->param_groups()) base_lr.push_back(group.options().get_lr());
    data::Shuffler shuffler(env.seed);
    int64_t step = 0;
    for (int64_t epoch = 0; step < total; ++epoch) {
      at::Tensor order = shuffler.next(train.size());
      opt->zero_grad();
      for (int64_t b = 0; b < steps_per_epoch && step < total; ++b, ++step) {
        data::TensorDataset batch = data::get_batch(train, order, b, env.batch_size);
        at::Tensor x = batch.x.to(env.device), y = batch.y.to(env.device);
        at::Tensor loss = runtime::cross_entropy(runtime::forward(g, x, {true}), y);
        if (!std::isfinite(loss.item<double>())) throw_diverged(loss.item<double>(), epoch, step);
        (loss / static_cast<double>(c_.accumulation)).backward();
        bool last = step + 1 == total || b + 1 == steps_per_epoch;
        if ((b + 1) % c_.accumulation == 0 || last) {
          double f = schedule_factor(c_, step, total);
          for (size_t i = 0; i < opt->param_groups().size(); ++i)
            opt->param_groups()[i].options().set_lr(base_lr[i] * f);
          opt->step();
          opt->zero_grad();
        }
      }
      if (env.trial && step < total) {
        auto r = train::evaluate(g, val, env.batch_size, c_.eval_num_samples, env.device);
        env.trial->report(epoch, r.accuracy);
        if (env.trial->should_prune()) throw search::TrialPruned();
      }
    }
    g.set_requires_grad(false);
    auto r = train::evaluate(g, val, env.batch_size, c_.eval_num_samples, env.device);
    if (env.trial)
      env.trial->report(std::max<int64_t>(0, (step - 1) / std::max<int64_t>(1, steps_per_epoch)),
                        r.accuracy);
    return Json{{"loss", r.loss}, {"accuracy", r.accuracy}};
  }

  TrainConfig c_;
};

}  // namespace

std::unique_ptr<Runner> make_basic_train(const config::TableReader& o) {
  // MASE lab configs carry these; chop's basic_train trains on the training split and reports
  // loss and accuracy, so they change nothing: one warning each, unless they say just that.
  if (o.has("name"))
    log_warning(o.locate("name") + ": ignored (basic_train reports loss and accuracy; the "
                                   "objective is chosen by [search.strategy.metrics])");
  if (o.has("data_loader") && o.get_json("data_loader") != "train_dataloader")
    log_warning(o.locate("data_loader") + ": ignored; basic_train trains on the training split "
                                          "(train_dataloader) and evaluates on validation");
  TrainConfig c;
  c.max_epochs = o.get_int("max_epochs", 1, 1);
  c.num_samples = o.get_int("num_samples", -1, -1);
  c.optimizer = o.get_string("optimizer", "adam", {"adam", "adamw", "sgd"});
  // Parameters are float32: larger values would turn into inf inside the optimizer.
  c.learning_rate = o.get_double("learning_rate", 1e-3, 0.0, FLT_MAX);
  if (c.learning_rate <= 0)
    throw ConfigError(o.locate("learning_rate"), "learning_rate must be positive");
  c.weight_decay = o.get_double("weight_decay", 0.0, 0.0, FLT_MAX);
  c.lr_scheduler = o.get_string("lr_scheduler", "constant", {"constant", "linear", "cosine"});
  c.num_warmup_steps = o.get_int("num_warmup_steps", 0, 0);
  c.accumulation = o.get_int("gradient_accumulation_steps", 1, 1);
  c.eval_num_samples = o.get_int("eval_num_samples", -1, -1);
  return std::make_unique<BasicTrain>(c);
}

}  // namespace chop::runners
