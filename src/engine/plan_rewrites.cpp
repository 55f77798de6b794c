// The plan rewrites of plan_rewrites.h.
#include "engine/plan_rewrites.h"

#include <vector>

namespace chop::engine {

// A plain ReLU whose input nothing else reads runs inside the op producing that input, when the
// op takes it (Op::take_relu): the ReLU's value (and any alias of it) moves onto the producer's
// buffer, and the ReLU's own buffer is emptied.
void fuse_relus(Plan& plan) {
  std::vector<int> readers(plan.values.size(), 0), producer(plan.values.size(), -1);
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    for (int in : plan.ops[i]->inputs) ++readers[static_cast<size_t>(in)];
    producer[static_cast<size_t>(plan.ops[i]->output)] = static_cast<int>(i);
  }
  for (const auto& op : plan.ops) {
    if (!op->plain_relu() || op->inputs.size() != 1) continue;
    const int in = op->inputs[0];
    const int p = producer[static_cast<size_t>(in)];
    if (p < 0 || readers[static_cast<size_t>(in)] != 1 || in == plan.logits_value) continue;
    if (!plan.ops[static_cast<size_t>(p)]->take_relu()) continue;
    op->fuse_into_producer();
    const int from = plan.values[static_cast<size_t>(op->output)].buffer;
    const int to = plan.values[static_cast<size_t>(in)].buffer;
    for (Value& v : plan.values)
      if (v.buffer == from) v.buffer = to;
    plan.buffers[static_cast<size_t>(from)].row_floats = 0;
  }
}

// EngineOptions::class_major_logits: the one op computing into the logits' buffer writes them
// class-major, when every other op on that buffer only passes it through (the output alias, a
// fused ReLU) and no other op reads it.
void choose_class_major_logits(Plan& plan) {
  auto buffer_of = [&](int v) { return plan.values[static_cast<size_t>(v)].buffer; };
  const int logits = buffer_of(plan.logits_value);
  if (logits == buffer_of(plan.input_value)) return;
  Op* producer = nullptr;
  for (const auto& op : plan.ops) {
    const bool on = buffer_of(op->output) == logits;
    for (int in : op->inputs)
      if (buffer_of(in) == logits && !(on && op->passes_layout())) return;  // another reader
    if (!on || op->passes_layout()) continue;
    if (producer) return;  // two ops write into it
    producer = op.get();
  }
  if (producer && producer->write_class_major()) plan.logits_class_major = true;
}

}  // namespace chop::engine
