// batch_norm1d / batch_norm2d over x[N][C][P]: batch statistics in training (running statistics
// updated with the unbiased variance, as ATen does), running statistics in evaluation; the
// arithmetic is kernels/batch_norm's, which the LibTorch path's batch norm also runs.
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "engine/ops.h"
#include "kernels/batch_norm.h"

namespace chop::engine {
namespace {

class BatchNormOp : public Op {
 public:
  BatchNormOp(const graph::Node& n, int64_t c, int64_t p)
      : name_(n.name),
        c_(c),
        p_(p),
        eps_(n.attrs.value("eps", 1e-5)),
        affine_(n.param("weight") != nullptr),
        track_(const_cast<graph::Node&>(n).buffer("running_mean") != nullptr) {
    const auto it = n.attrs.find("momentum");
    cumulative_ = it != n.attrs.end() && it->is_null();
    momentum_ = cumulative_ ? 0.0 : n.attrs.value("momentum", 0.1);
    running_mean_.assign(static_cast<size_t>(c), 0.0f);
    running_var_.assign(static_cast<size_t>(c), 1.0f);
  }

  int64_t scratch_floats(int64_t, bool) const override {
    return 4 * c_ + kernels::batch_norm_scratch_floats(c_);
  }
  void bind_scratch(float* s) override {
    saved_.mean = s;
    saved_.invstd = s + c_;
    relu_affine_ = s + 2 * c_;  // alpha, beta: bound to saved_ once a ReLU is taken
    if (relu_) saved_.relu_alpha = relu_affine_, saved_.relu_beta = relu_affine_ + c_;
    scratch_ = s + 4 * c_;
  }

  // A following ReLU runs in the affine transform's store, and its mask inside the gradient
  // sums and the input gradient (recomputed from x): the ReLU's own two passes disappear.
  bool take_relu() override {
    relu_ = true;
    if (relu_affine_) saved_.relu_alpha = relu_affine_, saved_.relu_beta = relu_affine_ + c_;
    return true;
  }

  void pull_state(const graph::Node& n) override {
    if (!track_) return;
    copy_in(n, "running_mean", running_mean_.data());
    copy_in(n, "running_var", running_var_.data());
    const at::Tensor* nbt = const_cast<graph::Node&>(n).buffer("num_batches_tracked");
    batches_tracked_ = nbt && nbt->defined() ? nbt->item<int64_t>() : 0;
  }
  void push_state(graph::Node& n) const override {
    if (!track_) return;
    at::NoGradGuard no_grad;
    n.buffer("running_mean")
        ->copy_(at::from_blob(const_cast<float*>(running_mean_.data()), {c_}, at::kFloat));
    n.buffer("running_var")
        ->copy_(at::from_blob(const_cast<float*>(running_var_.data()), {c_}, at::kFloat));
    if (at::Tensor* nbt = n.buffer("num_batches_tracked"); nbt && nbt->defined())
      nbt->fill_(batches_tracked_);
  }

  void forward(const RunContext& ctx) override {
    const float* x = ctx.value_data(inputs[0]);
    const float* w = affine_ ? ctx.param(weight_offset) : nullptr;
    const float* b = affine_ ? ctx.param(bias_offset) : nullptr;
    const kernels::BatchNormDims d{ctx.rows, c_, p_};
    if (!ctx.training && track_) {
      kernels::batch_norm_eval(*ctx.kt, d, x, ctx.value_data(output), w, b, running_mean_.data(),
                               running_var_.data(), eps_, scratch_, relu_);
      return;
    }
    if (ctx.training && d.count() <= 1)
      throw UserError("node " + name_ +
                      " (batch norm): expected more than 1 value per channel "
                      "when training, got a batch of " +
                      std::to_string(ctx.rows) +
                      " row(s); use a batch size that leaves no single-row last batch");
    const bool update = ctx.training && track_;
    if (update) ++batches_tracked_;
    const double factor = cumulative_ ? 1.0 / static_cast<double>(batches_tracked_) : momentum_;
    kernels::batch_norm_train(*ctx.kt, d, x, ctx.value_data(output), w, b, eps_,
                              update ? running_mean_.data() : nullptr,
                              update ? running_var_.data() : nullptr, factor, saved_, scratch_);
  }

  void backward(const RunContext& ctx) override {
    const bool dx_needed = ctx.needs_grad(inputs[0]);
    kernels::batch_norm_backward(*ctx.kt, kernels::BatchNormDims{ctx.rows, c_, p_},
                                 ctx.value_data(inputs[0]), ctx.value_grad(output),
                                 affine_ ? ctx.param(weight_offset) : nullptr, saved_,
                                 dx_needed ? ctx.begin_grad(inputs[0]) : nullptr, false,
                                 affine_ ? ctx.param_grad(weight_offset) : nullptr,
                                 affine_ ? ctx.param_grad(bias_offset) : nullptr, false, scratch_);
    if (dx_needed) ctx.end_grad(inputs[0]);
  }

 private:
  void copy_in(const graph::Node& n, const char* name, float* dst) {
    const at::Tensor t = const_cast<graph::Node&>(n).buffer(name)->contiguous();
    std::memcpy(dst, t.data_ptr<float>(), sizeof(float) * static_cast<size_t>(c_));
  }

  std::string name_;
  int64_t c_, p_;
  double eps_, momentum_ = 0.1;
  bool affine_, track_, cumulative_ = false;
  std::vector<float> running_mean_, running_var_;
  int64_t batches_tracked_ = 0;
  kernels::BatchNormSaved saved_;
  bool relu_ = false;  // a following ReLU is fused in (take_relu)
  float* relu_affine_ = nullptr;
  float* scratch_ = nullptr;
};

bool float_cpu(const at::Tensor* t) {
  return !t || (t->defined() && t->scalar_type() == at::kFloat && t->device().is_cpu());
}

}  // namespace

OpMade make_batch_norm(const OpBuildInfo& info) {
  const graph::Node& n = *info.node;
  OpMade made;
  const auto& s = info.in_shapes.at(0);
  const int64_t c = n.attr_int("num_features");
  if (s.empty() || s[0] != c) {
    made.why_not = "input channels differ from num_features";
    return made;
  }
  auto& node = const_cast<graph::Node&>(n);
  for (const char* name : {"running_mean", "running_var"})
    if (!float_cpu(node.buffer(name)) || (node.buffer(name) && node.buffer(name)->numel() != c)) {
      made.why_not = std::string(name) + " is not a float32 CPU vector of num_features values";
      return made;
    }
  if ((n.param("weight") == nullptr) != (n.param("bias") == nullptr)) {
    made.why_not = "affine batch norm with only one of weight and bias";
    return made;
  }
  if (node.buffer("running_mean") && !node.buffer("running_var")) {
    made.why_not = "running_mean without running_var";
    return made;
  }
  const auto it = n.attrs.find("momentum");
  if (it != n.attrs.end() && !it->is_null() && !it->is_number()) {
    made.why_not = "momentum is not a number";
    return made;
  }
  made.op = std::make_unique<BatchNormOp>(n, c, product(s) / c);
  return made;
}

}  // namespace chop::engine
