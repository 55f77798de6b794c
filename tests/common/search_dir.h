// A temporary folder for one `chop search` run in the end-to-end tests: the TOML written there,
// the command-line arguments that put the project under it, and readers for the result files.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/files.h"

namespace chop::testing {

struct SearchDir {
  std::filesystem::path dir;

  /// <temp>/chop_search_<name>_<pid>, emptied now and removed at the end of the test (the pid
  /// keeps test runs of several checkouts on one machine out of each other's studies).
  explicit SearchDir(const std::string& name)
      : dir(std::filesystem::temp_directory_path() /
            ("chop_search_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~SearchDir() { std::filesystem::remove_all(dir); }
  SearchDir(const SearchDir&) = delete;
  SearchDir& operator=(const SearchDir&) = delete;

  std::string write(const std::string& text, const std::string& file = "search.toml") {
    const std::string p = (dir / file).string();
    write_file_atomic(p, text);
    return p;
  }
  /// `search --config TOML` on 20,000 synthetic JSC rows, one worker, project under dir/out.
  std::string args(const std::string& toml, const std::string& project = "p") const {
    return "search --config " + toml + " --project-dir " + (dir / "out").string() + " --project " +
           project + " --dataset-size 20000 --num-workers 1";
  }
  std::string ckpts(const std::string& project = "p") const {
    return (dir / "out" / project / "software/search_ckpts").string();
  }
  nlohmann::json log(const std::string& project = "p") const {
    return nlohmann::json::parse(read_file(ckpts(project) + "/log.json"));
  }
};

}  // namespace chop::testing
