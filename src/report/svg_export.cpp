// Node-driven SVG export; see svg_export.h.
#include "report/svg_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "core/files.h"
#include "core/strings.h"
#include "report/assets.h"

namespace chop::report {
namespace {

namespace fs = std::filesystem;

bool executable(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// Runs argv with stdout and stderr into `log`; returns the exit status (-1: could not run).
int run_logged(const std::vector<std::string>& argv, const std::string& log) {
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    const int null_in = open("/dev/null", O_RDONLY);
    if (null_in >= 0) dup2(null_in, 0);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status)
                           : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string tail_lines(const std::string& text, size_t n) {
  std::vector<std::string> lines = split(trim(text), '\n');
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<long>(n));
  return join(lines, "\n");
}

}  // namespace

std::string find_node() {
  if (const char* env = std::getenv("CHOP_NODE"); env && *env) return env;
  const char* path = std::getenv("PATH");
  for (const auto& dir : split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':'))
    for (const char* name : {"node", "nodejs"}) {
      const std::string p = (dir.empty() ? "." : dir) + "/" + name;
      if (executable(p)) return p;
    }
  return "";
}

SvgExportResult export_svgs(const std::vector<SvgJob>& jobs, std::string node) {
  SvgExportResult r;
  if (jobs.empty()) {
    r.ok = true;
    return r;
  }
  if (node.empty()) node = find_node();
  if (node.empty() || !executable(node)) {
    r.message = "no SVG files: they are drawn by vega under node, and " +
                (node.empty() ? std::string("neither node nor nodejs is on PATH")
                              : "CHOP_NODE='" + node + "' is not an executable") +
                " (install Debian's nodejs, or set CHOP_NODE); the HTML report is complete "
                "and its charts can be saved as SVG from the browser (the ... menu)";
    return r;
  }
  char tmpl[] = "/tmp/chop-svg-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (!dir) {
    r.message = "no SVG files: cannot create a temporary folder in /tmp";
    return r;
  }
  const fs::path tmp(dir);
  try {
    write_file_atomic((tmp / "vega.min.js").string(), std::string(asset_text(Asset::kVega)));
    write_file_atomic((tmp / "vega-lite.min.js").string(),
                      std::string(asset_text(Asset::kVegaLite)));
    write_file_atomic((tmp / "render_svg.js").string(),
                      std::string(asset_text(Asset::kRenderSvgJs)));
    Json list = Json::array();
    for (const auto& j : jobs) {
      make_dirs(fs::path(j.path).parent_path().string());
      list.push_back({{"file", fs::absolute(j.path).string()}, {"spec", j.spec}});
    }
    write_file_atomic((tmp / "jobs.json").string(), list.dump());
    const std::string log = (tmp / "node.log").string();
    const int rc = run_logged(
        {node, (tmp / "render_svg.js").string(), tmp.string(), (tmp / "jobs.json").string()}, log);
    std::string output;
    try {
      output = read_file(log);
    } catch (const std::exception&) {
    }
    for (const auto& j : jobs)
      if (fs::exists(j.path)) r.written.push_back(j.path);
    if (rc == 0 && r.written.size() == jobs.size()) {
      r.ok = true;
    } else {
      r.message = "SVG export with " + node + " failed (exit " + std::to_string(rc) + ")" +
                  (output.empty() ? std::string() : ":\n" + tail_lines(output, 8));
    }
  } catch (const std::exception& e) {
    r.message = std::string("no SVG files: ") + e.what();
  }
  std::error_code ec;
  fs::remove_all(tmp, ec);
  return r;
}

}  // namespace chop::report
