// File helpers that never leave half-written output: write to a temporary, then rename.
#pragma once

#include <string>

namespace chop {

/// Writes `content` to `path` atomically (temp file in the same folder + rename).
/// Throws DataError naming the path on failure; creates missing parent folders.
void write_file_atomic(const std::string& path, const std::string& content);

/// Reads a whole file; throws DataError("...: cannot read") naming the path.
std::string read_file(const std::string& path);

/// A sibling temporary path for `path` ("<path>.tmp.<pid>"), for writers that stream.
std::string temp_path_for(const std::string& path);

/// Renames `tmp` onto `path` (atomic on POSIX); throws DataError on failure.
void commit_temp(const std::string& tmp, const std::string& path);

void make_dirs(const std::string& dir);

}  // namespace chop
