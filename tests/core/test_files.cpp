// Tests for core/files: atomic writes leave no temporaries behind.
#include "core/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "core/error.h"

namespace chop {

TEST(Files, AtomicWriteCreatesParentsAndNoTemp) {
  auto dir = std::filesystem::temp_directory_path() /
             ("chop_test_files_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::string path = (dir / "a" / "b.txt").string();
  write_file_atomic(path, "hello");
  EXPECT_EQ(read_file(path), "hello");
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "a")) (void)e, ++n;
  EXPECT_EQ(n, 1);
  std::filesystem::remove_all(dir);
}

TEST(Files, MissingFileIsDataError) {
  EXPECT_THROW(read_file("/nonexistent/chop/x"), DataError);
}

}  // namespace chop

namespace chop {

namespace fs = std::filesystem;

TEST(Files, ReadFileRefusesFoldersAndFifos) {
  auto dir = fs::temp_directory_path() / "chop_test_files_special";
  fs::remove_all(dir);
  fs::create_directories(dir);
  try {
    read_file(dir.string());
    FAIL() << "a folder must be refused";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("is a folder"), std::string::npos) << e.what();
  }
  const std::string fifo = (dir / "pipe").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    read_file(fifo);  // must not block waiting for a writer
    FAIL() << "a FIFO must be refused";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("FIFO"), std::string::npos) << e.what();
  }
  EXPECT_THROW(require_regular_file(fifo), DataError);
  EXPECT_THROW(require_regular_file(dir.string()), DataError);
  fs::remove_all(dir);
}

TEST(Files, StaleTemporariesOfDeadWritersAreRemoved) {
  auto dir = fs::temp_directory_path() / "chop_test_files_stale";
  fs::remove_all(dir);
  write_file_atomic((dir / "sub" / "best.json.tmp.2147483646").string(), "x");  // no such pid
  write_file_atomic((dir / ("log.json.tmp." + std::to_string(::getpid()))).string(), "x");
  write_file_atomic((dir / "notes.tmp.txt").string(), "x");
  write_file_atomic((dir / "study.db").string(), "x");
  EXPECT_EQ(remove_stale_temp_files(dir.string()), 1);
  EXPECT_FALSE(fs::exists(dir / "sub" / "best.json.tmp.2147483646"));
  EXPECT_TRUE(fs::exists(dir / ("log.json.tmp." + std::to_string(::getpid()))));
  EXPECT_TRUE(fs::exists(dir / "notes.tmp.txt"));
  EXPECT_TRUE(fs::exists(dir / "study.db"));
  fs::remove_all(dir);
}

TEST(Files, SafePathComponents) {
  for (const char* ok : {"p", "jsc-tiny_classification_jsc_2024-01-14", "a.b", "x y"})
    EXPECT_TRUE(is_safe_path_component(ok)) << ok;
  for (const std::string& bad :
       std::vector<std::string>{"", ".", "..", "a/b", "../x", "/abs", "-rf", "~", "a\\b", "a\nb",
                                std::string(256, 'a')})
    EXPECT_FALSE(is_safe_path_component(bad)) << bad;
  EXPECT_THROW(require_safe_path_component("..", "--project"), UserError);
}

}  // namespace chop
