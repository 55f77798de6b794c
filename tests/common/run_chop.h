// Runs the built `chop` binary for end-to-end tests and captures its exit code and output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace chop::testing {

struct ChopRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

/// `args` is appended to the chop path verbatim (quote paths yourself); runs in `cwd` if given,
/// under `wrapper` (e.g. "timeout -s TERM 5") if given.
inline ChopRun run_chop(const std::string& args, const std::string& cwd = "",
                        const std::string& wrapper = "") {
  std::string cmd = (cwd.empty() ? "" : "cd '" + cwd + "' && ") +
                    (wrapper.empty() ? "" : wrapper + " ") + std::string(CHOP_BINARY_DIR) +
                    "/chop " + args + " 2>&1 < /dev/null";
  ChopRun r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// True when the output looks like a crash rather than a clear message.
inline bool looks_like_crash(const std::string& out) {
  for (const char* s : {"terminate called", "Exception raised from", "frame #", "Segmentation",
                        "Aborted", "core dumped"})
    if (out.find(s) != std::string::npos) return true;
  return false;
}

}  // namespace chop::testing
