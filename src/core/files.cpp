// Atomic file writes, bounded reads and safe names; see files.h.
#include "core/files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"

namespace chop {

namespace fs = std::filesystem;

namespace {

/// Why `st` is not a regular file, for messages; "" when it is one.
std::string not_regular_reason(const struct stat& st) {
  if (S_ISREG(st.st_mode)) return "";
  if (S_ISDIR(st.st_mode)) return "is a folder, not a file";
  if (S_ISFIFO(st.st_mode)) return "is a FIFO (named pipe), not a regular file; chop reads files";
  if (S_ISSOCK(st.st_mode)) return "is a socket, not a regular file";
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "is a device, not a regular file";
  return "is not a regular file";
}

/// Closes a file descriptor on scope exit.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string temp_path_for(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

void make_dirs(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw DataError(dir, "cannot create folder: " + ec.message());
}

void commit_temp(const std::string& tmp, const std::string& path) {
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw DataError(path, "cannot write: rename failed");
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  make_dirs(fs::path(path).parent_path().string());
  std::string tmp = temp_path_for(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw DataError(path, "cannot open for writing");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      out.close();
      std::error_code ec;
      fs::remove(tmp, ec);
      throw DataError(path, "write failed (disk full?)");
    }
  }
  commit_temp(tmp, path);
}

void require_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw DataError(path, errno == ENOENT ? "not found" : "cannot read (" + std::string(std::strerror(errno)) + ")");
  std::string why = not_regular_reason(st);
  if (!why.empty()) throw DataError(path, why);
}

std::string read_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check below refuses it.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) throw DataError(path, "not found (check the path)");
    if (errno == EISDIR) throw DataError(path, "is a folder, not a file");
    throw DataError(path, "cannot read (" + std::string(std::strerror(errno)) + ")");
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw DataError(path, "cannot read (fstat failed)");
  std::string why = not_regular_reason(st);
  if (!why.empty()) throw DataError(path, why);
  check_file_memory(path, static_cast<uint64_t>(st.st_size), "reading the file");
  ::fcntl(f.fd, F_SETFL, ::fcntl(f.fd, F_GETFL) & ~O_NONBLOCK);
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw DataError(path, "read failed (" + std::string(std::strerror(errno)) + ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    // A file that grows while read (a log being written) must not exceed the budget either.
    if (out.size() > static_cast<size_t>(st.st_size) + (1u << 20))
      check_file_memory(path, out.size(), "reading the (growing) file");
  }
  return out;
}

int remove_stale_temp_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  int removed = 0;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at == 0) continue;
    const std::string pid_text = name.substr(at + 5);
    auto pid = parse_int64(pid_text);
    if (!pid || *pid <= 0 || *pid > INT32_MAX || pid_text[0] == '+' || pid_text[0] == '-') continue;
    // The writer still runs (or the pid was reused: keep the file, it is harmless).
    if (::kill(static_cast<pid_t>(*pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    if (fs::remove(it->path(), rm)) {
      ++removed;
      log_info("removed " + it->path().string() + " (left by a killed run, process " + pid_text + ")");
    }
  }
  return removed;
}

bool is_safe_path_component(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  if (name[0] == '-' || name[0] == '~') return false;
  for (unsigned char c : name)
    if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) return false;
  return true;
}

void require_safe_path_component(const std::string& name, const std::string& what) {
  if (is_safe_path_component(name)) return;
  throw UserError(what + " '" + name + "' must be a single folder name (no '/', not '.' or '..', " +
                  "not empty, no control characters, not starting with '-' or '~', at most 255 " +
                  "bytes); chop writes only inside <project_dir>/<project>");
}

}  // namespace chop
