// Signal handling for interrupt.h: the handler only sets a flag (async-signal-safe).
#include "core/interrupt.h"

#include <signal.h>
#include <time.h>

#include <csignal>

namespace chop {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
// CLOCK_MONOTONIC milliseconds of the first signal (clock_gettime is async-signal-safe).
volatile std::sig_atomic_t g_first_ms = 0;

// Signals within this window of the first are the same request: timeout(1) and process
// managers signal the process and then its whole group, and a terminal's Ctrl-C reaches every
// process of the foreground group. Only a signal after the window means "stop now".
constexpr long kCoalesceMs = 1000;

long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  // Wraps every ~24 days in a 32-bit sig_atomic_t; only differences within seconds matter.
  return static_cast<long>(ts.tv_sec % 2000000) * 1000 + ts.tv_nsec / 1000000;
}

extern "C" void on_interrupt_signal(int sig) {
  const long t = now_ms();
  if (g_interrupted) {
    const long since = t - static_cast<long>(g_first_ms);
    if (since >= 0 && since < kCoalesceMs) return;  // the same request, delivered twice
    // A later signal: the user insists, stop now.
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_first_ms = static_cast<std::sig_atomic_t>(t);
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
