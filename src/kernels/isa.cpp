// CPU feature checks and the kernel table for each instruction set; see isa.h.
#include "kernels/isa.h"

#include "kernels/kernels.h"

#include <cstdlib>

namespace chop::kernels {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kPortable:
      return "portable";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

std::optional<Isa> parse_isa(const std::string& name) {
  for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512})
    if (name == isa_name(isa)) return isa;
  return std::nullopt;
}

bool isa_supported(Isa isa) {
  if (isa == Isa::kPortable) return true;
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_supports also requires the OS to save the registers (XGETBV), so a kernel
  // never meets a disabled AVX-512 state.
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (isa == Isa::kAvx2) return avx2;
  return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

Isa default_isa() {
  static const Isa chosen = [] {
    Isa best = Isa::kPortable;
    for (Isa isa : {Isa::kAvx2, Isa::kAvx512})
      if (isa_supported(isa)) best = isa;
    if (const char* env = std::getenv("CHOP_ISA")) {
      if (auto want = parse_isa(env); want && isa_supported(*want) && *want < best) best = *want;
    }
    return best;
  }();
  return chosen;
}

const KernelTable& kernel_table(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return avx512_kernels();
    case Isa::kAvx2:
      return avx2_kernels();
    case Isa::kPortable:
      break;
  }
  return portable_kernels();
}

}  // namespace chop::kernels
