// MNIST (IDX) and CIFAR-10 (binary) loaders on the real files in shared/data, on copies the
// tests write (raw / gzip / renamed), and on truncated or corrupt files.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "data/registry.h"
#include "test_util.h"

namespace chop::data {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::shared_data;

bool have_mnist() {
  return fs::exists(shared_data("mnist/t10k-images-idx3-ubyte.gz"));
}
bool have_cifar() {
  return fs::exists(shared_data("cifar10/test_batch_first932.bin"));
}

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  char buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, n);
  gzclose(f);
  return out;
}

template <class E>
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Mnist, RealTestSetSplitsLikeMasePeer) {
  if (!have_mnist()) GTEST_SKIP() << "shared/data/mnist missing";
  DatasetOptions opt;
  opt.data_path = shared_data("mnist");
  Splits s = load_dataset("mnist", opt);
  EXPECT_EQ(s.train.size(), 8000);
  EXPECT_EQ(s.val.size(), 2000);
  EXPECT_TRUE(s.info.test_is_val);
  EXPECT_TRUE(at::equal(s.test.y, s.val.y));
  EXPECT_EQ(s.train.x.sizes(), (at::IntArrayRef{8000, 1, 28, 28}));
  EXPECT_EQ(s.info.input_shape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(s.train.y.narrow(0, 0, 10).sum().item<int64_t>(),
            7 + 2 + 1 + 0 + 4 + 1 + 4 + 9 + 5 + 9);
  at::Tensor counts = at::bincount(at::cat({s.train.y, s.val.y}), {}, 10);
  std::vector<int64_t> expected = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
  for (int c = 0; c < 10; ++c) EXPECT_EQ(counts[c].item<int64_t>(), expected[c]);
  // Normalisation equals numpy's (x/255 - 0.1307)/0.3081 in float32 (tools/data_golden.py).
  const auto& g = testing::golden();
  EXPECT_EQ(s.train.x[0].reshape({784})[202].item<float>(), g["mnist_x0_pixel_202"].get<float>());
  EXPECT_NEAR(s.train.x.narrow(0, 0, 100).to(at::kDouble).sum().item<double>(),
              g["mnist_x_sum_first100"].get<double>(), 1e-6 * 78400);
  // Pixel mean 33.79 (datasets.md §6) survives the round trip.
  double mean = at::cat({s.train.x, s.val.x}).mean().item<double>() * 0.3081 + 0.1307;
  EXPECT_NEAR(mean * 255, 33.79, 0.01);
}

TEST(Mnist, FlattenAndValidationSizeOptions) {
  if (!have_mnist()) GTEST_SKIP();
  DatasetOptions opt;
  opt.data_path = shared_data("mnist");
  opt.flatten = true;
  opt.n_val = 1000;
  Splits s = load_mnist(opt);
  EXPECT_EQ(s.train.x.sizes(), (at::IntArrayRef{9000, 784}));
  EXPECT_EQ(s.info.input_shape, (std::vector<int64_t>{784}));
  opt.n_val = 10000;
  EXPECT_THROW(load_mnist(opt), UserError);
}

TEST(Mnist, RawAndGzipGiveTheSameTensorsAndTrainFilesAreUsed) {
  if (!have_mnist()) GTEST_SKIP();
  ScratchDir dir;
  std::string images = gunzip(shared_data("mnist/t10k-images-idx3-ubyte.gz"));
  std::string labels = gunzip(shared_data("mnist/t10k-labels-idx1-ubyte.gz"));
  testing::write_bytes(dir / "t10k-images-idx3-ubyte", images);
  testing::write_bytes(dir / "t10k-labels-idx1-ubyte", labels);
  DatasetOptions opt;
  opt.data_path = dir.str();
  Splits raw = load_mnist(opt);
  opt.data_path = shared_data("mnist");
  Splits gz = load_mnist(opt);
  EXPECT_TRUE(at::equal(raw.train.x, gz.train.x));
  EXPECT_TRUE(at::equal(raw.val.y, gz.val.y));
  // With training files present: train/val come from them, test is the t10k file.
  testing::write_bytes(dir / "train-images-idx3-ubyte", images);
  testing::write_bytes(dir / "train-labels-idx1-ubyte", labels);
  opt.data_path = dir.str();
  opt.n_val = 500;
  Splits full = load_mnist(opt);
  EXPECT_FALSE(full.info.test_is_val);
  EXPECT_EQ(full.train.size(), 9500);
  EXPECT_EQ(full.val.size(), 500);
  EXPECT_EQ(full.test.size(), 10000);
}

TEST(Mnist, TruncatedCorruptAndMissingFilesAreDataErrors) {
  if (!have_mnist()) GTEST_SKIP();
  ScratchDir dir;
  std::string images = gunzip(shared_data("mnist/t10k-images-idx3-ubyte.gz"));
  std::string labels = gunzip(shared_data("mnist/t10k-labels-idx1-ubyte.gz"));
  DatasetOptions opt;
  opt.data_path = dir.str();

  std::string msg = error_of<DataError>([&] { load_mnist(opt); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte"), std::string::npos) << msg;

  testing::write_bytes(dir / "t10k-images-idx3-ubyte", images.substr(0, 5000));
  testing::write_bytes(dir / "t10k-labels-idx1-ubyte", labels);
  msg = error_of<DataError>([&] { load_mnist(opt); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte: truncated"), std::string::npos) << msg;

  std::string bad = images;
  bad[2] = 0x0D;  // float element type
  testing::write_bytes(dir / "t10k-images-idx3-ubyte", bad);
  msg = error_of<DataError>([&] { load_mnist(opt); });
  EXPECT_NE(msg.find("not unsigned byte"), std::string::npos) << msg;

  fs::remove(dir / "t10k-images-idx3-ubyte");
  std::string gz = read_file(shared_data("mnist/t10k-images-idx3-ubyte.gz"));
  testing::write_bytes(dir / "t10k-images-idx3-ubyte.gz", gz.substr(0, gz.size() / 2));
  msg = error_of<DataError>([&] { load_mnist(opt); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte.gz"), std::string::npos) << msg;

  fs::remove(dir / "t10k-images-idx3-ubyte.gz");
  testing::write_bytes(dir / "t10k-images-idx3-ubyte", images);
  testing::write_bytes(dir / "t10k-labels-idx1-ubyte",
                       labels.substr(0, 8) + std::string(10000, '\x0c'));
  msg = error_of<DataError>([&] { load_mnist(opt); });
  EXPECT_NE(msg.find("label 12 at index 0"), std::string::npos) << msg;

  opt.data_path = dir / "nope";
  msg = error_of<DataError>([&] { load_mnist(opt); });
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
}

TEST(Cifar10, RealFirst932TestImages) {
  if (!have_cifar()) GTEST_SKIP() << "shared/data/cifar10 missing";
  DatasetOptions opt;
  opt.data_path = shared_data("cifar10");
  Splits s = load_dataset("cifar10", opt);
  EXPECT_EQ(s.train.size() + s.val.size(), 932);
  EXPECT_EQ(s.val.size(), 186);  // round(0.2 * 932)
  EXPECT_TRUE(s.info.test_is_val);
  EXPECT_EQ(s.train.x.sizes(), (at::IntArrayRef{746, 3, 32, 32}));
  at::Tensor y = at::cat({s.train.y, s.val.y});
  std::vector<int64_t> hist = {97, 78, 94, 95, 85, 84, 105, 96, 98, 100};
  at::Tensor counts = at::bincount(y, {}, 10);
  for (int c = 0; c < 10; ++c) EXPECT_EQ(counts[c].item<int64_t>(), hist[c]);
  std::vector<int64_t> first = {3, 8, 8, 0, 6, 6, 1, 6};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i].item<int64_t>(), first[i]);
  EXPECT_EQ(y[931].item<int64_t>(), 2);
  EXPECT_EQ(s.info.class_names[3], "cat");
  // Undo the ImageNet normalisation: record 0's R[0:8], G[0], B[0] and pixel sum (datasets.md
  // §5.3).
  at::Tensor mean = at::tensor({0.485f, 0.456f, 0.406f}).reshape({3, 1, 1});
  at::Tensor stdv = at::tensor({0.229f, 0.224f, 0.225f}).reshape({3, 1, 1});
  at::Tensor pix = ((s.train.x[0] * stdv + mean) * 255).round();
  std::vector<float> r0 = {158, 159, 165, 166, 160, 156, 162, 159};
  for (int k = 0; k < 8; ++k) EXPECT_EQ(pix[0].reshape({1024})[k].item<float>(), r0[k]);
  EXPECT_EQ(pix[1].reshape({1024})[0].item<float>(), 112);
  EXPECT_EQ(pix[2].reshape({1024})[0].item<float>(), 49);
  EXPECT_EQ(pix.sum().item<float>(), 332962);
}

TEST(Cifar10, TrainingBatchesFileArgumentAndErrors) {
  if (!have_cifar()) GTEST_SKIP();
  ScratchDir dir;
  std::string bytes = read_file(shared_data("cifar10/test_batch_first932.bin"));
  testing::write_bytes(dir / "test_batch.bin", bytes);
  testing::write_bytes(dir / "data_batch_1.bin", bytes);
  DatasetOptions opt;
  opt.data_path = dir.str();
  opt.n_val = 100;
  Splits s = load_cifar10(opt);
  EXPECT_FALSE(s.info.test_is_val);
  EXPECT_EQ(s.train.size(), 832);
  EXPECT_EQ(s.val.size(), 100);
  EXPECT_EQ(s.test.size(), 932);
  opt.flatten = true;
  opt.data_path = dir / "test_batch.bin";  // a single file: test-only mode
  opt.n_val = -1;
  Splits f = load_cifar10(opt);
  EXPECT_EQ(f.train.x.sizes(), (at::IntArrayRef{746, 3072}));

  testing::write_bytes(dir / "test_batch.bin", bytes.substr(0, bytes.size() - 100));
  std::string msg = error_of<DataError>([&] { load_cifar10(opt); });
  EXPECT_NE(msg.find("test_batch.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3073-byte"), std::string::npos) << msg;

  std::string bad = bytes;
  bad[3073 * 5] = static_cast<char>(200);
  testing::write_bytes(dir / "test_batch.bin", bad);
  msg = error_of<DataError>([&] { load_cifar10(opt); });
  EXPECT_NE(msg.find("record 5 has label 200"), std::string::npos) << msg;

  ScratchDir empty_holder;
  opt.data_path = empty_holder.str();
  msg = error_of<DataError>([&] { load_cifar10(opt); });
  EXPECT_NE(msg.find("test_batch.bin"), std::string::npos) << msg;
}

}  // namespace
}  // namespace chop::data
