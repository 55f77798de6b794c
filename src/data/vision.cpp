// Image data sets from their official files: MNIST (IDX, raw or gzip) and CIFAR-10 (binary
// record format). Both fall back to a documented split of the test file when only it is present.
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "core/limits.h"
#include "core/strings.h"
#include "data/registry.h"

namespace chop::data {

namespace fs = std::filesystem;

namespace {

std::string graph_dims(const std::vector<int64_t>& dims) {
  std::string out;
  for (int64_t d : dims) out += (out.empty() ? "" : " x ") + std::to_string(d);
  return out;
}

/// Up to `max_bytes` of a file through zlib: gzip is inflated, anything else is read as-is.
/// Sets *more when the (inflated) stream has bytes beyond max_bytes. Inflating never goes past
/// the limit, so a small gzip of zeros cannot expand into gigabytes.
std::string read_maybe_gzip(const std::string& path, uint64_t max_bytes, bool* more) {
  require_regular_file(path);
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw DataError(path, "cannot open (missing file or no permission)");
  std::string out;
  char buf[1 << 16];
  int n = 0;
  *more = false;
  while (out.size() < max_bytes) {
    const uint64_t want = std::min<uint64_t>(sizeof(buf), max_bytes - out.size());
    n = gzread(f, buf, static_cast<unsigned>(want));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (n >= 0 && out.size() >= max_bytes) *more = gzread(f, buf, 1) > 0;
  int err = Z_OK;
  const char* msg = gzerror(f, &err);
  std::string what = msg ? msg : "";
  gzclose(f);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) {
    throw DataError(path, "corrupt or truncated gzip stream (" + what + ")");
  }
  return out;
}

uint32_t be32(const std::string& b, size_t off) {
  return (uint32_t(uint8_t(b[off])) << 24) | (uint32_t(uint8_t(b[off + 1])) << 16) |
         (uint32_t(uint8_t(b[off + 2])) << 8) | uint32_t(uint8_t(b[off + 3]));
}

/// An IDX file of unsigned bytes: dims and the payload. Checks magic, rank and exact size.
struct Idx {
  std::vector<int64_t> dims;
  std::string bytes;
  size_t offset = 0;
};

/// `float_bytes_per_element`: what the caller allocates per payload byte (images become
/// float32), so the memory check covers the tensors built from the file, not only the file.
Idx read_idx(const std::string& path, int expect_rank, uint64_t float_bytes_per_element) {
  Idx idx;
  bool more = false;
  // The header first; its dimensions bound how much of the (maybe compressed) file is read.
  const std::string head = read_maybe_gzip(path, 4 + 4 * 4, &more);
  if (head.size() < 4 || head[0] != 0 || head[1] != 0) {
    throw DataError(path, "not an IDX file (bad magic; expected 00 00 08 0" +
                              std::to_string(expect_rank) + ")");
  }
  if (uint8_t(head[2]) != 0x08) throw DataError(path, "IDX element type is not unsigned byte (0x08)");
  int rank = uint8_t(head[3]);
  if (rank != expect_rank) {
    throw DataError(
        path, "IDX rank " + std::to_string(rank) + ", expected " + std::to_string(expect_rank));
  }
  idx.offset = 4 + 4 * static_cast<size_t>(rank);
  if (head.size() < idx.offset) throw DataError(path, "truncated IDX header");
  for (int i = 0; i < rank; ++i) idx.dims.push_back(be32(head, 4 + 4 * i));
  auto count = element_count(idx.dims);
  auto expected = count ? checked_add(*count, idx.offset) : std::nullopt;
  check_file_memory(path, count ? checked_mul(*count, 1 + float_bytes_per_element) : std::nullopt,
                    "the IDX data its header declares (" + graph_dims(idx.dims) + ")");
  idx.bytes = read_maybe_gzip(path, *expected, &more);
  const std::string& b = idx.bytes;
  if (more || b.size() != *expected) {
    throw DataError(path, std::string(more ? "trailing bytes" : "truncated") + ": header promises " +
                              std::to_string(*expected) + " B, file has " +
                              (more ? "more" : std::to_string(b.size()) + " B"));
  }
  return idx;
}

std::string find_file(const fs::path& dir, const std::string& stem) {
  for (const std::string& name : {stem, stem + ".gz"}) {
    if (fs::exists(dir / name)) return (dir / name).string();
  }
  return "";
}

/// Images [n,1,28,28] float32 normalised as mase_peer.py: (x/255 - 0.1307) / 0.3081, in float32.
TensorDataset read_mnist_pair(const std::string& images, const std::string& labels) {
  Idx xi = read_idx(images, 3, sizeof(float));
  Idx yi = read_idx(labels, 1, sizeof(int64_t));
  int64_t n = xi.dims[0];
  if (xi.dims[1] != 28 || xi.dims[2] != 28) {
    throw DataError(images, "images are " + std::to_string(xi.dims[1]) + "x" +
                                std::to_string(xi.dims[2]) + ", expected 28x28");
  }
  if (yi.dims[0] != n) {
    throw DataError(labels, std::to_string(yi.dims[0]) + " labels for " + std::to_string(n) +
                                " images in " + images);
  }
  at::Tensor x = at::empty({n, 1, 28, 28}, at::kFloat);
  at::Tensor y = at::empty({n}, at::kLong);
  float* xp = x.data_ptr<float>();
  const auto* src = reinterpret_cast<const uint8_t*>(xi.bytes.data() + xi.offset);
  for (int64_t i = 0; i < n * 784; ++i) xp[i] = (float(src[i]) / 255.0f - 0.1307f) / 0.3081f;
  const auto* lab = reinterpret_cast<const uint8_t*>(yi.bytes.data() + yi.offset);
  int64_t* yp = y.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    if (lab[i] > 9) {
      throw DataError(labels, "label " + std::to_string(lab[i]) + " at index " + std::to_string(i) +
                                  " is not a digit 0-9");
    }
    yp[i] = lab[i];
  }
  return {x, y};
}

/// Train/val from the training files when present, else a split of the test file (test aliases
/// validation). `n_val_full` is the default validation size carved from real training files.
void split_train_val_test(Splits& s, TensorDataset train_all, TensorDataset test, bool have_train,
                          int64_t n_val_opt, int64_t n_val_full, const std::string& what,
                          const std::string& source) {
  int64_t n = have_train ? train_all.size() : test.size();
  const std::string from = have_train ? "the training files" : "the test file";
  if (n < 2)
    throw DataError(source, what + ": " + from + " hold " + std::to_string(n) +
                                " image(s); at least 2 are needed (one to train, one to validate)");
  int64_t n_val = n_val_opt >= 0
                      ? n_val_opt
                      : (have_train ? n_val_full : static_cast<int64_t>(std::llround(0.2 * n)));
  if (n_val_opt < 0 && !have_train) n_val = std::clamp<int64_t>(n_val, 1, n - 1);
  if (n_val <= 0 || n_val >= n) {
    throw UserError(what + ": " + from + " hold " + std::to_string(n) + " images, so " +
                    (n_val_opt >= 0 ? "--val-size" : "the default validation size") + " " +
                    std::to_string(n_val) + " does not fit; give --val-size between 1 and " +
                    std::to_string(n - 1));
  }
  if (have_train) {
    s.train = train_all.slice(0, n - n_val);
    s.val = train_all.slice(n - n_val, n);
    s.test = test;
    s.info.split_note = "train = first " + with_thousands(n - n_val) +
                        " rows of the training files, val = last " + with_thousands(n_val) +
                        ", test = the official test file";
  } else {
    s.train = test.slice(0, n - n_val);
    s.val = test.slice(n - n_val, n);
    s.test = s.val;
    s.info.test_is_val = true;
    s.info.split_note = "only the test file is present: train = its first " +
                        with_thousands(n - n_val) + " rows, val = its last " +
                        with_thousands(n_val) + " (x[:-n_val], x[-n_val:] as mase_peer.py); " +
                        "test aliases val";
  }
}

void flatten_all(Splits& s) {
  s.train = s.train.flattened();
  s.val = s.val.flattened();
  s.test = s.test.flattened();
  s.info.input_shape = {s.info.n_features()};
}

fs::path existing_dir(const std::string& data_path, const std::string& what) {
  fs::path p(data_path);
  if (!fs::exists(p)) throw DataError(data_path, what + ": --data-path does not exist");
  return p;
}

}  // namespace

