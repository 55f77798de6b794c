// Developer tool: writes a data set's splits as .npy (what `chop dataset export` will do), for
// tools/calibrate_jsc.py. Usage: data_export_tool NAME OUT_DIR [n_samples] [seed] [data_path]
#include <cstdio>
#include <string>

#include "core/error.h"
#include "data/npy.h"
#include "data/registry.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s NAME OUT_DIR [n_samples] [seed] [data_path]\n", argv[0]);
    return 2;
  }
  try {
    chop::data::DatasetOptions opt;
    if (argc > 3) opt.n_samples = std::stoll(argv[3]);
    if (argc > 4) opt.seed = std::stoll(argv[4]);
    if (argc > 5) opt.data_path = argv[5];
    chop::data::Splits s = chop::data::load_dataset(argv[1], opt);
    chop::data::export_npy(s, argv[2]);
    std::printf("%s: train %lld, val %lld, test %lld -> %s\n", s.info.name.c_str(),
                static_cast<long long>(s.train.size()), static_cast<long long>(s.val.size()),
                static_cast<long long>(s.test.size()), argv[2]);
  } catch (const chop::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return static_cast<int>(e.code());
  }
  return 0;
}
