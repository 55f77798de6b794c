// Executes a graph on LibTorch tensors with autograd: the forward pass used by training,
// evaluation, latency measurement and activation profiling.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace chop::runtime {

/// Called after each node runs with its input tensors and its output (for metadata/statistics).
using NodeObserver = std::function<void(
    const graph::Node& node, const std::vector<at::Tensor>& inputs, const at::Tensor& output)>;

struct RunOptions {
  bool training = false;  // BatchNorm uses batch statistics and updates running ones; dropout on
  NodeObserver observer = nullptr;  // optional
};

/// Runs `g` on `x` (the single placeholder's value) and returns the output node's value.
/// Parameters must already be on x's device. Throws UserError naming a node whose op fails.
at::Tensor forward(graph::Graph& g, const at::Tensor& x, const RunOptions& opts = {});

/// Parses "cpu", "cuda", "cuda:1", "gpu", "auto"; throws UserError if CUDA is asked for but
/// this LibTorch build or machine has none.
at::Device parse_device(const std::string& name);
/// True when, in inference on the CPU with a 2-D float input, every output row of `g` depends only
/// on the same input row and is computed the same way whatever the number of rows: every op is
/// row-wise (linear on chop's own kernel, batch norm with running statistics, elementwise
/// activations, dropout off) and every activation quantizer is elementwise (integer,
/// minifloat, log). Evaluating several batches in one forward then gives bit-identical rows.
bool rows_independent_in_inference(const graph::Graph& g);

bool cuda_available();

}  // namespace chop::runtime
