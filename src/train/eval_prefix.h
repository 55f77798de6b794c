// Evaluation that reuses the leading part of a graph across calls: in a search whose space leaves
// the first nodes alone (a linear-only PTQ space leaves BatchNorm -> ReLU as it is), their
// activations over the split are computed once, and each candidate runs only the rest.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "train/evaluate.h"

namespace chop::train {

/// Holds the activations of one graph prefix over one split. evaluate_with_prefix() gives the
/// numbers evaluate() gives, bit for bit; it uses the cache only where that holds: CPU engine,
/// rows independent in inference, and a prefix of unquantized nodes each reading only the one
/// before it (the first reads the input), equal (names, attributes, parameters, buffers) to
/// the cached one. Anything else is evaluated as evaluate() would, and refills nothing.
class PrefixCache {
 public:
  int64_t hits() const { return hits_; }
  int64_t fills() const { return fills_; }

 private:
  friend EvalResult evaluate_with_prefix(graph::Graph&, const data::TensorDataset&, int64_t,
                                         int64_t, const at::Device&, PrefixCache&);
  std::mutex mu_;
  std::vector<graph::Node> nodes_;  // the prefix, parameters and buffers cloned
  at::Tensor x_;  // the split's rows it was computed on (held: no other data reuses the address)
  int64_t rows_ = 0;
  at::Tensor act_;                  // [rows_, floats of the prefix's last value]
  at::Tensor y_, y_rows_;           // the labels last seen (held) and their first rows
  int64_t hits_ = 0, fills_ = 0;
};

EvalResult evaluate_with_prefix(graph::Graph& g, const data::TensorDataset& split,
                                int64_t batch_size, int64_t num_samples, const at::Device& device,
                                PrefixCache& cache);

}  // namespace chop::train
