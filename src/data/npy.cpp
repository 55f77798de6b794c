// NPY v1.0 writer/reader and the six-file split export; see npy.h.
#include "data/npy.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "core/limits.h"
#include "core/strings.h"

namespace chop::data {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[] = "\x93NUMPY";

std::string shape_tuple(const at::Tensor& t) {
  std::string s = "(";
  for (int64_t d = 0; d < t.dim(); ++d) {
    s += std::to_string(t.size(d));
    s += (t.dim() == 1 || d + 1 < t.dim()) ? "," : "";
    if (d + 1 < t.dim()) s += " ";
  }
  return s + ")";
}

}  // namespace

std::string npy_bytes(const at::Tensor& t_in) {
  std::string descr;
  if (t_in.scalar_type() == at::kFloat) {
    descr = "<f4";
  } else if (t_in.scalar_type() == at::kLong) {
    descr = "<i8";
  } else {
    CHOP_ASSERT(false, "npy_bytes supports float32 and int64 only");
  }
  at::Tensor t = t_in.contiguous();
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_tuple(t) + ", }";
  // Pad with spaces so magic(6) + version(2) + len(2) + header + '\n' is a multiple of 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  CHOP_ASSERT(header.size() <= 65535, "npy header too long for v1.0");
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  size_t n_bytes = static_cast<size_t>(t.numel()) * t.element_size();
  size_t offset = out.size();
  out.resize(offset + n_bytes);
  if (n_bytes) std::memcpy(&out[offset], t.data_ptr(), n_bytes);  // x86-64: little-endian
  return out;
}

namespace {

/// The text after `'key':` in a NPY header dict (spaces skipped), or npos.
size_t value_of(const std::string& header, const std::string& key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) return std::string::npos;
  at += key.size() + 2;
  while (at < header.size() && header[at] == ' ') ++at;
  if (at >= header.size() || header[at] != ':') return std::string::npos;
  ++at;
  while (at < header.size() && header[at] == ' ') ++at;
  return at;
}

}  // namespace

at::Tensor read_npy(const std::string& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < 10 || bytes.compare(0, 6, std::string(kMagic, 6)) != 0) {
    throw DataError(path, "not an NPY file (bad magic)");
  }
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len, start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw DataError(path, "truncated NPY header");
    header_len = 0;
    for (int i = 3; i >= 0; --i)
      header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + i]);
    start = 12;
  } else {
    throw DataError(path, "unsupported NPY version " + std::to_string(major));
  }
  if (bytes.size() - start < header_len) throw DataError(path, "truncated NPY header");
  const std::string header = bytes.substr(start, header_len);
  size_t at = value_of(header, "descr");
  if (at == std::string::npos || header[at] != '\'')
    throw DataError(path, "NPY header has no descr");
  const size_t descr_end = header.find('\'', at + 1);
  if (descr_end == std::string::npos) throw DataError(path, "NPY header has no descr");
  const std::string descr = header.substr(at + 1, descr_end - at - 1);
  at = value_of(header, "fortran_order");
  if (at != std::string::npos && header.compare(at, 4, "True") == 0) {
    throw DataError(path, "Fortran-ordered NPY arrays are not supported");
  }
  at = value_of(header, "shape");
  const size_t shape_end = at == std::string::npos ? at : header.find(')', at);
  if (at == std::string::npos || header[at] != '(' || shape_end == std::string::npos) {
    throw DataError(path, "NPY header has no shape");
  }
  std::vector<int64_t> shape;
  for (const std::string& part : split(header.substr(at + 1, shape_end - at - 1), ',')) {
    std::string p = trim(part);
    if (p.empty()) continue;
    auto d = parse_int64(p);
    if (!d || *d < 0) throw DataError(path, "NPY shape entry '" + p + "' is not a size");
    shape.push_back(*d);
  }
  if (shape.size() > 16) throw DataError(path, "NPY array has more than 16 dimensions");
  at::ScalarType st;
  size_t item;
  if (descr == "<f4") {
    st = at::kFloat, item = 4;
  } else if (descr == "<f8") {
    st = at::kDouble, item = 8;
  } else if (descr == "<i8") {
    st = at::kLong, item = 8;
  } else if (descr == "<i4") {
    st = at::kInt, item = 4;
  } else if (descr == "|u1") {
    st = at::kByte, item = 1;
  } else {
    throw DataError(path, "unsupported NPY dtype '" + descr + "' (want <f4, <f8, <i8, <i4, |u1)");
  }
  const size_t data_start = start + header_len;
  auto expected = tensor_bytes(shape, item);
  if (!expected || bytes.size() - data_start != *expected) {
    throw DataError(path, "NPY data size " + std::to_string(bytes.size() - data_start) +
                              " B does not match shape " +
                              (expected ? "(expected " + std::to_string(*expected) + " B)"
                                        : "(its size overflows 64 bits)") +
                              ": truncated file?");
  }
  // Converted to float32 / int64 below: up to 8 bytes per element besides the file.
  check_file_memory(path, checked_mul(*element_count(shape), 8), "the NPY array");
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st));
  if (*expected) std::memcpy(t.data_ptr(), bytes.data() + data_start, *expected);
  if (st == at::kDouble) t = t.to(at::kFloat);
  if (st == at::kInt || st == at::kByte) return t.to(at::kLong);
  if (t.is_floating_point() && t.numel() > 0) {
    // Data must be finite (a NaN or inf feature poisons every loss); name the first bad entry.
    at::Tensor bad = at::logical_not(at::isfinite(t)).reshape({-1}).nonzero();
    if (bad.numel() > 0) {
      const int64_t flat = bad[0][0].item<int64_t>();
      const int64_t cols = t.dim() >= 2 ? t.numel() / std::max<int64_t>(1, t.size(0)) : 1;
      throw DataError(path, "row " + std::to_string(flat / cols) + ", column " +
                                std::to_string(flat % cols) + " is not a finite number");
    }
  }
  return t;
}

