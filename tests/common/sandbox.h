// A private folder for must-fail end-to-end tests: runs chop inside it, and checks that a refused
// command printed exactly one "error:" line naming the culprit, exited with the expected code,
// did not crash, and wrote nothing outside the project folder <sandbox>/out/p.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "common/run_chop.h"
#include "core/files.h"

namespace chop::testing {

struct Sandbox {
  std::filesystem::path dir;

  explicit Sandbox(const std::string& name)
      : dir(std::filesystem::temp_directory_path() /
            ("chop_sandbox_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "out");
  }
  ~Sandbox() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  std::string path(const std::string& rel) const { return (dir / rel).string(); }
  std::string write(const std::string& rel, const std::string& bytes) const {
    write_file_atomic(path(rel), bytes);
    return path(rel);
  }
  /// --project-dir <sandbox>/out --project p
  std::string project(const std::string& name = "p") const {
    return "--project-dir '" + path("out") + "' --project " + name;
  }
  std::string project_folder(const std::string& name = "p") const { return path("out/" + name); }

  /// Every path under the sandbox and, for escapes through "..", its parent's entries named
  /// like the sandbox's siblings would be.
  std::set<std::string> snapshot() const {
    std::set<std::string> out;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir))
      out.insert(e.path().string());
    return out;
  }
};

/// Runs `args` in the sandbox and checks the refusal: exit code `code`, one "error:" line that
/// contains `mention`, no crash output, and no new file outside <sandbox>/out/p.
inline ChopRun expect_refused(const Sandbox& sb, const std::string& args, int code,
                              const std::string& mention) {
  const auto before = sb.snapshot();
  const auto parent_before = std::filesystem::exists(sb.dir.parent_path() / "escape");
  ChopRun r = run_chop(args, sb.dir.string());
  EXPECT_EQ(r.exit_code, code) << args << "\n" << r.output;
  int error_lines = 0;
  std::string error_line;
  size_t pos = 0;
  while (pos < r.output.size()) {
    size_t end = r.output.find('\n', pos);
    if (end == std::string::npos) end = r.output.size();
    const std::string line = r.output.substr(pos, end - pos);
    if (line.rfind("error: ", 0) == 0) ++error_lines, error_line = line;
    pos = end + 1;
  }
  EXPECT_EQ(error_lines, 1) << args << "\n" << r.output;
  EXPECT_NE(error_line.find(mention), std::string::npos)
      << "the error line should name '" << mention << "': " << error_line << "\n" << r.output;
  EXPECT_FALSE(looks_like_crash(r.output)) << r.output;
  const std::string inside = sb.project_folder();
  for (const auto& p : sb.snapshot())
    if (!before.count(p) && p.rfind(inside, 0) != 0 && p != sb.path("out"))
      ADD_FAILURE() << args << " wrote " << p << " outside the project folder " << inside;
  EXPECT_EQ(std::filesystem::exists(sb.dir.parent_path() / "escape"), parent_before)
      << args << " wrote outside the sandbox";
  return r;
}

}  // namespace chop::testing
