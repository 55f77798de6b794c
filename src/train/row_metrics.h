// Summed cross-entropy and argmax hits of float logits rows, fused into one pass (the metric of
// every evaluation, and on the small batches of a quantization search a large part of a trial).
#pragma once

#include <cstdint>

namespace chop::train {

/// Adds the summed cross-entropy (in double) and argmax hits of `rows` rows of float logits
/// [rows, classes] to `loss_sum` and `correct`, instead of log_softmax, nll, argmax, eq and sum
/// as separate ATen ops. Returns false, adding nothing, for NaN or infinite logits or a label out
/// of range (the caller then uses the ATen ops, which also produce their own error for bad
/// labels). Four rows at a time in SIMD lanes; bit-identical to rows_metrics_reference.
bool fused_rows_metrics(const float* logits, const int64_t* label, int64_t rows, int64_t classes,
                        double& loss_sum, int64_t& correct);

/// fused_rows_metrics over class-major logits: logit (r, c) at p[c * ld + r] (an engine's
/// output with Engine::logits_class_major(); ld >= rows). Eight rows are one plain load per
/// class instead of a gather; bit-identical to rows_metrics_reference on the row-major copy.
bool fused_class_major_metrics(const float* p, int64_t ld, const int64_t* label, int64_t rows,
                               int64_t classes, double& loss_sum, int64_t& correct);

/// The same, one row at a time: what fused_rows_metrics must equal bit for bit (tests), and its
/// path on a CPU without SSE2.
bool rows_metrics_reference(const float* logits, const int64_t* label, int64_t rows,
                            int64_t classes, double& loss_sum, int64_t& correct);

}  // namespace chop::train
