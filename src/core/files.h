// File helpers that never leave half-written output (write to a temporary, then rename), read only
// regular files within the memory budget, and keep user-chosen names inside their folder.
#pragma once

#include <string>

namespace chop {

/// Writes `content` to `path` atomically (temp file in the same folder + rename).
/// Throws DataError naming the path on failure; creates missing parent folders.
void write_file_atomic(const std::string& path, const std::string& content);

/// Reads a whole regular file; throws DataError naming the path when it is missing, unreadable,
/// a folder, a FIFO/device/socket (which would block or never end), or larger than the memory
/// budget (core/limits.h).
std::string read_file(const std::string& path);

/// DataError naming `path` unless it is an existing regular file (symbolic links followed).
/// For readers that hand the path to a library (HDF5, zlib, toml++) that would block on a FIFO.
void require_regular_file(const std::string& path);

/// A sibling temporary path for `path` ("<path>.tmp.<pid>"), for writers that stream.
std::string temp_path_for(const std::string& path);

/// Renames `tmp` onto `path` (atomic on POSIX); throws DataError on failure.
void commit_temp(const std::string& tmp, const std::string& path);

void make_dirs(const std::string& dir);

/// Removes "<name>.tmp.<pid>" files under `dir` (recursively) whose writer process no longer
/// exists — what a killed run leaves behind. Returns how many were removed.
int remove_stale_temp_files(const std::string& dir);

/// True when `name` is one safe path component: non-empty, at most 255 bytes, not "." or "..",
/// no '/', '\\', NUL or control characters, and not starting with '-' or '~'.
bool is_safe_path_component(const std::string& name);

/// UserError naming `what` (e.g. "--project", "setup.study_name") unless is_safe_path_component.
void require_safe_path_component(const std::string& name, const std::string& what);

}  // namespace chop
