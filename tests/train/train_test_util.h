// Shared helpers for the train tests: small data sets and state-dict comparisons.
#pragma once

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "data/dataset.h"
#include "graph/graph.h"

namespace chop::train::testing {

/// Linearly separable-ish 5-class data: x ~ N(0,1)^16, y = argmax(x W + noise).
inline data::Splits small_splits(int64_t n_train, int64_t n_val, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor w = at::randn({16, 5}, gen);  // one labelling rule for every split
  auto make = [&](int64_t n) {
    at::Tensor x = at::randn({n, 16}, gen);
    at::Tensor y = (at::matmul(x, w) + 0.3 * at::randn({n, 5}, gen)).argmax(1);
    return data::TensorDataset{x, y};
  };
  data::Splits s;
  s.train = make(n_train);
  s.val = make(n_val);
  s.info.name = "small";
  s.info.input_shape = {16};
  s.info.n_classes = 5;
  return s;
}

inline void expect_same_state(const graph::Graph& a, const graph::Graph& b) {
  auto sa = a.state_dict(), sb = b.state_dict();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].first, sb[i].first);
    EXPECT_TRUE(at::equal(sa[i].second, sb[i].second)) << sa[i].first;
  }
}

/// A fresh empty folder under the system temp dir, removed when the object dies.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& tag) {
    path = (std::filesystem::temp_directory_path() /
            ("chop_train_" + tag + "_" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace chop::train::testing
