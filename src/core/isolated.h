// Runs a check that calls into a C library which may crash on hostile input (libhdf5 divides by a
// chunk dimension of 0 inside H5Dopen2, before any check of chop's can run) in a forked child, so
// that a crash there becomes a typed error naming the file instead of killing chop.
#pragma once

#include <functional>
#include <string>

namespace chop {

struct IsolatedOutcome {
  bool ok = false;    // the function returned normally (or fork failed and it was not run)
  std::string error;  // what a chop::Error thrown in the child said (ok false, signal 0)
  int signal = 0;     // the signal that ended the child; 0 when it exited
  /// "SIGFPE", "SIGSEGV", ... for messages.
  std::string signal_name() const;
};

/// Runs `fn` in a child process and reports how it ended. Only for checks whose result is "this
/// input is safe to read in-process": nothing the child computes comes back but the error text.
/// When the system cannot fork, `fn` is not run and the outcome is ok (the caller's in-process
/// read then runs unprotected, as it would without this check).
IsolatedOutcome run_isolated(const std::function<void()>& fn);

}  // namespace chop
