// The engine's op table; see ops.h.
#include "engine/ops.h"

namespace chop::engine {

const std::vector<EngineOpEntry>& engine_op_table() {
  static const std::vector<EngineOpEntry> table = {
      {"linear", make_linear, true},
      {"conv1d", make_conv, true},
      {"conv2d", make_conv, true},
      {"batch_norm1d", make_batch_norm, false},
      {"batch_norm2d", make_batch_norm, false},
      {"relu", make_activation, true},
      {"relu6", make_activation, false},
      {"hardtanh", make_activation, false},
      {"max_pool2d", make_pool, false},
      {"avg_pool2d", make_pool, false},
      {"adaptive_avg_pool2d", make_pool, false},
      {"flatten", make_reshape, false},
      {"view", make_reshape, false},
      {"dropout", make_reshape, false},
      {"output", make_reshape, false},
      {"add", make_add, true},
  };
  return table;
}

const EngineOpEntry* find_engine_op(const std::string& mase_op) {
  for (const auto& e : engine_op_table())
    if (mase_op == e.mase_op) return &e;
  return nullptr;
}

std::vector<int64_t> attr_ints(const graph::Node& node, const char* key, size_t dims) {
  const auto& v = node.attrs.at(key);
  if (v.is_number_integer()) return std::vector<int64_t>(dims, v.get<int64_t>());
  return v.get<std::vector<int64_t>>();
}

int64_t product(const std::vector<int64_t>& shape) {
  int64_t p = 1;
  for (int64_t d : shape) p *= d;
  return p;
}

std::vector<int64_t> with_rows(int64_t rows, const std::vector<int64_t>& shape) {
  std::vector<int64_t> s{rows};
  s.insert(s.end(), shape.begin(), shape.end());
  return s;
}

}  // namespace chop::engine
