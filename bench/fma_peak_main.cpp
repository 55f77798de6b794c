// Prints this core's measured single-thread FMA peak (bench/fma_peak.h) as one JSON line.
#include <cstdio>

#include "fma_peak.h"

int main() {
  const char* isa = "";
  const double peak = chop::bench::measure_fma_peak_gflops(7, &isa);
  std::printf("{\"fma_peak_gflops\": %.1f, \"isa\": \"%s\"}\n", peak, isa);
  return 0;
}