Splits load_mnist(const DatasetOptions& options) {
  fs::path dir = existing_dir(options.data_path, "mnist");
  if (!fs::is_directory(dir))
    throw DataError(options.data_path, "mnist: --data-path must be a folder");
  std::string test_x = find_file(dir, "t10k-images-idx3-ubyte");
  std::string test_y = find_file(dir, "t10k-labels-idx1-ubyte");
  std::string train_x = find_file(dir, "train-images-idx3-ubyte");
  std::string train_y = find_file(dir, "train-labels-idx1-ubyte");
  if (test_x.empty() || test_y.empty()) {
    throw DataError(options.data_path,
                    "no MNIST test files: looked for t10k-images-idx3-ubyte[.gz] and "
                    "t10k-labels-idx1-ubyte[.gz] in this folder");
  }
  bool have_train = !train_x.empty() && !train_y.empty();
  Splits s;
  TensorDataset test = read_mnist_pair(test_x, test_y);
  TensorDataset train_all = have_train ? read_mnist_pair(train_x, train_y) : TensorDataset{};
  s.info.name = "mnist";
  s.info.input_shape = {1, 28, 28};
  s.info.n_classes = 10;
  s.info.class_names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  s.info.source = have_train ? train_x + ", " + test_x : test_x;
  split_train_val_test(s, train_all, test, have_train, options.n_val, 5000, "mnist",
                       have_train ? train_x : test_x);
  if (options.flatten) flatten_all(s);
  return s;
}

