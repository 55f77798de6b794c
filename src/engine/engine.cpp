// The engine: plan compilation, pull/push, training steps and inference; see engine.h.
#include "engine/engine.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "engine/ops.h"
#include "engine/plan_rewrites.h"
#include "graph/ops.h"
#include "kernels/cross_entropy.h"
#include "kernels/optimizer_update.h"
#include "quant/config.h"

namespace chop::engine {

namespace {

constexpr int64_t kAlign = 16;  // floats (64 bytes)

int64_t aligned(int64_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

void run_on_torch_threads(void*, int64_t n_tasks, void* task_ctx,
                          void (*task)(void*, int64_t, int64_t)) {
  at::parallel_for(0, n_tasks, 1, [&](int64_t b, int64_t e) { task(task_ctx, b, e); });
}

// A parameter's slot in a flat array, with the graph tensor's shape (a transposed view for a
// parameter kept transposed).
at::Tensor flat_view(float* flat, const ParamSlot& s) {
  if (!s.transposed) return at::from_blob(flat + s.offset, s.shape, at::kFloat);
  return at::from_blob(flat + s.offset, {s.shape[1], s.shape[0]}, at::kFloat).t();
}

bool float_cpu(const at::Tensor& t) {
  return t.defined() && t.scalar_type() == at::kFloat && t.device().is_cpu();
}

// The operand quantizers the LibTorch kernels would apply to this node (kernels.cpp applies a
// NodeQuant function when it is set), or why the engine cannot.
bool node_quantizers(const graph::Node& n, bool quantizable, OpBuildInfo& info,
                     std::string* why_not) {
  if (!n.quant || !n.quant->built() || !quantizable) return true;
  const quant::NodeQuantConfig cfg = quant::parse_node_quant_config(
      n.quant->config, n.mase_op, "node " + n.name + " (" + n.mase_op + ")");
  struct Slot {
    bool set;
    const std::optional<quant::OperandQuant>& spec;
    OperandQuantizer& out;
  } slots[] = {{static_cast<bool>(n.quant->data_in), cfg.data_in, info.data_in},
               {static_cast<bool>(n.quant->weight), cfg.weight, info.weight},
               {static_cast<bool>(n.quant->bias), cfg.bias, info.bias},
               {static_cast<bool>(n.quant->data_out), cfg.data_out, info.data_out}};
  for (Slot& s : slots) {
    if (!s.set || !s.spec) continue;
    auto q = OperandQuantizer::make(s.spec, why_not);
    if (!q) return false;
    s.out = *q;
  }
  return true;
}

}  // namespace

struct Engine::Impl {
  graph::Graph* graph = nullptr;
  EngineOptions options;
  Plan plan;
  const KernelTable* kt = nullptr;
  TaskRunner runner;
  const TaskRunner* threads = nullptr;
  uint64_t params_version = 1;
  bool accumulate_params = false;
  int64_t n_steps = 0;
  int64_t last_rows = 0;
  std::vector<float> momentum_or_m, v;  // optimizer state: sgd momentum or adam m; adam v

  RunContext context(int64_t rows, bool training) {
    RunContext ctx;
    ctx.plan = &plan;
    ctx.rows = rows;
    ctx.training = training;
    ctx.kt = kt;
    ctx.threads = threads;
    ctx.params_version = params_version;
    return ctx;
  }

  // load_input, and in a training pass the same rows into the packed x^T (Plan::input_t).
  void load_training_input(const float* data, const int64_t* index, int64_t n) {
    load_input(data, index, n, plan.input_t.data());
    plan.input_t_rows = plan.input_t.data() ? n : 0;
  }

  // Copies the batch into the input buffer; with `packed_t`, each row also goes into gemm()'s
  // packed x^T, read back from the copy just written (in L1), so the weight gradient's packing
  // pass does not read all of x again from further away.
  void load_input(const float* data, const int64_t* index, int64_t n, float* packed_t = nullptr) {
    plan.input_t_rows = 0;
    if (gather_rows(data, index, n, packed_t) || !packed_t) return;
    const Value& in = plan.values[static_cast<size_t>(plan.input_value)];
    const float* x = plan.buffers[static_cast<size_t>(in.buffer)].data;
    kernels::pack_a_columns(*kt, x, in.size, in.size, n, 0, n, packed_t);
  }

