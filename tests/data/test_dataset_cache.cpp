// The data-set cache: a second load reads the file instead of building; the data are identical;
// a truncated or modified file is rebuilt (never trusted); the key follows the options, the
// seed and the contents of the files read; absent splits survive the round trip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/files.h"
#include "data/dataset_cache.h"
#include "data/registry.h"

namespace chop::data {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag)
      : path(fs::temp_directory_path() / ("chop_cache_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

void expect_same(const Splits& a, const Splits& b) {
  for (auto [x, y] : {std::pair{&a.train, &b.train}, {&a.val, &b.val}, {&a.test, &b.test}}) {
    ASSERT_EQ(x->x.defined(), y->x.defined());
    if (!x->x.defined()) continue;
    EXPECT_TRUE(at::equal(x->x, y->x));
    EXPECT_TRUE(at::equal(x->y, y->y));
  }
  EXPECT_EQ(a.info.name, b.info.name);
  EXPECT_EQ(a.info.input_shape, b.info.input_shape);
  EXPECT_EQ(a.info.n_classes, b.info.n_classes);
  EXPECT_EQ(a.info.class_names, b.info.class_names);
  EXPECT_EQ(a.info.feature_names, b.info.feature_names);
  EXPECT_EQ(a.info.source, b.info.source);
  EXPECT_EQ(a.info.split_note, b.info.split_note);
  EXPECT_EQ(a.info.test_is_val, b.info.test_is_val);
}

DatasetOptions jsc_options(int64_t rows) {
  DatasetOptions o;
  o.n_samples = rows;
  return o;
}

TEST(DatasetCache, SecondLoadReadsTheFileAndGivesTheSameData) {
  TempDir dir("read");
  const std::string key = dataset_cache_key("jsc", jsc_options(3000));
  int builds = 0;
  auto build = [&] {
    ++builds;
    return load_jsc(jsc_options(3000));
  };
  Splits first = load_with_cache(dir.path.string(), key, build);
  EXPECT_EQ(builds, 1);
  EXPECT_TRUE(fs::exists(dataset_cache_path(dir.path.string(), key)));
  Splits second = load_with_cache(dir.path.string(), key, build);
  EXPECT_EQ(builds, 1) << "the second load must come from the cache";
  expect_same(first, second);
  expect_same(load_jsc(jsc_options(3000)), second);
}

TEST(DatasetCache, CorruptFilesAreRebuiltNotTrusted) {
  TempDir dir("corrupt");
  const std::string key = dataset_cache_key("jsc", jsc_options(2000));
  int builds = 0;
  auto build = [&] {
    ++builds;
    return load_jsc(jsc_options(2000));
  };
  const Splits want = load_with_cache(dir.path.string(), key, build);
  const std::string path = dataset_cache_path(dir.path.string(), key);
  const std::string good = read_file(path);
  // One flipped byte in the data, a truncated file, a file of garbage, an empty file.
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  for (const std::string& bad :
       {flipped, good.substr(0, good.size() / 3), std::string(500, 'x'), std::string()}) {
    write_file_atomic(path, bad);
    const int before = builds;
    expect_same(load_with_cache(dir.path.string(), key, build), want);
    EXPECT_EQ(builds, before + 1) << "a corrupt cache must be rebuilt";
    EXPECT_EQ(read_file(path), good) << "and rewritten";
  }
  // A valid file written for another key at this path is not used either.
  const std::string other_key = dataset_cache_key("jsc", jsc_options(2500));
  load_with_cache(dir.path.string(), other_key, [] { return load_jsc(jsc_options(2500)); });
  write_file_atomic(path, read_file(dataset_cache_path(dir.path.string(), other_key)));
  const int before = builds;
  expect_same(load_with_cache(dir.path.string(), key, build), want);
  EXPECT_EQ(builds, before + 1);
}

TEST(DatasetCache, KeyFollowsOptionsSeedAndFileContents) {
  const std::string base = dataset_cache_key("jsc", jsc_options(1000));
  EXPECT_EQ(base, dataset_cache_key("jsc", jsc_options(1000)));
  EXPECT_NE(base, dataset_cache_key("jsc", jsc_options(1001)));
  DatasetOptions seeded = jsc_options(1000);
  seeded.seed = 7;
  EXPECT_NE(base, dataset_cache_key("jsc", seeded));
  EXPECT_NE(base, dataset_cache_key("mnist", jsc_options(1000)));
  TempDir dir("key");
  write_file_atomic((dir.path / "a.bin").string(), "first contents");
  DatasetOptions files;
  files.data_path = dir.path.string();
  const std::string k1 = dataset_cache_key("mnist", files);
  EXPECT_EQ(k1, dataset_cache_key("mnist", files));
  write_file_atomic((dir.path / "a.bin").string(), "other contents");
  EXPECT_NE(k1, dataset_cache_key("mnist", files)) << "the key must follow the file contents";
  EXPECT_NE(dataset_cache_path("d", k1),
            dataset_cache_path("d", dataset_cache_key("mnist", files)));
}

TEST(DatasetCache, RegistryUsesTheCacheOnlyWhenAsked) {
  TempDir dir("registry");
  ::setenv("CHOP_CACHE_DIR", dir.path.c_str(), 1);
  DatasetOptions o = jsc_options(1500);
  Splits plain = load_dataset("jsc", o);
  EXPECT_TRUE(fs::is_empty(dir.path)) << "the cache is the CLI's default, not the library's";
  o.use_cache = true;
  Splits a = load_dataset("jsc", o), b = load_dataset("jsc", o);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path / "datasets"), fs::directory_iterator()),
            1);
  expect_same(plain, a);
  expect_same(a, b);
  ::unsetenv("CHOP_CACHE_DIR");
}

}  // namespace
}  // namespace chop::data
