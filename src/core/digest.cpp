// SHA-256 digests; see digest.h.
#include "core/digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "core/error.h"

namespace chop {
namespace {

namespace fs = std::filesystem;

// One running SHA-256 (EVP: the interface OpenSSL 3 keeps).
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    CHOP_ASSERT(ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1,
                "OpenSSL cannot start a SHA-256 digest");
  }
  void add(const char* data, size_t n) {
    CHOP_ASSERT(EVP_DigestUpdate(ctx_.get(), data, n) == 1, "SHA-256 update failed");
  }
  std::string hex() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    CHOP_ASSERT(EVP_DigestFinal_ex(ctx_.get(), out, &n) == 1, "SHA-256 final failed");
    std::string s;
    char buf[3];
    for (unsigned int k = 0; k < n; ++k) {
      std::snprintf(buf, sizeof buf, "%02x", out[k]);
      s += buf;
    }
    return s;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, "cannot be read (to compute its SHA-256 digest)");
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) h.add(buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw DataError(path, "read error while computing its SHA-256 digest");
  return h.hex();
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  Sha256 h;
  h.add(bytes.data(), bytes.size());
  return h.hex();
}

std::string sha256_of_path(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw DataError(path, "does not exist");
  if (fs::is_regular_file(st)) return sha256_file(path);
  if (!fs::is_directory(st))
    throw DataError(path, "is neither a regular file nor a folder (a FIFO or device?)");
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->is_regular_file()) files.push_back(fs::relative(it->path(), path).generic_string());
  if (ec) throw DataError(path, "cannot be listed: " + ec.message());
  std::sort(files.begin(), files.end());
  Sha256 h;
  for (const auto& rel : files) {
    const std::string line = rel + '\0' + sha256_file(path + "/" + rel) + '\n';
    h.add(line.data(), line.size());
  }
  return h.hex();
}

}  // namespace chop
