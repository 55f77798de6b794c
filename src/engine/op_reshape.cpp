// Ops that only re-shape rows (flatten from dim 1, view(-1, ...), dropout when it is the
// identity, the output node) share their input's buffer: no copy forward, nothing backward.
// Residual add (same shapes) with MASE's data_in quantizer on both operands.
#include "engine/ops.h"

namespace chop::engine {
namespace {

class AliasOp : public Op {
 public:
  void forward(const RunContext&) override {}
  void backward(const RunContext&) override {}
  bool passes_layout() const override { return true; }
};

class AddOp : public Op {
 public:
  AddOp(std::vector<int64_t> shape, const OpBuildInfo& info)
      : shape_(std::move(shape)), size_(product(shape_)), q_in_(info.data_in) {}

  int64_t scratch_floats(int64_t rows, bool) const override {
    return q_in_.active() ? 2 * rows * size_ : 0;
  }
  void bind_scratch(float* s) override { qa_ = s; }

  bool rows_independent() const override { return q_in_.elementwise(); }

  void forward(const RunContext& ctx) override {
    const int64_t n = ctx.rows * size_;
    const float* a = ctx.value_data(inputs[0]);
    const float* b = ctx.value_data(inputs[1]);
    if (q_in_.active()) {
      q_in_.apply(*ctx.kt, a, qa_, with_rows(ctx.rows, shape_));
      q_in_.apply(*ctx.kt, b, qa_ + n, with_rows(ctx.rows, shape_));
      a = qa_;
      b = qa_ + n;
    }
    ctx.kt->add(a, b, ctx.value_data(output), n);
  }

  void backward(const RunContext& ctx) override {
    const float* g = ctx.value_grad(output);
    for (int v : inputs)
      if (ctx.needs_grad(v)) ctx.add_grad(v, g);
  }

 private:
  std::vector<int64_t> shape_;
  int64_t size_;
  OperandQuantizer q_in_;
  float* qa_ = nullptr;
};

}  // namespace

OpMade make_reshape(const OpBuildInfo& info) {
  const graph::Node& n = *info.node;
  OpMade made;
  if (info.in_shapes.size() != 1) {
    made.why_not = "expects one input";
    return made;
  }
  if (product(info.in_shapes[0]) != product(info.out_shape)) {
    made.why_not = "changes the number of values per sample";
    return made;
  }
  if (n.mase_op == "flatten") {
    int64_t start = n.attrs.value("start_dim", int64_t{1});
    if (start < 0) start += static_cast<int64_t>(info.in_shapes[0].size()) + 1;
    if (start < 1) {
      made.why_not = "flattens the batch dimension";
      return made;
    }
  } else if (n.mase_op == "view") {
    const auto want = n.attrs.at("shape").get<std::vector<int64_t>>();
    if (want.empty() || want[0] != -1) {
      made.why_not = "view whose first dimension is not -1 (the batch)";
      return made;
    }
    for (size_t i = 1; i < want.size(); ++i)
      if (want[i] < 0) {
        made.why_not = "view with more than one inferred dimension";
        return made;
      }
  } else if (n.mase_op == "dropout" && info.training && n.attrs.value("p", 0.5) > 0.0) {
    made.why_not = "dropout with p > 0 in training (random masks)";
    return made;
  }
  made.op = std::make_unique<AliasOp>();
  made.alias_input = true;
  return made;
}

OpMade make_add(const OpBuildInfo& info) {
  OpMade made;
  if (info.in_shapes.size() != 2 || info.in_shapes[0] != info.in_shapes[1]) {
    made.why_not = "add of operands with different shapes (broadcasting)";
    return made;
  }
  made.op = std::make_unique<AddOp>(info.in_shapes[0], info);
  return made;
}

}  // namespace chop::engine
