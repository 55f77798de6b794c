// Flat-buffer optimizers and the cosine schedule; see optimizer.h. The update formulas follow
// torch/optim/{adam,adamw,sgd}.py (1.13, single-tensor path) operation for operation.
#include "train/optimizer.h"

#include <cfloat>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "kernels/optimizer_update.h"

namespace chop::train {

OptimizerKind parse_optimizer(const std::string& name) {
  std::string n = to_lower(trim(name));
  if (n == "adam") return OptimizerKind::kAdam;
  if (n == "adamw") return OptimizerKind::kAdamW;
  if (n == "sgd") return OptimizerKind::kSgd;
  std::vector<std::string> names{"adam", "adamw", "sgd"};
  throw UserError("unknown training optimizer '" + name + "'" + did_you_mean(n, names) +
                  "; expected one of " + list_of(names));
}

const char* optimizer_name(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kAdam:
      return "adam";
    case OptimizerKind::kAdamW:
      return "adamw";
    case OptimizerKind::kSgd:
      return "sgd";
  }
  return "?";
}

FlatOptimizer::FlatOptimizer(graph::Graph& g, const OptimizerOptions& options)
    : graph_(&g), opt_(options), lr_(options.learning_rate) {
  // Checked in float32, the type the parameters (and these factors) are used in.
  if (!(lr_ > 0.0) || !std::isfinite(lr_) || lr_ > FLT_MAX)
    throw UserError("learning rate must be a positive number that fits in float32, got " +
                    format_double(lr_));
  if (!(opt_.weight_decay >= 0.0) || !std::isfinite(opt_.weight_decay) ||
      opt_.weight_decay > FLT_MAX)
    throw UserError("weight decay must be >= 0 and fit in float32, got " +
                    format_double(opt_.weight_decay));
  int64_t total = 0;
  const at::Tensor* first = nullptr;
  for (auto& n : g.nodes()) {
    for (auto& [pname, p] : n.params) {
      if (!p.defined() || !p.requires_grad() || !p.is_floating_point()) continue;
      if (first && (p.scalar_type() != first->scalar_type() || p.device() != first->device()))
        throw UserError("cannot train graph '" + g.model_name() + "': parameter " + n.target + "." +
                        pname + " has a different dtype or device from the others");
      if (!first) first = &p;
      params_.push_back(&p);
      // MASE's basic_train: every "*.bias" parameter (batch norm's too) goes without decay.
      const double wd = (opt_.decay_biases || pname != "bias") ? opt_.weight_decay : 0.0;
      if (!runs_.empty() && runs_.back().weight_decay == wd)
        runs_.back().size += p.numel();
      else
        runs_.push_back({total, p.numel(), wd});
      total += p.numel();
    }
  }
  if (params_.empty())
    throw UserError("graph '" + g.model_name() + "' has no trainable parameters");
  at::NoGradGuard no_grad;
  auto options_t = first->options().requires_grad(false);
  flat_param_ = at::empty({total}, options_t);
  flat_grad_ = at::zeros({total}, options_t);
  int64_t offset = 0;
  for (at::Tensor* p : params_) {
    int64_t n = p->numel();
    auto shape = p->sizes().vec();
    flat_param_.narrow(0, offset, n).view(shape).copy_(*p);
    // A detached view is a leaf that shares flat_param_'s storage.
    at::Tensor leaf = flat_param_.narrow(0, offset, n).view(shape).detach();
    leaf.set_requires_grad(true);
    // Pre-set gradients make AccumulateGrad add in place into flat_grad_.
    leaf.mutable_grad() = flat_grad_.narrow(0, offset, n).view(shape);
    *p = leaf;
    offset += n;
  }
  if (opt_.kind == OptimizerKind::kSgd) {
    momentum_buf_ = at::zeros({total}, options_t);
  } else {
    exp_avg_ = at::zeros({total}, options_t);
    exp_avg_sq_ = at::zeros({total}, options_t);
    denom_ = at::empty({total}, options_t);
  }
}

FlatOptimizer::~FlatOptimizer() {
  try {
    release();
  } catch (...) {
    // Destructors must not throw; release() only fails on allocation.
  }
}

void FlatOptimizer::release() {
  if (!flat_param_.defined()) return;
  at::NoGradGuard no_grad;
  for (at::Tensor* p : params_) {
    at::Tensor own = p->detach().clone();
    own.set_requires_grad(true);
    *p = own;
  }
  params_.clear();
  flat_param_ = flat_grad_ = exp_avg_ = exp_avg_sq_ = denom_ = momentum_buf_ = at::Tensor();
}

void FlatOptimizer::zero_grad() {
  CHOP_ASSERT(flat_grad_.defined(), "optimizer used after release()");
  flat_grad_.zero_();
}

