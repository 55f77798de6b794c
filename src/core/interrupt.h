// Ctrl-C (SIGINT) and SIGTERM as a request to stop at the next safe point: training between
// steps, a search between trials. Finished work (checkpoints of finished epochs, finished
// trials) stays saved and the process exits 130, as MASE's `ch`. Signals within a second of the
// first are the same request (timeout(1) signals the process and then its group); a later
// second signal ends the process at once.
#pragma once

#include <string>

#include "core/error.h"

namespace chop {

/// Installs the handlers (the actions with safe points do: train, search). Without them,
/// signals keep their default action.
void install_interrupt_handlers();

/// True once SIGINT or SIGTERM arrived after install_interrupt_handlers().
bool interrupt_requested();

/// Sets the request as a signal would (tests; a "stop" command of a front end).
void request_interrupt();
void clear_interrupt_request();

/// The error that ends an interrupted run: exit code 130, `message` says what was saved.
class InterruptedError : public Error {
 public:
  explicit InterruptedError(const std::string& message)
      : Error(ExitCode::kInterrupted, "interrupted: " + message) {}
};

}  // namespace chop
