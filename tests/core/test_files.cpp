// Tests for core/files: atomic writes leave no temporaries behind.
#include "core/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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
