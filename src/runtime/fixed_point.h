// Bit-exact fixed-point execution: runs an integer-quantized graph in integer arithmetic (int64
// mantissas, accumulators as wide as interval analysis says, requantization with the configured
// rounding and overflow), checks every value against its inferred format, and counts where the
// fake-quantized float32 path (runtime::forward) gives a different value.
#pragma once

#include <ATen/ATen.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "runtime/fixed_point_analysis.h"
#include "runtime/fixed_point_format.h"

namespace chop::runtime {

struct BitExactOptions {
  /// Requantization of activations (weights and biases are always MASE's quantizer values).
  /// half_even + saturate is MASE's integer quantizer; half_up / truncate and wrap emulate
  /// ap_fixed's AP_RND / AP_TRN and AP_WRAP.
  Rounding rounding = Rounding::kHalfEven;
  Overflow overflow = Overflow::kSaturate;
  /// Also run the fake-quantized float32 path on every batch and count differing values.
  bool compare_with_float = true;
};

/// Per node, summed over every batch run so far.
struct BitExactNodeStats {
  std::string name;
  std::string mase_op;
  bool integer = false;  // ran in integer arithmetic
  bool mac = false;      // a multiply-accumulate layer
  std::string note;
  Kif format;                 // MAC nodes: the accumulator; other integer nodes: the output
  bool float32_exact = true;  // the float32 path is exact here (bound from the analysis)
  int64_t overflows = 0;      // values outside their element's inferred format
  int64_t mismatches = 0;     // elements that differ from the fake-quantized float32 path
  double observed_min = std::numeric_limits<double>::infinity();
  double observed_max = -std::numeric_limits<double>::infinity();
  /// Bits the values actually seen need at the format's f (hls4ml's to_kif of [min, max]).
  int observed_width() const;
};

struct BitExactReport {
  std::vector<BitExactNodeStats> nodes;
  int64_t n_samples = 0;
  int64_t output_mismatches = 0;  // output elements != the float32 path
  int64_t mismatches = 0;         // over every node
  int64_t overflows = 0;          // over every node (0 when the analysis is sound)
  int64_t nan_inputs = 0;         // NaNs met by a quantizer (counted as 0)
  int n_integer = 0;
  int n_integer_mac = 0;
  bool float32_exact = true;
  bool compared = false;  // mismatches were counted
  /// One row per node: arithmetic, accumulator format and width, float32 exactness, observed
  /// width, overflows, mismatches.
  std::string table() const;
  /// One-line summary.
  std::string summary() const;
};

class BitExactEngine {
 public:
  /// Analyses `g` (kept by reference; its quantizers must be attached). Throws UserError when no
  /// node of the graph runs in integer arithmetic, naming what to quantize.
  explicit BitExactEngine(graph::Graph& g, BitExactOptions options = {});
  ~BitExactEngine();
  BitExactEngine(const BitExactEngine&) = delete;
  BitExactEngine& operator=(const BitExactEngine&) = delete;

  /// Runs one batch (the placeholder's value, batch first, on the CPU). Returns the output as
  /// float32 (the exact value rounded to float32) and adds to the report.
  at::Tensor run(const at::Tensor& x);
  /// The exact output (float64; exact below 2^53) of the last run.
  const at::Tensor& last_exact_output() const { return last_exact_; }
  const BitExactReport& report() const { return report_; }
  const FixedPointAnalysis& analysis() const { return analysis_; }

 private:
  struct Value;
  Value execute(graph::Node& n, size_t index, const std::vector<const Value*>& in);
  at::Tensor to_fixed(const Value& v, const FixedSpec& s, const std::string& where);
  void check_format(size_t index, const at::Tensor& m, int grid, const FixedFormat& fmt);

  graph::Graph& g_;
  BitExactOptions options_;
  FixedPointAnalysis analysis_;
  BitExactReport report_;
  at::Tensor last_exact_;
};

}  // namespace chop::runtime
