// run_isolated: fork, run the check in the child, report its error text through a pipe and how it
// ended through its exit status.
#include "core/isolated.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.h"

namespace chop {

std::string IsolatedOutcome::signal_name() const {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

namespace {

void write_all(int fd, const std::string& text) {
  size_t at = 0;
  while (at < text.size()) {
    const ssize_t n = ::write(fd, text.data() + at, text.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    at += static_cast<size_t>(n);
  }
}

// Set by the sanitizer runtimes (libFuzzer registers its crash reporter there); absent otherwise.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/// In the child a crash is an answer, not a finding: die of the signal itself, without the
/// sanitizers' or libFuzzer's reports (which would also write crash files for the parent's input).
void die_quietly_on_crashes() {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (const int signal_number : {SIGFPE, SIGSEGV, SIGBUS, SIGILL, SIGABRT})
    ::sigaction(signal_number, &default_action, nullptr);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(nullptr);
}

constexpr int kExitRefused = 3;  // fn threw a chop::Error; its text is in the pipe
constexpr int kExitOther = 4;    // fn threw something else

}  // namespace

IsolatedOutcome run_isolated(const std::function<void()>& fn) {
  IsolatedOutcome outcome;
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    outcome.ok = true;
    return outcome;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    outcome.ok = true;
    return outcome;
  }
  if (child == 0) {
    // _exit everywhere: no atexit handlers, static destructors or leak checks of the parent's
    // state run in the child.
    ::close(pipe_fds[0]);
    die_quietly_on_crashes();
    try {
      fn();
      ::_exit(0);
    } catch (const Error& e) {
      write_all(pipe_fds[1], e.what());
      ::_exit(kExitRefused);
    } catch (const std::exception& e) {
      write_all(pipe_fds[1], e.what());
      ::_exit(kExitOther);
    } catch (...) {
      ::_exit(kExitOther);
    }
  }
  ::close(pipe_fds[1]);
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    outcome.error.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    outcome.ok = true;
  } else if (outcome.error.empty()) {
    outcome.error = "the check ended with exit status " + std::to_string(WEXITSTATUS(status));
  }
  return outcome;
}

}  // namespace chop
