// Rewrites of a compiled plan before its buffers are laid out: ReLUs fused into their producers,
// and the logits' layout for evaluation (EngineOptions::class_major_logits).
#pragma once

#include "engine/plan.h"

namespace chop::engine {

/// A plain ReLU whose input nothing else reads runs inside the op producing that input, when the
/// op takes it (Op::take_relu).
void fuse_relus(Plan& plan);

/// Sets plan.logits_class_major when the one op computing into the logits' buffer can write
/// them class-major and every other op on that buffer only passes it through.
void choose_class_major_logits(Plan& plan);

}  // namespace chop::engine
