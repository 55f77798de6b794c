// A `chop` process running in the background for end-to-end tests (a search a dashboard
// watches, a server): its output goes to a file the test polls; Ctrl-C (SIGINT) ends it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace chop::testing {

class BackgroundChop {
 public:
  /// Starts `chop ARGS` (exec'd, so signals reach chop itself) with output into `out_path`.
  BackgroundChop(const std::string& args, std::string out_path) : out_(std::move(out_path)) {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string cmd = "exec " + std::string(CHOP_BINARY_DIR) + "/chop " + args + " > '" +
                              out_ + "' 2>&1 < /dev/null";
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~BackgroundChop() {
    if (running()) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  BackgroundChop(const BackgroundChop&) = delete;
  BackgroundChop& operator=(const BackgroundChop&) = delete;

  std::string output() const {
    std::ifstream in(out_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  /// Waits until the output contains `text` (true) or `timeout_s` passes or chop exits (false).
  bool wait_for(const std::string& text, double timeout_s) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < end) {
      if (output().find(text) != std::string::npos) return true;
      if (!running()) return output().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  bool running() {
    if (exited_) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    return true;
  }
  /// Ctrl-C, then waits for the exit; returns the exit code.
  int interrupt() {
    if (running()) kill(pid_, SIGINT);
    return wait();
  }
  int wait() {
    if (!exited_) {
      int status = 0;
      waitpid(pid_, &status, 0);
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return exit_code_;
  }

 private:
  std::string out_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

}  // namespace chop::testing
