// A forked test worker that says, through a pipe, when it has reached the point a test kills it
// at (mid-evaluation), however long a loaded machine or a sanitizer build takes to get there.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace chop::testing {

class ForkedWorker {
 public:
  /// Called by the child's body at the point the test waits for.
  using Reached = std::function<void()>;

  /// Forks; the child runs `body(reached)` and exits 0. Exceptions end the child quietly: it
  /// matters only until the test kills it or reads what it left behind.
  explicit ForkedWorker(const std::function<void(const Reached&)>& body) {
    int fds[2] = {-1, -1};
    if (pipe(fds) != 0) return;  // pid_ stays -1: wait_reached() reports false
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      const int out = fds[1];
      try {
        body([out] {
          if (write(out, "r", 1) != 1) _exit(1);
        });
      } catch (...) {
      }
      _exit(0);
    }
    close(fds[1]);
    reached_fd_ = fds[0];
  }
  ~ForkedWorker() {
    if (reached_fd_ >= 0) close(reached_fd_);
    kill_and_reap();  // a test that failed early leaves no orphan behind
  }
  ForkedWorker(const ForkedWorker&) = delete;
  ForkedWorker& operator=(const ForkedWorker&) = delete;

  /// True once the child has called reached(); false after `timeout_s` or if it exited first.
  bool wait_reached(int timeout_s = 120) {
    if (pid_ <= 0 || reached_fd_ < 0) return false;
    pollfd ready{reached_fd_, POLLIN, 0};
    char c = 0;
    return poll(&ready, 1, timeout_s * 1000) == 1 && read(reached_fd_, &c, 1) == 1;
  }
  pid_t pid() const { return pid_; }

  /// SIGKILL (a no-op if it is gone already) and wait for the child; safe to call twice.
  void kill_and_reap() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    reap();
  }
  /// Waits for the child to end (killed by someone else, or done).
  void reap() {
    if (pid_ <= 0) return;
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int reached_fd_ = -1;
};

}  // namespace chop::testing
