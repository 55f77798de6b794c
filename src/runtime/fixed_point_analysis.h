// Static analysis of a graph for integer execution: which nodes run in integer arithmetic, their
// integer quantizers and quantized constants, and the fixed-point format of every tensor element
// inferred as hls4ml's bit-exact flow does (interval arithmetic on (k, i, f) boxes), from which
// each layer's minimal accumulator width follows. No data is needed.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "runtime/fixed_point_format.h"

namespace chop::runtime {

/// The fixed-point format of every element of one sample's tensor (no batch dimension):
/// element e holds multiples of 2^-f[e] in [-k[e] * 2^i[e], 2^i[e] - 2^-f[e]]. Unknown (float
/// data) when !known.
struct FixedFormat {
  bool known = false;
  at::Tensor k, i, f;  // int32, one sample's shape
  int grid = 0;        // the engine keeps mantissas at 2^-grid (grid >= every f)
  /// hls4ml's layer type: (max k, max i, max f) over the elements.
  Kif layer_kif() const;
  /// Bounds of the boxes, float64 in one sample's shape.
  at::Tensor lo() const;
  at::Tensor hi() const;
  /// k + i + f per element (float64).
  at::Tensor bits() const;
};

/// What the analysis decided for one node.
struct NodePlan {
  bool integer = false;  // runs in integer arithmetic (the engine's own kernels)
  bool mac = false;      // linear / conv / matmul: multiply-accumulates
  std::string note;      // why a node runs in float (or what an integer node does)
  std::optional<FixedSpec> in_q, w_q, b_q, out_q;  // the integer quantizers the node applies
  at::Tensor w_m, b_m;              // quantized weight / bias mantissas (int64), at w_q / b_q frac
  std::vector<FixedFormat> inputs;  // operand formats as the op consumes them (after data_in)
  FixedFormat acc;                  // MAC nodes: the accumulator (before data_out)
  FixedFormat out;                  // the node's output
  /// MAC / add nodes: largest sum of |terms| (+|bias|) of one output, in units of 2^-acc.grid:
  /// below 2^24 the float32 path computes it exactly, below 2^62 the engine holds it.
  double term_bound = 0;
  bool float32_exact = true;  // the float32 path gets this node's value exactly (a bound)
};

struct FixedPointAnalysis {
  std::vector<NodePlan> nodes;  // graph order
  int n_integer = 0;            // nodes that run in integer arithmetic
  int n_integer_mac = 0;        // of which multiply-accumulate layers
  bool float32_exact = true;    // every node is float32-exact (so 0 mismatches are guaranteed)
};

/// Analyses `g` (quantizers as attached by the quantize pass). `rounding` / `overflow` are the
/// engine's requantization modes (hls4ml: a rounding quantizer may carry into one more integer
/// bit, a wrapping one keeps its full format). Throws UserError naming the node when an integer
/// layer would need more than 62-bit mantissas.
FixedPointAnalysis analyze_fixed_point(graph::Graph& g, Rounding rounding = Rounding::kHalfEven,
                                       Overflow overflow = Overflow::kSaturate);

/// Per-element (k, i, f) of the values produced by `spec` from data in `in` (hls4ml's
/// FixedPointQuantizer rule; `in` unknown means float data).
FixedFormat quantizer_format(const FixedSpec& spec, const FixedFormat& in,
                             const std::vector<int64_t>& sample_shape, Rounding rounding,
                             Overflow overflow);

}  // namespace chop::runtime