void FlatOptimizer::step() {
  CHOP_ASSERT(flat_param_.defined(), "optimizer used after release()");
  at::NoGradGuard no_grad;
  ++n_steps_;
  for (const Run& r : runs_) step_run(r.begin, r.size, r.weight_decay);
  if (flat_param_.device().is_cpu() && flat_param_.scalar_type() == at::kFloat)
    flat_param_.unsafeGetTensorImpl()->bump_version();  // updated through its pointer
}

void FlatOptimizer::step_run(int64_t begin, int64_t n, double wd) {
  if (flat_param_.device().is_cpu() && flat_param_.scalar_type() == at::kFloat) {
    // The shared kernel: the same bits as the fused engine's update (see optimizer_update.h).
    const auto& kt = kernels::kernel_table(kernels::default_isa());
    float* p = flat_param_.data_ptr<float>() + begin;
    float* g = flat_grad_.data_ptr<float>() + begin;
    if (opt_.kind == OptimizerKind::kSgd) {
      kernels::SgdUpdate u;
      u.lr = lr_, u.weight_decay = wd, u.momentum = opt_.momentum, u.nesterov = opt_.nesterov;
      u.step = n_steps_;
      kernels::sgd_update(kt, p, g, momentum_buf_.data_ptr<float>() + begin, n, u);
    } else {
      kernels::AdamUpdate u;
      u.lr = lr_, u.weight_decay = wd, u.beta1 = opt_.beta1, u.beta2 = opt_.beta2;
      u.eps = opt_.eps, u.decoupled = opt_.kind == OptimizerKind::kAdamW, u.step = n_steps_;
      kernels::adam_update(kt, p, g, exp_avg_.data_ptr<float>() + begin,
                           exp_avg_sq_.data_ptr<float>() + begin, n, u);
    }
    return;
  }
  // Modified in place: the gradient is zeroed before the next backward.
  at::Tensor grad = flat_grad_.narrow(0, begin, n);
  at::Tensor param = flat_param_.narrow(0, begin, n);
  if (opt_.kind == OptimizerKind::kSgd) {
    at::Tensor momentum_buf = momentum_buf_.narrow(0, begin, n);
    if (wd != 0.0) grad.add_(param, wd);
    if (opt_.momentum != 0.0) {
      if (n_steps_ == 1)
        momentum_buf.copy_(grad);
      else
        momentum_buf.mul_(opt_.momentum).add_(grad);  // dampening 0
      if (opt_.nesterov)
        grad.add_(momentum_buf, opt_.momentum);
      else
        grad.copy_(momentum_buf);
    }
    param.add_(grad, -lr_);
    return;
  }
  at::Tensor exp_avg = exp_avg_.narrow(0, begin, n), exp_avg_sq = exp_avg_sq_.narrow(0, begin, n);
  at::Tensor denom = denom_.narrow(0, begin, n);
  if (opt_.kind == OptimizerKind::kAdamW) {
    param.mul_(1.0 - lr_ * wd);
  } else if (wd != 0.0) {
    grad.add_(param, wd);
  }
  exp_avg.mul_(opt_.beta1).add_(grad, 1.0 - opt_.beta1);
  exp_avg_sq.mul_(opt_.beta2).addcmul_(grad, grad, 1.0 - opt_.beta2);
  const double step = static_cast<double>(n_steps_);
  const double bias_correction1 = 1.0 - std::pow(opt_.beta1, step);
  const double bias_correction2 = 1.0 - std::pow(opt_.beta2, step);
  at::sqrt_out(denom, exp_avg_sq);
  denom.div_(std::sqrt(bias_correction2)).add_(opt_.eps);
  param.addcdiv_(exp_avg, denom, -(lr_ / bias_correction1));
}

CosineAnnealingSchedule::CosineAnnealingSchedule(double base_lr, int64_t t_max, double eta_min)
    : base_lr_(base_lr), eta_min_(eta_min), lr_(base_lr), t_max_(t_max < 1 ? 1 : t_max) {}

double CosineAnnealingSchedule::step() {
  constexpr double kPi = 3.14159265358979323846;
  ++last_epoch_;
  const double t = static_cast<double>(t_max_);
  const double e = static_cast<double>(last_epoch_);
  // Python's % is non-negative for a positive modulus.
  int64_t m = (last_epoch_ - 1 - t_max_) % (2 * t_max_);
  if (m < 0) m += 2 * t_max_;
  if (m == 0) {
    lr_ = lr_ + (base_lr_ - eta_min_) * (1 - std::cos(kPi / t)) / 2;
  } else {
    lr_ = (1 + std::cos(kPi * e / t)) / (1 + std::cos(kPi * (e - 1) / t)) * (lr_ - eta_min_) +
          eta_min_;
  }
  return lr_;
}

CosineAnnealingSchedule mase_schedule(OptimizerKind kind, double base_lr, int64_t max_epochs) {
  return CosineAnnealingSchedule(base_lr, max_epochs, kind == OptimizerKind::kSgd ? 0.0 : 1e-6);
}

}  // namespace chop::train
