// Headless Chromium (Debian's `chromium`) for tests of pages: load a local file with the network
// off, wait for its scripts, and return the final DOM, the page's console messages and,
// optionally, a screenshot.
#pragma once

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace chop::testing {

/// $CHOP_CHROMIUM, else chromium / chromium-browser / google-chrome on PATH; "" if none.
inline std::string find_chromium() {
  if (const char* env = std::getenv("CHOP_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
      const std::string p = dir + "/" + name;
      if (access(p.c_str(), X_OK) == 0) return p;
    }
  return "";
}

struct BrowserPage {
  int exit_code = -1;
  std::string dom;                   // document.documentElement.outerHTML after the scripts
  std::vector<std::string> console;  // every console message and uncaught error of the page
  std::string log;                   // chromium's whole stderr
};

/// Loads `html_file` in headless Chromium with the network off (no proxy reachable, every host
/// unresolvable) and a fresh profile; `screenshot_png` also saves a full-width screenshot.
inline BrowserPage load_page(const std::string& html_file, const std::string& screenshot_png = "",
                             int window_height = 4000) {
  namespace fs = std::filesystem;
  const std::string chromium = find_chromium();
  BrowserPage page;
  if (chromium.empty()) {
    page.log = "chromium not found (bash scripts/setup.sh installs Debian's chromium)";
    return page;
  }
  const fs::path work = fs::temp_directory_path() / ("chop_chromium_" + std::to_string(getpid()) +
                                                     "_" + std::to_string(std::rand()));
  fs::create_directories(work);
  const std::string url = "file://" + fs::absolute(html_file).string();
  auto run = [&](const std::string& mode, const std::string& profile) {
    const std::string cmd =
        "'" + chromium +
        "' --headless --no-sandbox --disable-gpu --disable-quic "
        "--no-first-run --disable-background-networking --disable-component-update "
        "--disable-sync --disable-extensions --mute-audio --hide-scrollbars "
        "--proxy-server=127.0.0.1:9 --host-resolver-rules='MAP * ~NOTFOUND' "
        "--user-data-dir='" +
        (work / profile).string() +
        "' --enable-logging=stderr "
        "--virtual-time-budget=30000 --window-size=1400," +
        std::to_string(window_height) + " " + mode + " '" + url + "' 2>'" +
        (work / (profile + ".log")).string() + "'";
    std::string out;
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) return std::make_pair(-1, out);
    std::array<char, 65536> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
    const int status = pclose(pipe);
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
  };
  auto [rc, dom] = run("--dump-dom", "dom");
  page.exit_code = rc;
  page.dom = dom;
  {
    std::ifstream in(work / "dom.log");
    std::stringstream ss;
    ss << in.rdbuf();
    page.log = ss.str();
  }
  std::stringstream lines(page.log);
  std::string line;
  while (std::getline(lines, line))
    if (line.find(":CONSOLE") != std::string::npos) page.console.push_back(line);
  if (!screenshot_png.empty()) {
    fs::create_directories(fs::absolute(screenshot_png).parent_path());
    run("--screenshot='" + fs::absolute(screenshot_png).string() + "'", "shot");
  }
  std::error_code ec;
  fs::remove_all(work, ec);
  return page;
}

/// The opening <body ...> tag of a dumped DOM (where pages put their state attributes): the
/// last "<body" before `first_in_body`, an element the page has near the top of its body
/// (inlined scripts in the head may spell "<body" in their strings).
inline std::string body_tag(const std::string& dom, const std::string& first_in_body) {
  const size_t marker = dom.find(first_in_body);
  if (marker == std::string::npos) return "";
  const size_t b = dom.rfind("<body", marker);
  return b == std::string::npos ? "" : dom.substr(b, dom.find('>', b) - b + 1);
}

/// Occurrences of `needle` in `haystack`.
inline size_t count_of(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

/// The element whose opening tag contains `marker` (e.g. class="... trials_marks"), as text up
/// to its matching close tag; "" if absent. For counting marks inside one SVG group.
inline std::string element_with(const std::string& dom, const std::string& marker) {
  const size_t m = dom.find(marker);
  if (m == std::string::npos) return "";
  const size_t start = dom.rfind('<', m);
  const size_t name_end = dom.find_first_of(" >", start + 1);
  const std::string name = dom.substr(start + 1, name_end - start - 1);
  int depth = 0;
  for (size_t p = start; p < dom.size();) {
    const size_t open = dom.find("<" + name, p);
    const size_t close = dom.find("</" + name + ">", p);
    if (close == std::string::npos) return "";
    if (open != std::string::npos && open < close) {
      const char after = dom[open + 1 + name.size()];
      if (after == ' ' || after == '>') ++depth;
      p = open + 1;
    } else {
      if (--depth == 0) return dom.substr(start, close + name.size() + 3 - start);
      p = close + 1;
    }
  }
  return "";
}

}  // namespace chop::testing
