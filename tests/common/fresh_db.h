// A fresh SQLite study file for the storage tests: a path in this process's own temporary
// folder, with any file of that name (and its -wal/-shm companions) from an earlier run removed.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace chop::testing {

/// `<tmp>/<folder>_<pid>/<name>.db`, not existing yet.
inline std::string fresh_db(const std::string& folder, const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / (folder + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string p = (dir / (name + ".db")).string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix);
  return p;
}

}  // namespace chop::testing
