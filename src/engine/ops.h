// The engine's op table (internal): one row per mase_op it runs natively, each with a factory
// that checks the node's attributes and quantizers and builds the Op (forward + backward).
// Adding an op kind is one row here plus its own file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/operand_quant.h"
#include "engine/plan.h"
#include "quant/config.h"

namespace chop::engine {

struct OpBuildInfo {
  const graph::Node* node = nullptr;
  int node_index = -1;
  std::vector<std::vector<int64_t>> in_shapes;  // one sample's shape per input
  std::vector<int64_t> out_shape;               // one sample's output shape
  bool training = false;                        // the plan will run backward passes
  /// The node's operand quantizers as the LibTorch kernels apply them (inactive: float).
  OperandQuantizer data_in, weight, bias, data_out;
};

struct OpMade {
  std::unique_ptr<Op> op;    // null: not covered (why_not says why)
  bool alias_input = false;  // the output is input 0 re-shaped (no copy, no backward work)
  std::string why_not;
};

using OpFactory = OpMade (*)(const OpBuildInfo& info);

struct EngineOpEntry {
  const char* mase_op;
  OpFactory make;
  bool quantizable;  // honours data_in/weight/bias/data_out (others: the op has none)
};

const std::vector<EngineOpEntry>& engine_op_table();
/// Null when the engine has no native kernel for `mase_op`.
const EngineOpEntry* find_engine_op(const std::string& mase_op);

// Factories, one file each.
OpMade make_linear(const OpBuildInfo& info);
OpMade make_conv(const OpBuildInfo& info);
OpMade make_batch_norm(const OpBuildInfo& info);
OpMade make_activation(const OpBuildInfo& info);
OpMade make_pool(const OpBuildInfo& info);
OpMade make_reshape(const OpBuildInfo& info);
OpMade make_add(const OpBuildInfo& info);

/// Integer attribute list of `key` with `dims` entries (a single integer is repeated).
std::vector<int64_t> attr_ints(const graph::Node& node, const char* key, size_t dims);
int64_t product(const std::vector<int64_t>& shape);
/// [rows] + shape.
std::vector<int64_t> with_rows(int64_t rows, const std::vector<int64_t>& shape);

}  // namespace chop::engine
