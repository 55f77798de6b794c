// The fuzzed file readers: one row per reader of a user-supplied file (fuzz/readers.cpp). The
// libFuzzer driver (fuzz_main.cpp) writes each input as the row's files and calls `read`; adding a
// reader (e.g. ONNX) is one row plus a seed folder fuzz/corpus/<name>/.
#pragma once

#include <string>
#include <vector>

namespace chop::fuzz {

struct FuzzReader {
  std::string name;     // "checkpoint"; also the corpus folder fuzz/corpus/<name>
  std::string summary;  // what the row exercises
  /// The files one input becomes, in a fresh folder: the input is split at kFileSeparator
  /// (missing parts are empty files; surplus ones are dropped).
  std::vector<std::string> files;
  /// Reads what was written; `dir` holds `files`. Returning or throwing chop::Error is success
  /// (the file was read or refused with a typed error); anything else is a finding.
  void (*read)(const std::string& dir);
  /// Inputs the CI fuzzing stage runs, from the committed seeds with a fixed libFuzzer seed
  /// (scripts/fuzz.sh without a time): about 40 s of this reader under ASan on the idle 2-core
  /// build machine (two readers at a time), so CI checks the same inputs every time for the same
  /// build.
  unsigned ci_runs;
};

/// Between the files of one input (multi-file readers: folders, IDX images + labels).
constexpr const char* kFileSeparator = "\n--chop-fuzz-next-file--\n";

const std::vector<FuzzReader>& fuzz_readers();
/// Null when unknown.
const FuzzReader* find_fuzz_reader(const std::string& name);

}  // namespace chop::fuzz
