// One LibTorch implementation per mase_op, applying the node's quantizers (if any) to operands.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "graph/node.h"

namespace chop::runtime {

using Kernel = at::Tensor (*)(graph::Node& node, const std::vector<at::Tensor>& in, bool training);

/// Null when chop has no kernel for the op (the verifier rejects such graphs first).
Kernel find_kernel(const std::string& mase_op);

}  // namespace chop::runtime
