// Loss and plain (micro) accuracy of a graph over a split or a prefix of it: the software metric
// of `chop test`, of training's validation, and of the search runners (MASE basic_evaluation).
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>

#include "data/dataset.h"
#include "graph/graph.h"

namespace chop::engine {
class Engine;
}

namespace chop::train {

struct EvalResult {
  double loss = 0.0;      // mean cross-entropy per sample
  double accuracy = 0.0;  // correct / n_samples
  int64_t n_samples = 0;
};

/// Evaluates `g` in inference mode (BatchNorm running statistics, no dropout, no autograd) over
/// `split` in its stored order. num_samples > 0 evaluates only the first
/// ceil(num_samples / batch_size) batches, as MASE's basic_evaluation runner does; otherwise the
/// whole split. Data is moved to `device` per batch when it is not already there.
/// Throws UserError if the split is empty or batch_size <= 0.
EvalResult evaluate(graph::Graph& g, const data::TensorDataset& split, int64_t batch_size,
                    int64_t num_samples = -1, const at::Device& device = at::kCPU);

/// evaluate() on a compiled engine (its current parameters, inference mode). The graph-taking
/// overload compiles an inference engine for CPU graphs the engine covers (the LibTorch path
/// otherwise): logits and metrics are the same either way.
EvalResult evaluate(engine::Engine& e, const data::TensorDataset& split, int64_t batch_size,
                    int64_t num_samples = -1);

/// The inference engine evaluate() runs `g` on for this split (null, with `why` set when the
/// engine cannot take the graph, or left empty when the data or device keep it off the engine).
/// Its logits may be class-major (Engine::logits_class_major): evaluate(Engine&) reads both.
std::unique_ptr<engine::Engine> compile_for_evaluation(graph::Graph& g,
                                                      const data::TensorDataset& split,
                                                      int64_t batch_size, int64_t num_samples,
                                                      const at::Device& device, std::string* why);

/// evaluate() on the LibTorch path with at most `max_batches_per_forward` batches per forward pass
/// (0: as many as evaluate() chooses). Metrics are summed batch by batch either way; for graphs
/// whose rows are independent in inference (runtime::rows_independent_in_inference) the results are
/// bit-identical, which the tests check with 1.
EvalResult evaluate_in_forwards(graph::Graph& g, const data::TensorDataset& split,
                                int64_t batch_size, int64_t num_samples, const at::Device& device,
                                int64_t max_batches_per_forward);

}  // namespace chop::train
