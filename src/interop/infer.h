// Inference on arrays: the library side of `chop infer` (and of tests comparing chop with
// PyTorch). Options travel in one struct so new modes (e.g. bit-exact integer inference) are
// one field, not a new function.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "graph/graph.h"

namespace chop::interop {

struct InferOptions {
  int64_t batch_size = 256;      // rows per forward pass
  at::Device device = at::kCPU;  // where the graph runs (its tensors must be there)
};

/// Runs `g` (quantizers included) in evaluation mode — no gradients, BatchNorm's running
/// statistics, dropout off — on `x` [N, ...] in batches and returns float32 outputs on the CPU.
/// `x` must fit the graph input (see fit_input). Errors name the node that fails.
at::Tensor run_inference(graph::Graph& g, const at::Tensor& x, const InferOptions& opts = {});

/// `x` as the graph's input expects it: float32, [N, sample shape]. Samples with the same
/// number of values are reshaped; otherwise UserError naming `what` (the file), its shape and
/// the model's input shape. A 1-D `x` is one sample.
at::Tensor fit_input(const graph::Graph& g, const at::Tensor& x, const std::string& what);

}  // namespace chop::interop
