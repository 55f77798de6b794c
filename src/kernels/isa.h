// Which vector instruction set chop's CPU kernels use (the fused engine's and the LibTorch path's
// own autograd functions): the best one this CPU has (cpuid, checked once), or a lower one named
// by the environment variable CHOP_ISA (tests and benchmarks compare the paths).
#pragma once

#include <optional>
#include <string>

namespace chop::kernels {

/// Kernel families, lowest first. Every family computes the same numbers (bit for bit: the
/// portable path uses fmaf where the vector paths use FMA instructions).
enum class Isa { kPortable = 0, kAvx2 = 1, kAvx512 = 2 };

const char* isa_name(Isa isa);
/// "portable" | "avx2" | "avx512"; nullopt otherwise.
std::optional<Isa> parse_isa(const std::string& name);
/// True when this CPU (and OS, for the wider registers) can run `isa`'s kernels.
bool isa_supported(Isa isa);
/// The best supported family, lowered to CHOP_ISA when that names a supported one.
Isa default_isa();

}  // namespace chop::kernels