// ---- CIFAR-10 ---------------------------------------------------------------------------------

namespace {

constexpr int64_t kCifarRecord = 3073;  // 1 label byte + 3 x 32 x 32 pixel bytes

/// One binary batch: float32 [n,3,32,32], ToTensor then ImageNet mean/std as MASE's transform.
TensorDataset read_cifar_bin(const std::string& path) {
  // The raw file only: a compressed one would need inflating, which a record count cannot bound.
  std::string bytes = chop::read_file(path);
  const auto size = static_cast<int64_t>(bytes.size());
  if (size >= 2 && uint8_t(bytes[0]) == 0x1f && uint8_t(bytes[1]) == 0x8b)
    throw DataError(path, "is gzip-compressed; give the raw CIFAR-10 .bin (gunzip it first)");
  if (size == 0 || size % kCifarRecord != 0) {
    throw DataError(path, "size " + std::to_string(size) + " B is not a whole number of " +
                              "3073-byte CIFAR-10 records (" + std::to_string(size / kCifarRecord) +
                              " records + " + std::to_string(size % kCifarRecord) +
                              " B): truncated or not the binary version");
  }
  check_file_memory(path, checked_mul(static_cast<uint64_t>(size), sizeof(float)),
                    "the images of this CIFAR-10 file as float32");
  int64_t n = size / kCifarRecord;
  static const float kMean[3] = {0.485f, 0.456f, 0.406f};
  static const float kStd[3] = {0.229f, 0.224f, 0.225f};
  at::Tensor x = at::empty({n, 3, 32, 32}, at::kFloat);
  at::Tensor y = at::empty({n}, at::kLong);
  float* xp = x.data_ptr<float>();
  int64_t* yp = y.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const auto* rec = reinterpret_cast<const uint8_t*>(bytes.data() + i * kCifarRecord);
    if (rec[0] > 9) {
      throw DataError(path, "record " + std::to_string(i) + " has label " + std::to_string(rec[0]) +
                                " (not 0-9): corrupt file or not CIFAR-10");
    }
    yp[i] = rec[0];
    for (int c = 0; c < 3; ++c) {
      for (int k = 0; k < 1024; ++k) {
        xp[i * 3072 + c * 1024 + k] = (float(rec[1 + c * 1024 + k]) / 255.0f - kMean[c]) / kStd[c];
      }
    }
  }
  return {x, y};
}

TensorDataset concat(const std::vector<TensorDataset>& parts) {
  std::vector<at::Tensor> xs, ys;
  for (const auto& p : parts) xs.push_back(p.x), ys.push_back(p.y);
  return {at::cat(xs, 0), at::cat(ys, 0)};
}

}  // namespace

Splits load_cifar10(const DatasetOptions& options) {
  fs::path p = existing_dir(options.data_path, "cifar10");
  std::vector<std::string> train_files;
  std::string test_file;
  if (fs::is_regular_file(p)) {
    test_file = p.string();
  } else {
    for (int b = 1; b <= 5; ++b) {
      fs::path f = p / ("data_batch_" + std::to_string(b) + ".bin");
      if (fs::exists(f)) train_files.push_back(f.string());
    }
    if (fs::exists(p / "test_batch.bin")) {
      test_file = (p / "test_batch.bin").string();
    } else {
      std::vector<std::string> candidates;
      for (const auto& e : fs::directory_iterator(p)) {
        std::string name = e.path().filename().string();
        if (starts_with(name, "test_batch") && ends_with(name, ".bin")) {
          candidates.push_back(e.path().string());
        }
      }
      if (candidates.size() > 1) {
        throw DataError(p.string(), "several test_batch*.bin files; keep one or name it directly");
      }
      if (!candidates.empty()) test_file = candidates[0];
    }
    if (test_file.empty()) {
      throw DataError(p.string(),
                      "no CIFAR-10 test file: looked for test_batch.bin (or one test_batch*.bin) "
                      "and data_batch_1..5.bin (binary version) in this folder");
    }
  }
  Splits s;
  TensorDataset test = read_cifar_bin(test_file);
  std::vector<TensorDataset> parts;
  for (const std::string& f : train_files) parts.push_back(read_cifar_bin(f));
  bool have_train = !parts.empty();
  s.info.name = "cifar10";
  s.info.input_shape = {3, 32, 32};
  s.info.n_classes = 10;
  s.info.class_names = {"airplane", "automobile", "bird",  "cat",  "deer",
                        "dog",      "frog",       "horse", "ship", "truck"};
  s.info.source = have_train ? join(train_files, ", ") + ", " + test_file : test_file;
  split_train_val_test(s, have_train ? concat(parts) : TensorDataset{}, test, have_train,
                       options.n_val, 5000, "cifar10", have_train ? train_files[0] : test_file);
  if (options.flatten) flatten_all(s);
  return s;
}

}  // namespace chop::data
