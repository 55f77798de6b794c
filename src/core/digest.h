// SHA-256 digests (OpenSSL's libcrypto) of bytes, files and folders: what a study records to
// recognise the checkpoint and model files it was searched with (strategy/study_definition.h).
#pragma once

#include <string>

namespace chop {

/// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(const std::string& bytes);

/// SHA-256 of a regular file, read in chunks (any size); of a folder, the digest of its regular
/// files' relative paths and digests in path order (a transform checkpoint folder). DataError
/// naming the path when it is missing, unreadable or neither a file nor a folder (a FIFO).
std::string sha256_of_path(const std::string& path);

}  // namespace chop
