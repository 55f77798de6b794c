// Split views, batching, seeded shuffles (equal to torch.randperm), the registry, toy_tiny.
#include <gtest/gtest.h>

#include "core/error.h"
#include "data/dataset.h"
#include "data/registry.h"
#include "test_util.h"

namespace chop::data {
namespace {

using testing::golden;

TensorDataset iota_dataset(int64_t n) {
  at::Tensor x = at::arange(n * 3, at::kFloat).reshape({n, 3});
  at::Tensor y = at::arange(n, at::kLong);
  return {x, y};
}

std::vector<int64_t> to_vec(const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

TEST(TensorDataset, SliceIsAViewAndGatherPicksRows) {
  TensorDataset d = iota_dataset(10);
  TensorDataset s = d.slice(2, 5);
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(s.x.data_ptr<float>(), d.x.data_ptr<float>() + 6);  // no copy
  EXPECT_EQ(s.y[0].item<int64_t>(), 2);
  TensorDataset g = d.gather(at::tensor(std::vector<int64_t>{7, 1}, at::kLong));
  EXPECT_EQ(to_vec(g.y), (std::vector<int64_t>{7, 1}));
  EXPECT_EQ(g.x[0][2].item<float>(), 23.0f);
  TensorDataset img{at::zeros({4, 1, 2, 2}), at::zeros({4}, at::kLong)};
  EXPECT_EQ(img.flattened().x.sizes(), (at::IntArrayRef{4, 4}));
}

TEST(Batching, CountsAndNaturalOrder) {
  EXPECT_EQ(num_batches(10, 4), 3);
  EXPECT_EQ(num_batches(10, 4, true), 2);
  EXPECT_EQ(num_batches(8, 4), 2);
  TensorDataset d = iota_dataset(10);
  TensorDataset last = get_batch(d, at::Tensor(), 2, 4);
  EXPECT_EQ(last.size(), 2);
  EXPECT_EQ(to_vec(last.y), (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(last.x.data_ptr<float>(), d.x.data_ptr<float>() + 24);
}

TEST(Batching, ShuffledEpochCoversEveryRowOnce) {
  TensorDataset d = iota_dataset(103);
  Shuffler sh(3);
  at::Tensor order = sh.next(d.size());
  std::vector<int> seen(103, 0);
  for (int64_t b = 0; b < num_batches(103, 16); ++b) {
    TensorDataset batch = get_batch(d, order, b, 16);
    for (int64_t v : to_vec(batch.y)) seen[v]++;
    // x rows travel with their labels
    EXPECT_EQ(batch.x[0][0].item<float>(), 3.0f * batch.y[0].item<int64_t>());
  }
  for (int c : seen) EXPECT_EQ(c, 1);
}

TEST(Shuffler, EqualsTorchRandpermWithSeededGenerator) {
  Shuffler sh(7);
  auto expected = golden()["randperm10_seed7"];
  EXPECT_EQ(to_vec(sh.next(10)), expected[0].get<std::vector<int64_t>>());
  EXPECT_EQ(to_vec(sh.next(10)), expected[1].get<std::vector<int64_t>>());
  std::vector<int64_t> head = to_vec(shuffled_indices(100000, 0).narrow(0, 0, 8));
  EXPECT_EQ(head, golden()["randperm100000_seed0_head"].get<std::vector<int64_t>>());
}

TEST(Registry, ListsMaseDataSetsInOrder) {
  std::vector<std::string> names;
  for (const auto& e : dataset_registry()) {
    names.push_back(e.name);
    EXPECT_FALSE(e.description.empty());
    EXPECT_TRUE(static_cast<bool>(e.load));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"jsc", "mnist", "cifar10", "toy_tiny"}));
  EXPECT_EQ(find_dataset("Toy-Tiny").name, "toy_tiny");
  EXPECT_TRUE(find_dataset("mnist").needs_data_path);
  EXPECT_FALSE(find_dataset("jsc").needs_data_path);
}

TEST(Registry, TableForChopList) {
  Table t = dataset_table();
  ASSERT_EQ(t.rows.size(), 4u);
  EXPECT_EQ(t.rows[1][0], "mnist");
  EXPECT_NE(t.rows[1][2].find("required"), std::string::npos);
  EXPECT_EQ(t.rows[3][2], "not used");
  std::string text = t.render();
  EXPECT_NE(text.find("toy_tiny"), std::string::npos);
}

TEST(Registry, UnknownNameSuggests) {
  try {
    find_dataset("minst");
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'mnist'"), std::string::npos) << e.what();
  }
}

TEST(Registry, FileBackedSetWithoutDataPathSaysWhatToGive) {
  for (const char* name : {"mnist", "cifar10"}) {
    try {
      load_dataset(name, DatasetOptions{});
      FAIL() << "no error for " << name;
    } catch (const UserError& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("--data-path"), std::string::npos) << msg;
      EXPECT_NE(msg.find("data_path"), std::string::npos) << msg;
      EXPECT_NE(
          msg.find(std::string(name) == "mnist" ? "t10k-images-idx3-ubyte" : "test_batch.bin"),
          std::string::npos)
          << msg;
    }
  }
}

TEST(ToyTiny, MatchesMaseValues) {
  Splits s = load_dataset("toy_tiny", DatasetOptions{});
  EXPECT_EQ(s.info.input_shape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(s.info.n_classes, 2);
  const char* names[] = {"train", "val", "test"};
  const TensorDataset* parts[] = {&s.train, &s.val, &s.test};
  for (int k = 0; k < 3; ++k) {
    const TensorDataset& d = *parts[k];
    ASSERT_EQ(d.size(), 10240);
    EXPECT_EQ(d.x.sizes(), (at::IntArrayRef{10240, 1, 2, 2}));
    auto row = golden()[std::string("toy_") + names[k] + "_first_row"].get<std::vector<double>>();
    at::Tensor first = d.x[0].reshape({4});
    for (int j = 0; j < 4; ++j) EXPECT_EQ(first[j].item<float>(), static_cast<float>(row[j]));
    EXPECT_EQ(d.y.sum().item<int64_t>(),
              golden()[std::string("toy_") + names[k] + "_n_pos"].get<int64_t>());
  }
  DatasetOptions flat;
  flat.flatten = true;
  flat.n_samples = 100;
  Splits f = load_toy_tiny(flat);
  EXPECT_EQ(f.train.x.sizes(), (at::IntArrayRef{100, 4}));
  EXPECT_EQ(f.info.input_shape, (std::vector<int64_t>{4}));
}

}  // namespace
}  // namespace chop::data
