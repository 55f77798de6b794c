// Shared helpers for the interop tests: fixture paths, running an imported graph, comparing
// with PyTorch's outputs.
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "data/npy.h"
#include "graph/graph.h"
#include "runtime/executor.h"

namespace chop::testing {

inline std::string fixture(const std::string& name) {
  return std::string(CHOP_SOURCE_DIR) + "/tests/interop/fixtures/" + name;
}

inline at::Tensor run_graph(graph::Graph& g, const at::Tensor& x) {
  at::NoGradGuard no_grad;
  return runtime::forward(g, x);
}

inline double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace chop::testing