void export_npy(const Splits& splits, const std::string& out_dir) {
  make_dirs(out_dir);
  const std::pair<const char*, const TensorDataset*> parts[] = {
      {"train", &splits.train}, {"val", &splits.val}, {"test", &splits.test}};
  std::vector<std::pair<std::string, std::string>> files;  // final path, content
  for (const auto& [name, ds] : parts) {
    CHOP_ASSERT(ds->x.defined() && ds->y.defined(), "export of an empty split");
    files.emplace_back((fs::path(out_dir) / (std::string("X_") + name + ".npy")).string(),
                       npy_bytes(ds->x.to(at::kFloat)));
    files.emplace_back((fs::path(out_dir) / (std::string("y_") + name + ".npy")).string(),
                       npy_bytes(ds->y.to(at::kLong)));
  }
  const DatasetInfo& info = splits.info;
  nlohmann::ordered_json j;
  j["name"] = info.name;
  j["input_shape"] = info.input_shape;
  j["n_classes"] = info.n_classes;
  j["class_names"] = info.class_names;
  j["feature_names"] = info.feature_names;
  j["source"] = info.source;
  j["split_note"] = info.split_note;
  j["test_is_val"] = info.test_is_val;
  j["n_train"] = splits.train.size();
  j["n_val"] = splits.val.size();
  j["n_test"] = splits.test.size();
  files.emplace_back((fs::path(out_dir) / "dataset.json").string(), j.dump(2) + "\n");

  // Two phases: all temporaries first, then the renames, so an export is never half-written.
  std::vector<std::string> temps;
  try {
    for (const auto& [path, content] : files) {
      std::string tmp = temp_path_for(path);
      temps.push_back(tmp);
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw DataError(path, "cannot open for writing");
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
      out.flush();
      if (!out) throw DataError(path, "write failed (disk full?)");
    }
  } catch (...) {
    std::error_code ec;
    for (const std::string& tmp : temps) fs::remove(tmp, ec);
    throw;
  }
  for (size_t i = 0; i < files.size(); ++i) commit_temp(temps[i], files[i].first);
}

Splits load_npy_dir(const std::string& dir) {
  auto path = [&](const std::string& f) { return (fs::path(dir) / f).string(); };
  Splits s;
  s.train = {read_npy(path("X_train.npy")), read_npy(path("y_train.npy"))};
  s.val = {read_npy(path("X_val.npy")), read_npy(path("y_val.npy"))};
  s.test = {read_npy(path("X_test.npy")), read_npy(path("y_test.npy"))};
  for (const TensorDataset* d : {&s.train, &s.val, &s.test}) {
    if (d->x.dim() < 1 || d->y.dim() != 1 || d->x.size(0) != d->y.size(0))
      throw DataError(dir, "X and y row counts differ, X is a scalar or y is not 1-D");
    if (d->y.scalar_type() != at::kLong)
      throw DataError(dir, "labels (y_*.npy) must be integers");
    if (d->y.numel() > 0 && d->y.min().item<int64_t>() < 0)
      throw DataError(dir, "labels (y_*.npy) must be >= 0");
  }
  if (s.train.x.dim() != s.val.x.dim() || s.train.x.dim() != s.test.x.dim())
    throw DataError(dir, "X_train, X_val and X_test have different ranks");
  DatasetInfo& info = s.info;
  info.name = fs::path(dir).filename().string();
  info.source = dir;
  for (int64_t d = 1; d < s.train.x.dim(); ++d) info.input_shape.push_back(s.train.x.size(d));
  info.n_classes = s.train.size() ? s.train.y.max().item<int64_t>() + 1 : 0;
  std::string json_path = path("dataset.json");
  if (fs::exists(json_path)) {
    try {
      auto j = nlohmann::json::parse(read_file(json_path));
      if (!j.is_object()) throw DataError(json_path, "must hold a JSON object");
      info.name = j.value("name", info.name);
      info.n_classes = j.value("n_classes", info.n_classes);
      info.class_names = j.value("class_names", std::vector<std::string>{});
      info.feature_names = j.value("feature_names", std::vector<std::string>{});
      info.split_note = j.value("split_note", std::string());
      info.test_is_val = j.value("test_is_val", false);
    } catch (const nlohmann::json::exception& e) {
      std::string what = e.what();
      throw DataError(json_path, "malformed: " + what.substr(0, what.find('\n')));
    }
  }
  return s;
}

}  // namespace chop::data
