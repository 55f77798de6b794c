// libFuzzer driver for the reader table (readers.h). CHOP_FUZZ_READER picks the row; each input is
// written as that row's files in a private folder and read. A typed chop::Error (other than an
// internal one) is the expected way to refuse a bad file; any other exception, an internal error,
// a crash, a sanitizer report or an allocation over the limit is a finding. CHOP_FUZZ_VERBOSE=1
// prints what happened to each input (to check that seeds are read, not refused).
#include <ATen/Parallel.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.h"
#include "core/log.h"
#include "fuzz/readers.h"

namespace {

const chop::fuzz::FuzzReader* g_reader = nullptr;
std::string g_dir;

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "chop-fuzz finding (%s): %s\n", g_reader->name.c_str(), what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const char* name = std::getenv("CHOP_FUZZ_READER");
  if (std::getenv("CHOP_FUZZ_LIST") || !name) {
    for (const auto& r : chop::fuzz::fuzz_readers())
      std::printf("%-18s %8u  %s\n", r.name.c_str(), r.ci_runs, r.summary.c_str());
    if (!name && !std::getenv("CHOP_FUZZ_LIST"))
      std::fprintf(stderr, "set CHOP_FUZZ_READER to one of the readers above\n");
    std::exit(name ? 0 : 2);
  }
  g_reader = chop::fuzz::find_fuzz_reader(name);
  if (!g_reader) {
    std::fprintf(stderr, "unknown CHOP_FUZZ_READER '%s'\n", name);
    std::exit(2);
  }
  // Readers must refuse sizes over the budget before allocating; the fuzzer's -malloc_limit_mb
  // (scripts/fuzz.sh) sits above this budget, so any bigger allocation is a finding.
  setenv("CHOP_MAX_MEMORY_MB", "256", 0);
  chop::set_log_level(chop::LogLevel::kCritical);
  at::set_num_threads(1);  // inputs are tiny; one thread keeps runs fast and reproducible
  const char* base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  g_dir = std::string(base) + "/chop-fuzz-" + g_reader->name + "-" + std::to_string(getpid());
  std::filesystem::create_directories(g_dir);
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string sep = chop::fuzz::kFileSeparator;
  size_t pos = 0;
  for (const std::string& file : g_reader->files) {
    size_t end = input.find(sep, pos);
    std::string part =
        pos <= input.size()
            ? input.substr(pos, end == std::string::npos ? std::string::npos : end - pos)
            : "";
    pos = end == std::string::npos ? input.size() + 1 : end + sep.size();
    std::ofstream(g_dir + "/" + file, std::ios::binary | std::ios::trunc) << part;
  }
  static const bool verbose = std::getenv("CHOP_FUZZ_VERBOSE") != nullptr;
  try {
    g_reader->read(g_dir);
    if (verbose) std::fprintf(stderr, "chop-fuzz: read\n");
  } catch (const chop::InternalError& e) {
    finding(std::string("internal error: ") + e.what());
  } catch (const chop::Error& e) {
    // refused with a typed error naming the file: what a user should see
    if (verbose) std::fprintf(stderr, "chop-fuzz: refused: %s\n", e.what());
  } catch (const std::bad_alloc&) {
    finding("std::bad_alloc (an allocation the reader did not bound)");
  } catch (const std::exception& e) {
    finding(std::string("untyped exception (the CLI would exit 70): ") + e.what());
  }
  return 0;
}
