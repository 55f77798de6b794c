// The data-set cache; see dataset_cache.h. File layout (little-endian, sections 64-byte
// aligned so tensors can view the buffer in place):
//   "CHOPDSC1" | u64 key size | key | u64 info size | info JSON |
//   per split (train, val, test): u64 rank, rank x i64 shape of x, u64 rows of y, pad, x (float32),
//   pad, y (int64) | pad | u64 hash of every byte before it.
#include "data/dataset_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/log.h"

namespace chop::data {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr char kMagic[8] = {'C', 'H', 'O', 'P', 'D', 'S', 'C', '1'};
constexpr int kFormatVersion = 1;

// A 64-bit hash of bytes (the MurmurHash64A construction): cache keys and checksums, not
// security.
uint64_t hash64(const void* data, size_t n, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = seed ^ (n * m);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t k;
    std::memcpy(&k, p + i, 8);
    k *= m;
    k ^= k >> 47;
    k *= m;
    h ^= k;
    h *= m;
  }
  uint64_t tail = 0;
  for (size_t j = 0; i + j < n; ++j) tail |= static_cast<uint64_t>(p[i + j]) << (8 * j);
  if (n % 8) {
    h ^= tail;
    h *= m;
  }
  h ^= h >> 47;
  h *= m;
  h ^= h >> 47;
  return h;
}

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

uint64_t hash_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw DataError(p.string(), "cannot read (missing file or no permission)");
  uint64_t h = 0;
  std::vector<char> buf(size_t{1} << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got) h = hash64(buf.data(), got, h);
  }
  return h;
}

// ---- writing -------------------------------------------------------------------------------

void put_u64(std::string& out, uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), 8);
}
void pad64(std::string& out) {
  out.append((64 - out.size() % 64) % 64, '\0');
}

std::string serialize(const std::string& key, const Splits& s) {
  const DatasetInfo& i = s.info;
  const Json info = {{"name", i.name},
                     {"input_shape", i.input_shape},
                     {"n_classes", i.n_classes},
                     {"class_names", i.class_names},
                     {"feature_names", i.feature_names},
                     {"source", i.source},
                     {"split_note", i.split_note},
                     {"test_is_val", i.test_is_val}};
  const std::string info_text = info.dump();
  std::string out(kMagic, 8);
  put_u64(out, key.size());
  out += key;
  put_u64(out, info_text.size());
  out += info_text;
  for (const TensorDataset* t : {&s.train, &s.val, &s.test}) {
    const at::Tensor x = t->x.defined() ? t->x.contiguous() : at::empty({0}, at::kFloat);
    const at::Tensor y = t->y.defined() ? t->y.contiguous() : at::empty({0}, at::kLong);
    CHOP_ASSERT(x.scalar_type() == at::kFloat && y.scalar_type() == at::kLong,
                "dataset cache: unexpected split types");
    put_u64(out, static_cast<uint64_t>(x.dim()));
    for (int64_t d : x.sizes()) put_u64(out, static_cast<uint64_t>(d));
    put_u64(out, static_cast<uint64_t>(y.numel()));
    pad64(out);
    out.append(reinterpret_cast<const char*>(x.data_ptr<float>()), sizeof(float) * x.numel());
    pad64(out);
    out.append(reinterpret_cast<const char*>(y.data_ptr<int64_t>()), sizeof(int64_t) * y.numel());
  }
  pad64(out);
  put_u64(out, hash64(out.data(), out.size(), kFormatVersion));
  return out;
}

// ---- reading -------------------------------------------------------------------------------

struct Reader {
  const std::string& buf;
  size_t pos = 0;
  size_t end;  // before the checksum
  bool need(size_t n) const { return n <= end - pos; }
  bool u64(uint64_t& v) {
    if (!need(8)) return false;
    std::memcpy(&v, buf.data() + pos, 8);
    pos += 8;
    return true;
  }
  bool align64() {
    const size_t to = (pos + 63) / 64 * 64;
    if (to > end) return false;
    pos = to;
    return true;
  }
};

