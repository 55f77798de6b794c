// Inference on arrays: the library side of `chop infer` (and of tests comparing chop with
// PyTorch). Options travel in one struct so new modes (e.g. bit-exact integer inference) are
// one field, not a new function.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "graph/graph.h"
#include "runtime/fixed_point.h"

namespace chop::interop {

struct InferOptions {
  int64_t batch_size = 256;      // rows per forward pass
  at::Device device = at::kCPU;  // where the graph runs (its tensors must be there)
  /// Run the integer-quantized graph in chop's fixed-point engine (runtime/fixed_point.h, on the
  /// CPU) instead of the fake-quantized float path: the outputs are its exact values rounded to
  /// float32, and every batch is also run through the float path to count mismatches.
  bool bit_exact = false;
  runtime::BitExactOptions bit_exact_options{};
};

/// Runs `g` (quantizers included) in evaluation mode — no gradients, BatchNorm's running
/// statistics, dropout off — on `x` [N, ...] in batches and returns float32 outputs on the CPU.
/// `x` must fit the graph input (see fit_input). Errors name the node that fails.
/// With opts.bit_exact the engine's report (formats, overflows, mismatches per node, summed over
/// every batch) is stored in `*bit_exact_report` when given; UserError when no node of `g` is
/// integer-quantized.
at::Tensor run_inference(graph::Graph& g, const at::Tensor& x, const InferOptions& opts = {},
                         runtime::BitExactReport* bit_exact_report = nullptr);

/// `x` as the graph's input expects it: float32, [N, sample shape]. Samples with the same
/// number of values are reshaped; otherwise UserError naming `what` (the file), its shape and
/// the model's input shape. A 1-D `x` is one sample.
at::Tensor fit_input(const graph::Graph& g, const at::Tensor& x, const std::string& what);

}  // namespace chop::interop
