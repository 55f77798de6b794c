# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: how the sanitizers report and stop.
# A report aborts the process (non-zero exit: the test fails); leaks in LibTorch's and HDF5's own
# one-time initialisation are suppressed by tests/sanitizers/lsan.supp, nothing of chop's.
_chop_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# allocator_may_return_null=1: malloc of an impossible size returns NULL as glibc's does, so C
# libraries (libhdf5 sizing a metadata block from a corrupt file) take their own error path as
# in a release build; C++ `new` of such a size still aborts under ASan, and libFuzzer's
# -malloc_limit_mb still reports any allocation over its limit.
export ASAN_OPTIONS="allocator_may_return_null=1:abort_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=0:print_summary=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
export LSAN_OPTIONS="suppressions=${_chop_root}/tests/sanitizers/lsan.supp:print_suppressions=0"
if command -v llvm-symbolizer-14 >/dev/null 2>&1; then
  export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer-14)"
fi
unset _chop_root