// The splits in `buf` for `key`, or an empty optional and why not.
bool deserialize(const std::shared_ptr<std::string>& buf_ptr, const std::string& key, Splits& s,
                 std::string& why) {
  const std::string& buf = *buf_ptr;
  if (buf.size() < 8 + 8 + 64 || std::memcmp(buf.data(), kMagic, 8) != 0) {
    why = "not a chop data-set cache file";
    return false;
  }
  uint64_t stored;
  std::memcpy(&stored, buf.data() + buf.size() - 8, 8);
  if (buf.size() % 64 != 8 || hash64(buf.data(), buf.size() - 8, kFormatVersion) != stored) {
    why = "checksum mismatch (truncated or modified)";
    return false;
  }
  Reader r{buf, 8, buf.size() - 8};
  uint64_t n;
  if (!r.u64(n) || !r.need(n) || buf.compare(r.pos, n, key) != 0 || n != key.size()) {
    why = "written for other data or options";
    return false;
  }
  r.pos += n;
  if (!r.u64(n) || !r.need(n)) {
    why = "bad header";
    return false;
  }
  try {
    const Json info = Json::parse(buf.substr(r.pos, n));
    r.pos += n;
    s.info.name = info.at("name").get<std::string>();
    s.info.input_shape = info.at("input_shape").get<std::vector<int64_t>>();
    s.info.n_classes = info.at("n_classes").get<int64_t>();
    s.info.class_names = info.at("class_names").get<std::vector<std::string>>();
    s.info.feature_names = info.at("feature_names").get<std::vector<std::string>>();
    s.info.source = info.at("source").get<std::string>();
    s.info.split_note = info.at("split_note").get<std::string>();
    s.info.test_is_val = info.at("test_is_val").get<bool>();
  } catch (const std::exception&) {
    why = "bad data-set description";
    return false;
  }
  for (TensorDataset* t : {&s.train, &s.val, &s.test}) {
    uint64_t rank, rows_y;
    if (!r.u64(rank) || rank > 8) {
      why = "bad split header";
      return false;
    }
    std::vector<int64_t> shape(rank);
    uint64_t count = 1;
    for (auto& d : shape) {
      uint64_t v;
      if (!r.u64(v) || v > (uint64_t{1} << 40)) {
        why = "bad split shape";
        return false;
      }
      d = static_cast<int64_t>(v);
      count *= v;
      if (count > buf.size()) {  // more values than bytes: refuse before allocating
        why = "split larger than the file";
        return false;
      }
    }
    if (!r.u64(rows_y) || !r.align64() || !r.need(count * sizeof(float))) {
      why = "split larger than the file";
      return false;
    }
    auto keep = [buf_ptr](void*) {};  // the tensors view the buffer and keep it alive
    t->x = at::from_blob(const_cast<char*>(buf.data()) + r.pos, shape, keep, at::kFloat);
    r.pos += count * sizeof(float);
    if (!r.align64() || !r.need(rows_y * sizeof(int64_t)) ||
        (rank > 0 && static_cast<uint64_t>(shape[0]) != rows_y)) {
      why = "labels do not match the samples";
      return false;
    }
    t->y = at::from_blob(const_cast<char*>(buf.data()) + r.pos, {static_cast<int64_t>(rows_y)},
                         keep, at::kLong);
    r.pos += rows_y * sizeof(int64_t);
    if (rank == 1 && shape[0] == 0) *t = TensorDataset{};  // an absent split
  }
  return true;
}

// The file in one read into a buffer of its size (read_file's stream copy costs twice the
// time on a cache of ten megabytes).
std::string read_whole_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw DataError(path, "cannot read (missing file or no permission)");
  std::string buf;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long size = std::ftell(f);
    if (size > 0) {
      buf.resize(static_cast<size_t>(size));
      std::rewind(f);
      buf.resize(std::fread(buf.data(), 1, buf.size(), f));
    }
  }
  std::fclose(f);
  return buf;
}

}  // namespace

std::string default_dataset_cache_dir() {
  std::string base;
  if (const char* d = std::getenv("CHOP_CACHE_DIR"); d && *d) {
    base = d;
  } else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    base = std::string(x) + "/chop";
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    base = std::string(h) + "/.cache/chop";
  } else {
    base = (fs::temp_directory_path() / "chop-cache").string();
  }
  return base + "/datasets";
}

std::string dataset_cache_key(const std::string& name, const DatasetOptions& o) {
  std::string key = "chop data-set cache v" + std::to_string(kFormatVersion) + "\n";
  key += "dataset=" + name + "\n";
  key += "seed=" + std::to_string(o.seed) + "\n";
  key += "n_samples=" + std::to_string(o.n_samples) + "\n";
  key += "n_val=" + std::to_string(o.n_val) + "\n";
  key += std::string("flatten=") + (o.flatten ? "1" : "0") + "\n";
  if (!o.data_path.empty()) {
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(o.data_path, ec);
    key += "data_path=" + (ec ? o.data_path : p.string()) + "\n";
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) key += f.filename().string() + "=" + hex(hash_file(f)) + "\n";
    } else if (fs::exists(p, ec)) {
      key += "content=" + hex(hash_file(p)) + "\n";
    }
  }
  return key;
}

std::string dataset_cache_path(const std::string& dir, const std::string& key) {
  // "<data set>-<hash of the key>.bin": readable, and one file per key.
  const size_t at = key.find("\ndataset=");
  std::string name = "dataset";
  if (at != std::string::npos) {
    const size_t begin = at + 9, end = key.find('\n', begin);
    name = key.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  }
  return dir + "/" + name + "-" + hex(hash64(key.data(), key.size(), 0)) + ".bin";
}

Splits load_with_cache(const std::string& dir, const std::string& key,
                       const std::function<Splits()>& build) {
  const std::string path = dataset_cache_path(dir, key);
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::string why;
    try {
      auto buf = std::make_shared<std::string>(read_whole_file(path));
      Splits s;
      if (deserialize(buf, key, s, why)) {
        log_info("data set " + s.info.name + " read from the data-set cache " + path);
        return s;
      }
    } catch (const Error& e) {
      why = e.what();
    }
    log_warning("data-set cache file " + path + " is unusable (" + why + "); rebuilding it");
  }
  Splits s = build();
  try {
    write_file_atomic(path, serialize(key, s));
    log_debug("data set " + s.info.name + " written to the data-set cache " + path);
  } catch (const Error& e) {
    log_warning(std::string("could not write the data-set cache: ") + e.what() +
                " (use --disable-dataset-cache to skip it)");
  }
  return s;
}

}  // namespace chop::data