  // True when it also filled packed_t (row by row, while each row is in L1).
  bool gather_rows(const float* data, const int64_t* index, int64_t n, float* packed_t) {
    if (n <= 0 || n > plan.max_rows)
      throw InternalError("engine: batch of " + std::to_string(n) + " rows, plan holds " +
                          std::to_string(plan.max_rows));
    const Value& in = plan.values[static_cast<size_t>(plan.input_value)];
    float* dst = plan.buffers[static_cast<size_t>(in.buffer)].data;
    const size_t row_bytes = sizeof(float) * static_cast<size_t>(in.size);
    if (!index) {
      std::memcpy(dst, data, row_bytes * static_cast<size_t>(n));
      return false;
    }
    if (in.size >= 64) {
      // Wide rows (784 MNIST pixels, 49 cache lines) from a shuffled data set larger than L2:
      // the copy waits on memory unless the next rows are already on their way, so ask for
      // all of the row kWideAhead ahead while copying this one.
      constexpr int64_t kWideAhead = 2;
      constexpr int64_t kPackRows = 8;
      for (int64_t r = 0; r < n; ++r) {
        if (r + kWideAhead < n) {
          const char* next = reinterpret_cast<const char*>(data + index[r + kWideAhead] * in.size);
          for (size_t byte = 0; byte < row_bytes; byte += 64) __builtin_prefetch(next + byte);
        }
        std::memcpy(dst + r * in.size, data + index[r] * in.size, row_bytes);
        // Every kPackRows rows (in L1 now), their part of each packed panel: whole lines.
        const int64_t done = r + 1;
        if (packed_t && (done % kPackRows == 0 || done == n)) {
          const int64_t first = (done - 1) / kPackRows * kPackRows;
          kernels::pack_a_columns(*kt, dst + first * in.size, in.size, in.size, n, first,
                                  done - first, packed_t);
        }
      }
      return true;
    }
    // Short rows (16 JSC features): a plain loop beats a memcpy call per row. The rows are
    // shuffled over a data set larger than L2, so each is a cache miss: ask for the row eight
    // ahead while copying this one.
    constexpr int64_t kAhead = 8;
    if (in.size == 16) {  // one cache line per row: a fixed-size copy the compiler unrolls
      for (int64_t r = 0; r < n; ++r) {
        if (r + kAhead < n) __builtin_prefetch(data + index[r + kAhead] * 16);
        std::memcpy(dst + r * 16, data + index[r] * 16, 16 * sizeof(float));
      }
      return false;
    }
    for (int64_t r = 0; r < n; ++r) {
      if (r + kAhead < n) __builtin_prefetch(data + index[r + kAhead] * in.size);
      const float* src = data + index[r] * in.size;
      float* out = dst + r * in.size;
      for (int64_t j = 0; j < in.size; ++j) out[j] = src[j];
    }
    return false;
  }
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::compile(graph::Graph& g, const std::vector<int64_t>& sample_shape,
                                        const EngineOptions& o, std::string* why_not) {
  auto fail = [&](const std::string& msg) -> std::unique_ptr<Engine> {
    if (why_not) *why_not = msg;
    return nullptr;
  };
  if (!kernels::isa_supported(o.isa))
    return fail(std::string("this CPU has no ") + kernels::isa_name(o.isa));
  if (o.max_rows <= 0) return fail("no rows per batch");
  auto impl = std::make_unique<Impl>();
  impl->graph = &g;
  impl->options = o;
  impl->kt = &kernels::kernel_table(o.isa);
  Plan& plan = impl->plan;
  plan.max_rows = o.max_rows;
  auto& nodes = g.nodes();
  std::vector<int> value_of(nodes.size(), -1);

  int placeholders = 0;
  for (const auto& n : nodes) placeholders += n.op == graph::FxOp::kPlaceholder;
  if (placeholders != 1) return fail("the graph has " + std::to_string(placeholders) + " inputs");

  for (size_t i = 0; i < nodes.size(); ++i) {
    graph::Node& n = nodes[i];
    const std::string where = "node " + n.name + " (" + n.mase_op + "): ";
    if (n.op == graph::FxOp::kPlaceholder) {
      Value v;
      v.node = n.name;
      v.shape = sample_shape;
      v.size = product(sample_shape);
      v.needs_grad = o.training && o.input_grad;
      v.buffer = static_cast<int>(plan.buffers.size());
      plan.buffers.push_back(Buffer{v.size});
      plan.input_value = static_cast<int>(plan.values.size());
      value_of[i] = plan.input_value;
      plan.values.push_back(v);
      continue;
    }
    const EngineOpEntry* entry = find_engine_op(n.mase_op);
    if (!entry) return fail(where + "the fused engine has no kernel for this op");
    OpBuildInfo info;
    info.node = &n;
    info.node_index = static_cast<int>(i);
    info.training = o.training;
    std::vector<int> ins;
    std::vector<graph::Shape> batch_shapes;
    for (const auto& in_name : n.inputs) {
      const graph::Node* producer = g.find(in_name);
      if (!producer) return fail(where + "reads unknown input " + in_name);
      const int v = value_of[static_cast<size_t>(producer - nodes.data())];
      if (v < 0) return fail(where + "reads " + in_name + " before it is computed");
      ins.push_back(v);
      info.in_shapes.push_back(plan.values[static_cast<size_t>(v)].shape);
      batch_shapes.push_back(with_rows(o.max_rows, plan.values[static_cast<size_t>(v)].shape));
    }
    try {
      graph::Shape out = graph::op_spec(n.mase_op).infer_shape(n, batch_shapes);
      if (out.empty() || out[0] != o.max_rows) return fail(where + "changes the batch dimension");
      info.out_shape.assign(out.begin() + 1, out.end());
    } catch (const Error& e) {
      return fail(e.what());
    }
    for (const auto& [pname, p] : n.params)
      if (!float_cpu(p)) return fail(where + "parameter " + pname + " is not float32 on the CPU");
    std::string qwhy;
    try {
      if (!node_quantizers(n, entry->quantizable, info, &qwhy)) return fail(where + qwhy);
    } catch (const Error& e) {
      return fail(e.what());
    }
    OpMade made = entry->make(info);
    if (!made.op) return fail(where + made.why_not);
    Op& op = *made.op;
    op.node = static_cast<int>(i);
    op.inputs = ins;
    for (const auto& [pname, p] : n.params) {
      ParamSlot slot;
      slot.node = static_cast<int>(i);
      slot.name = pname;
      slot.offset = plan.n_param_floats;
      slot.numel = p.numel();
      slot.shape = p.sizes().vec();
      slot.transposed = slot.shape.size() == 2 && op.keeps_transposed(pname);
      op.param_offsets.emplace_back(pname, slot.offset);
      if (pname == "weight") op.weight_offset = slot.offset;
      if (pname == "bias") op.bias_offset = slot.offset;
      plan.n_param_floats += aligned(slot.numel);  // each parameter starts 64-byte aligned
      plan.params.push_back(slot);
    }
    Value v;
    v.node = n.name;
    v.shape = info.out_shape;
    v.size = product(info.out_shape);
    bool upstream = !n.params.empty() && o.training;
    for (int in : ins) upstream = upstream || plan.values[static_cast<size_t>(in)].needs_grad;
    v.needs_grad = upstream;
    if (made.alias_input) {
      v.buffer = plan.values[static_cast<size_t>(ins.at(0))].buffer;
    } else {
      v.buffer = static_cast<int>(plan.buffers.size());
      plan.buffers.push_back(Buffer{v.size});
    }
    op.output = static_cast<int>(plan.values.size());
    value_of[i] = op.output;
    plan.values.push_back(v);
    if (n.op == graph::FxOp::kOutput) plan.logits_value = op.output;
    plan.ops.push_back(std::move(made.op));
  }
  if (plan.logits_value < 0) return fail("the graph has no output node");
  if (plan.values[static_cast<size_t>(plan.logits_value)].shape.size() != 1)
    return fail("the output is not one row of class scores per sample");
  fuse_relus(plan);
  if (!o.training && o.class_major_logits) choose_class_major_logits(plan);

  // One arena: activations (and gradients where needed), op scratch, GEMM scratch.
  std::vector<bool> buffer_grad(plan.buffers.size(), false);
  for (const Value& v : plan.values)
    if (v.needs_grad) buffer_grad[static_cast<size_t>(v.buffer)] = true;
  if (o.choose_max_rows) {  // as floats_per_row() and rows_independent() will say
    int64_t row_floats = 0;
    bool independent = true;
    for (size_t b = 0; b < plan.buffers.size(); ++b)
      row_floats += plan.buffers[b].row_floats * (buffer_grad[b] ? 2 : 1);
    for (const auto& op : plan.ops) independent = independent && op->rows_independent();
    plan.max_rows = std::max<int64_t>(1, o.choose_max_rows(row_floats, independent));
    impl->options.max_rows = plan.max_rows;
    impl->options.choose_max_rows = nullptr;  // it may refer to the caller's locals
  }
  const int64_t max_rows = plan.max_rows;
  int64_t total = 0, gemm_floats = 0;
  for (size_t b = 0; b < plan.buffers.size(); ++b)
    total += aligned(plan.buffers[b].row_floats * max_rows) * (buffer_grad[b] ? 2 : 1);
  for (const auto& op : plan.ops) {
    total += aligned(op->scratch_floats(max_rows, o.training));
    gemm_floats = std::max(gemm_floats, op->gemm_scratch_floats(*impl->kt, max_rows));
  }
  total += aligned(gemm_floats);
  int64_t widest_grad = 0;
  for (size_t b = 0; b < plan.buffers.size(); ++b)
    if (buffer_grad[b]) widest_grad = std::max(widest_grad, plan.buffers[b].row_floats * max_rows);
  total += aligned(widest_grad);
  plan.arena.allocate(total, /*zero=*/false);  // every op writes before it reads
  float* cursor = plan.arena.data();
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    const int64_t n = aligned(plan.buffers[b].row_floats * max_rows);
    plan.buffers[b].data = cursor;
    cursor += n;
    if (buffer_grad[b]) {
      plan.buffers[b].grad = cursor;
      cursor += n;
    }
  }
  for (const auto& op : plan.ops) {
    op->bind_scratch(cursor);
    cursor += aligned(op->scratch_floats(max_rows, o.training));
  }
  plan.gemm_scratch = cursor;
  cursor += aligned(gemm_floats);
  plan.grad_scratch = cursor;
  if (o.training) {  // gather the batch into the packed x^T an op would make of it
    const int in_buffer = plan.values[static_cast<size_t>(plan.input_value)].buffer;
    for (const auto& op : plan.ops)
      if (!op->inputs.empty() &&
          plan.values[static_cast<size_t>(op->inputs[0])].buffer == in_buffer &&
          op->packs_input_transposed(*impl->kt)) {
        plan.input_t.allocate(
            kernels::packed_a_floats(
                *impl->kt, plan.values[static_cast<size_t>(plan.input_value)].size, o.max_rows),
            /*zero=*/false);
        break;
      }
  }
  plan.param_data.allocate(plan.n_param_floats);
  if (o.training) {
    plan.param_grad.allocate(plan.n_param_floats);
    plan.param_grad_fresh.allocate(plan.n_param_floats);
    plan.params_grad_target = plan.param_grad.data();
    if (o.optimizer.kind == OptimizerKind::kSgd) {
      impl->momentum_or_m.assign(static_cast<size_t>(plan.n_param_floats), 0.0f);
    } else {
      impl->momentum_or_m.assign(static_cast<size_t>(plan.n_param_floats), 0.0f);
      impl->v.assign(static_cast<size_t>(plan.n_param_floats), 0.0f);
    }
  }
  if (o.n_threads != 1 && at::get_num_threads() > 1) {
    impl->runner.run = run_on_torch_threads;
    impl->threads = &impl->runner;
  }
  std::unique_ptr<Engine> engine(new Engine(std::move(impl)));
  engine->pull();
  return engine;
}

void Engine::pull() {
  Plan& plan = impl_->plan;
  auto& nodes = impl_->graph->nodes();
  for (const ParamSlot& s : plan.params) {
    at::Tensor t = nodes[static_cast<size_t>(s.node)].param(s.name)->detach();
    t = (s.transposed ? t.t() : t).contiguous();
    CHOP_ASSERT(t.numel() == s.numel && float_cpu(t), "engine: parameter changed shape or type");
    std::memcpy(plan.param_data.data() + s.offset, t.data_ptr<float>(),
                sizeof(float) * static_cast<size_t>(s.numel));
  }
  for (const auto& op : plan.ops) op->pull_state(nodes[static_cast<size_t>(op->node)]);
  ++impl_->params_version;
}

void Engine::push() {
  Plan& plan = impl_->plan;
  auto& nodes = impl_->graph->nodes();
  at::NoGradGuard no_grad;
  for (const ParamSlot& s : plan.params) {
    at::Tensor* t = nodes[static_cast<size_t>(s.node)].param(s.name);
    t->copy_(flat_view(plan.param_data.data(), s));
  }
  for (const auto& op : plan.ops) op->push_state(nodes[static_cast<size_t>(op->node)]);
}

void Engine::zero_grad() {
  impl_->accumulate_params = false;
}

StepStats Engine::forward_backward(const float* data, const int64_t* index, const int64_t* labels,
                                   int64_t n, double loss_scale) {
  Impl& m = *impl_;
  Plan& plan = m.plan;
  CHOP_ASSERT(m.options.training, "engine: forward_backward on an inference plan");
  m.load_training_input(data, index, n);
  m.last_rows = n;
  plan.rows = n;
  // Gradient accumulation: this pass's parameter gradients go to a fresh buffer, then are added
  // (old + new, as autograd's AccumulateGrad adds them).
  plan.params_grad_target =
      m.accumulate_params ? plan.param_grad_fresh.data() : plan.param_grad.data();
  RunContext ctx = m.context(n, /*training=*/true);
  for (const auto& op : plan.ops) op->forward(ctx);
  const Value& lv = plan.values[static_cast<size_t>(plan.logits_value)];
  Buffer& lb = plan.buffers[static_cast<size_t>(lv.buffer)];
  for (Buffer& b : plan.buffers) b.grad_written = false;
  const float scale = static_cast<float>(loss_scale / static_cast<double>(n));
  kernels::LossSums sums =
      kernels::softmax_cross_entropy(*m.kt, lb.data, labels, n, lv.size, scale, lb.grad, lb.grad);
  lb.grad_written = true;
  for (auto it = plan.ops.rbegin(); it != plan.ops.rend(); ++it) {
    Op& op = **it;
    const Value& out = plan.values[static_cast<size_t>(op.output)];
    if (!out.needs_grad) continue;
    Buffer& ob = plan.buffers[static_cast<size_t>(out.buffer)];
    if (!ob.grad_written) {  // not on any path to the loss: its gradient is zero
      std::memset(ob.grad, 0, sizeof(float) * static_cast<size_t>(n * ob.row_floats));
      ob.grad_written = true;
    }
    op.backward(ctx);
  }
  if (m.accumulate_params)
    m.kt->accumulate(plan.param_grad_fresh.data(), plan.param_grad.data(), plan.n_param_floats);
  m.accumulate_params = true;
  // Rounded to float, as the LibTorch path reports its 0-dim float loss.
  return {static_cast<double>(static_cast<float>(sums.loss_sum / static_cast<double>(n))),
          sums.correct};
}

const float* Engine::forward(const float* data, const int64_t* index, int64_t n) {
  Impl& m = *impl_;
  Plan& plan = m.plan;
  Buffer& in =
      plan.buffers[static_cast<size_t>(plan.values[static_cast<size_t>(plan.input_value)].buffer)];
  float* const own = in.data;
  if (index) {
    m.load_input(data, index, n);
  } else {
    // Contiguous rows are read where the caller holds them (no copy into the arena): no op
    // writes into its input's buffer (outputs get their own or alias a producer's, never the
    // network input's), and no kernel needs aligned rows. The arena's block is back on return.
    if (n <= 0 || n > plan.max_rows)
      throw InternalError("engine: batch of " + std::to_string(n) + " rows, plan holds " +
                          std::to_string(plan.max_rows));
    plan.input_t_rows = 0;
    in.data = const_cast<float*>(data);
  }
  struct Restore {
    Buffer& b;
    float* own;
    ~Restore() { b.data = own; }
  } restore{in, own};
  plan.rows = n;
  RunContext ctx = m.context(n, /*training=*/false);
  for (const auto& op : plan.ops) op->forward(ctx);
  return plan
      .buffers[static_cast<size_t>(plan.values[static_cast<size_t>(plan.logits_value)].buffer)]
      .data;
}

void Engine::step(double lr) {
  Impl& m = *impl_;
  Plan& plan = m.plan;
  CHOP_ASSERT(m.options.training, "engine: step on an inference plan");
  const OptimizerSpec& o = m.options.optimizer;
  ++m.n_steps;
  // One update per run of consecutive parameters with the same weight decay (usually one for
  // the whole flat array): the padding between parameters is zero in every array and stays so.
  auto decay_of = [&](const ParamSlot& s) {
    const bool is_bias = s.name == "bias";  // MASE: every "*.bias" parameter, batch norm's too
    return (o.decay_biases || !is_bias) ? o.weight_decay : 0.0;
  };
  for (size_t first = 0; first < plan.params.size();) {
    const double wd = decay_of(plan.params[first]);
    size_t last = first;
    while (last + 1 < plan.params.size() && decay_of(plan.params[last + 1]) == wd) ++last;
    const int64_t begin = plan.params[first].offset;
    const int64_t n = plan.params[last].offset + plan.params[last].numel - begin;
    first = last + 1;
    float* p = plan.param_data.data() + begin;
    float* g = plan.param_grad.data() + begin;
    float* m1 = m.momentum_or_m.data() + begin;
    if (o.kind == OptimizerKind::kSgd) {
      kernels::SgdUpdate u;
      u.lr = lr, u.weight_decay = wd, u.momentum = o.momentum, u.nesterov = o.nesterov;
      u.step = m.n_steps;
      kernels::sgd_update(*m.kt, p, g, m1, n, u);
      continue;
    }
    kernels::AdamUpdate u;
    u.lr = lr, u.weight_decay = wd, u.beta1 = o.beta1, u.beta2 = o.beta2, u.eps = o.eps;
    u.decoupled = o.kind == OptimizerKind::kAdamW;
    u.step = m.n_steps;
    kernels::adam_update(*m.kt, p, g, m1, m.v.data() + begin, n, u);
  }
  ++m.params_version;
}

bool Engine::logits_class_major() const {
  return impl_->plan.logits_class_major;
}
int64_t Engine::sample_size() const {
  return impl_->plan.values[static_cast<size_t>(impl_->plan.input_value)].size;
}
int64_t Engine::n_classes() const {
  return impl_->plan.values[static_cast<size_t>(impl_->plan.logits_value)].size;
}
int64_t Engine::max_rows() const {
  return impl_->plan.max_rows;
}
int64_t Engine::num_parameters() const {
  int64_t n = 0;
  for (const ParamSlot& s : impl_->plan.params) n += s.numel;
  return n;
}
int64_t Engine::num_steps() const {
  return impl_->n_steps;
}
Isa Engine::isa() const {
  return impl_->kt->isa;
}

bool Engine::rows_independent() const {
  for (const auto& op : impl_->plan.ops)
    if (!op->rows_independent()) return false;
  return true;
}

int64_t Engine::floats_per_row() const {
  int64_t n = 0;
  for (const Buffer& b : impl_->plan.buffers) n += b.row_floats * (b.grad ? 2 : 1);
  return n;
}

double Engine::train_flops_per_sample() const {
  const Plan& plan = impl_->plan;
  double flops = 0.0;
  for (const auto& op : plan.ops) {
    bool input_grad = false;
    for (int in : op->inputs)
      input_grad = input_grad || plan.values[static_cast<size_t>(in)].needs_grad;
    flops += op->train_flops_per_sample(input_grad);
  }
  return flops;
}

at::Tensor Engine::param_grad(const std::string& state_name) const {
  const Plan& plan = impl_->plan;
  const auto& nodes = impl_->graph->nodes();
  for (const ParamSlot& s : plan.params) {
    if (nodes[static_cast<size_t>(s.node)].target + "." + s.name != state_name) continue;
    return flat_view(plan.param_grad.data(), s).contiguous().clone();
  }
  throw InternalError("engine: no parameter " + state_name);
}

at::Tensor Engine::input_grad() const {
  const Plan& plan = impl_->plan;
  const Value& in = plan.values[static_cast<size_t>(plan.input_value)];
  const float* g = plan.buffers[static_cast<size_t>(in.buffer)].grad;
  CHOP_ASSERT(g, "engine: compiled without input_grad");
  return at::from_blob(const_cast<float*>(g), with_rows(impl_->last_rows, in.shape), at::kFloat)
      .clone();
}

}  // namespace chop::engine
