// Signal handling for interrupt.h: the handler only sets a flag (async-signal-safe).
#include "core/interrupt.h"

#include <signal.h>

#include <csignal>

namespace chop {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt_signal(int sig) {
  if (g_interrupted) {  // second signal: the user insists, stop now
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_interrupted = 1;
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads and writes go on; loops poll the flag
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() {
  return g_interrupted != 0;
}

void request_interrupt() {
  g_interrupted = 1;
}

void clear_interrupt_request() {
  g_interrupted = 0;
}

}  // namespace chop
