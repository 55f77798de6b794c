// The data-set cache end to end: a second `chop search` on the built-in JSC reads the cache
// (the log says so) and gets the same trials and numbers; a corrupt cache file is rebuilt with a
// warning; --disable-dataset-cache neither reads nor writes it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "cli/quick_search_toml.h"
#include "common/run_chop.h"
#include "common/search_dir.h"
#include "core/files.h"

namespace chop {
namespace {

namespace fs = std::filesystem;

// tpe over jsc-tiny's Linear layers, accuracy alone, 1024 validation rows a trial.
std::string search_toml() {
  testing::SearchToml s;
  s.batch_size = 256;
  s.seed = 3;
  s.seeds = {{"linear", testing::integer_config("[2, 4, 8]", "[2, 8]")}};
  s.strategy_name = "optuna";
  s.num_samples = 1024;
  s.average_bitwidth = false;
  s.n_trials = 6;
  s.sampler = "tpe";
  return s.text();
}

std::string trials_of(const testing::SearchDir& d, const std::string& project = "p") {
  std::string out;
  const auto log = d.log(project);
  for (auto& [k, row] : log.items())
    out += row["user_attrs_sampled_config"].dump() + " " +
           row["user_attrs_software_metrics"].dump() + "\n";
  return out;
}

constexpr const char* kReadMessage = "read from the data-set cache";

TEST(CliDatasetCache, SecondSearchReadsTheCacheAndGetsTheSameNumbers) {
  testing::SearchDir d("dataset_cache");
  const fs::path cache = d.dir / "cache";
  ::setenv("CHOP_CACHE_DIR", cache.c_str(), 1);
  const std::string toml = d.write(search_toml());
  auto first = testing::run_chop(d.args(toml));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(first.output.find(kReadMessage), std::string::npos) << first.output;
  const std::string trials = trials_of(d);
  ASSERT_FALSE(trials.empty());
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(cache / "datasets")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);

  auto second = testing::run_chop(d.args(toml, "p2"));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find(kReadMessage), std::string::npos) << second.output;
  EXPECT_EQ(trials_of(d), trials);        // project p's log is unchanged...
  EXPECT_EQ(trials_of(d, "p2"), trials);  // ...and p2 found the same trials and numbers

  // A corrupt file is rebuilt (with a warning), not trusted.
  std::string bytes = read_file(files[0].string());
  bytes[bytes.size() / 2] ^= 0x5a;
  write_file_atomic(files[0].string(), bytes);
  auto third = testing::run_chop(d.args(toml, "p3"));
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_EQ(third.output.find(kReadMessage), std::string::npos) << third.output;
  EXPECT_NE(third.output.find("rebuilding it"), std::string::npos) << third.output;
  EXPECT_EQ(trials_of(d, "p3"), trials);
  EXPECT_NE(read_file(files[0].string()), bytes) << "the corrupt file is replaced";

  // --disable-dataset-cache: no read, no write.
  fs::remove_all(cache);
  auto off = testing::run_chop(d.args(toml, "p4") + " --disable-dataset-cache");
  ASSERT_EQ(off.exit_code, 0) << off.output;
  EXPECT_EQ(off.output.find(kReadMessage), std::string::npos);
  EXPECT_FALSE(fs::exists(cache / "datasets")) << "nothing written with the cache disabled";
  ::unsetenv("CHOP_CACHE_DIR");
}

}  // namespace
}  // namespace chop
