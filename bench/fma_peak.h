// This core's single-thread FMA peak, measured: independent fused multiply-add chains (enough
// to hide the latency on two FMA ports) at the widest vector width the CPU has. The training
// benchmarks report GFLOP/s against it.
#pragma once

namespace chop::bench {

/// GFLOP/s (2 flops per lane per FMA) of the best of `repeats` runs of ~0.2 s of this thread's
/// CPU time each (CPU time, not wall time: other processes on a shared machine do not count);
/// `isa_name` gets the vector width used ("avx512", "avx2" or "scalar").
double measure_fma_peak_gflops(int repeats, const char** isa_name);

/// This thread's CPU time in seconds.
double thread_cpu_seconds();

}  // namespace chop::bench
