// Readers for the two real JSC layouts: the official HDF5 file (compound dataset t_allpar_new,
// read member by member by name) and the OpenML 42468 table as CSV or ARFF.
#include <hdf5.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string_view>

#include "core/error.h"
#include "core/files.h"
#include "core/isolated.h"
#include "core/limits.h"
#include "core/strings.h"
#include "data/hdf5_lzf.h"
#include "data/jsc.h"

namespace chop::data::jsc {

namespace {

const char* const kLabelNames[kNumClasses] = {"j_g", "j_q", "j_w", "j_z", "j_t"};

/// Closes an HDF5 handle on scope exit.
class H5Id {
 public:
  H5Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~H5Id() {
    if (id_ >= 0) close_(id_);
  }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  auto* names = static_cast<std::vector<std::string>*>(out);
  if (names->size() < 12) names->push_back(name);
  return 0;
}

struct HdfRow {
  float f[kNumFeatures];
  int32_t label[kNumClasses];
};

/// libhdf5 copies rows out of a chunk or compact buffer trusting the dataspace and the chunk
/// shape, reading past the buffer when the file stores fewer bytes than they declare (fuzz
/// findings), so the sizes must agree before H5Dread: the whole dataset for compact/contiguous
/// layouts; for chunked ones, every chunk stored without its filters holds a full chunk, the
/// chunk fits the memory budget, and LZF's decoded size (h5py's third parameter, which chop's
/// filter decodes to exactly) is the chunk's size.
void check_storage_sizes(const std::string& path, hid_t file, hid_t dset, hsize_t n_rows,
                         size_t row_bytes, hsize_t stored) {
  const auto corrupt = [&](const std::string& what) {
    return DataError(path, "'t_allpar_new' " + what + ": truncated or corrupt file");
  };
  // libhdf5 allocates a filtered chunk's buffer at the size the chunk index declares before it
  // reads a byte (a 2 GiB malloc from a 5 KiB file: a fuzz finding), so no stored extent may
  // reach past the end of the file; the total bounds every chunk when they are too many to
  // check one by one.
  hsize_t file_bytes = 0;
  if (H5Fget_filesize(file, &file_bytes) < 0) throw corrupt("is in a file of unreadable size");
  if (stored > file_bytes)
    throw corrupt("stores " + std::to_string(stored) + " bytes of data in a file of " +
                  std::to_string(file_bytes));
  H5Id dcpl(H5Dget_create_plist(dset), H5Pclose);
  const H5D_layout_t layout = dcpl.ok() ? H5Pget_layout(dcpl.get()) : H5D_LAYOUT_ERROR;
  if (layout == H5D_LAYOUT_ERROR) throw corrupt("has an unreadable storage layout");
  if (layout != H5D_CHUNKED) {
    if (checked_mul(n_rows, row_bytes) != std::optional<uint64_t>(stored))
      throw corrupt("declares " + std::to_string(n_rows) + " rows of " + std::to_string(row_bytes) +
                    " bytes but stores " + std::to_string(stored));
    return;
  }
  hsize_t chunk_rows = 0;
  if (H5Pget_chunk(dcpl.get(), 1, &chunk_rows) != 1 || chunk_rows == 0)
    throw corrupt("has an unreadable chunk shape");
  const auto chunk_bytes = checked_mul(chunk_rows, row_bytes);
  check_file_memory(path, chunk_bytes,
                    "'t_allpar_new' chunks (" + std::to_string(chunk_rows) + " rows each)");
  const int n_filters = H5Pget_nfilters(dcpl.get());
  if (n_filters < 0) throw corrupt("has an unreadable filter pipeline");
  if (H5Pget_filter_by_id2(dcpl.get(), kLzfFilterId, nullptr, nullptr, nullptr, 0, nullptr,
                           nullptr) >= 0) {
    unsigned flags = 0, cd[3] = {0, 0, 0};
    size_t n_cd = 3;
    H5Pget_filter_by_id2(dcpl.get(), kLzfFilterId, &flags, &n_cd, cd, 0, nullptr, nullptr);
    if (n_cd < 3 || cd[2] != *chunk_bytes)
      throw corrupt("declares LZF chunks of " + std::to_string(n_cd < 3 ? 0 : cd[2]) +
                    " bytes but its " + std::to_string(chunk_rows) + "-row chunks take " +
                    std::to_string(*chunk_bytes));
  }
  // libhdf5 1.10 refuses H5S_ALL here: the chunk queries take the dataset's own dataspace.
  H5Id space(H5Dget_space(dset), H5Sclose);
  hsize_t n_chunks = 0;
  if (!space.ok() || H5Dget_num_chunks(dset, space.get(), &n_chunks) < 0)
    throw corrupt("has an unreadable chunk index");
  // libhdf5 1.10 walks the chunk index from the start for each H5Dget_chunk_info, so past a
  // few thousand chunks an unfiltered dataset is checked in total (every chunk full size).
  constexpr hsize_t kChunksCheckedOneByOne = 4096;
  if (n_chunks > kChunksCheckedOneByOne) {
    if (n_filters == 0 && checked_mul(n_chunks, *chunk_bytes) != std::optional<uint64_t>(stored))
      throw corrupt("stores " + std::to_string(stored) + " bytes in " + std::to_string(n_chunks) +
                    " unfiltered chunks of " + std::to_string(*chunk_bytes) + " bytes");
    return;
  }
  const unsigned all_filters_skipped = (1u << n_filters) - 1u;
  for (hsize_t i = 0; i < n_chunks; ++i) {
    hsize_t offset = 0, size = 0;
    unsigned filter_mask = 0;
    haddr_t addr = 0;
    if (H5Dget_chunk_info(dset, space.get(), i, &offset, &filter_mask, &addr, &size) < 0)
      throw corrupt("has an unreadable chunk index");
    if (addr == HADDR_UNDEF || addr > file_bytes || size > file_bytes - addr)
      throw corrupt("stores a chunk of " + std::to_string(size) + " bytes at row " +
                    std::to_string(offset) + " past the end of the " + std::to_string(file_bytes) +
                    "-byte file");
    const bool raw = (filter_mask & all_filters_skipped) == all_filters_skipped;
    if (raw && size != *chunk_bytes)
      throw corrupt("stores a chunk of " + std::to_string(size) + " bytes at row " +
                    std::to_string(offset) + " where its " + std::to_string(chunk_rows) +
                    "-row chunks take " + std::to_string(*chunk_bytes));
  }
}

/// The HDF5 read; with `metadata_only`, it stops once the file is opened and every size libhdf5
/// will trust is checked (what read_hdf5 runs isolated first).
Table read_hdf5_checked(const std::string& path, bool metadata_only) {
  ensure_hdf5_filters();
  if (H5Fis_hdf5(path.c_str()) <= 0) throw DataError(path, "not an HDF5 file");
  H5Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) throw DataError(path, "cannot open as HDF5 (corrupt or truncated file?)");
  if (H5Lexists(file.get(), "t_allpar_new", H5P_DEFAULT) <= 0) {
    std::vector<std::string> names;
    hsize_t idx = 0;
    H5Literate(file.get(), H5_INDEX_NAME, H5_ITER_NATIVE, &idx, collect_name, &names);
    throw DataError(path, "no dataset 't_allpar_new' (the official JSC file has it); found: " +
                              (names.empty() ? std::string("nothing") : list_of(names)));
  }
  H5Id dset(H5Dopen2(file.get(), "t_allpar_new", H5P_DEFAULT), H5Dclose);
  if (!dset.ok()) throw DataError(path, "'t_allpar_new' is not a readable dataset");
  H5Id ftype(H5Dget_type(dset.get()), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_COMPOUND) {
    throw DataError(path, "'t_allpar_new' is not a compound (structured) dataset");
  }
  std::vector<std::string> missing;
  for (const std::string& f : feature_names()) {
    if (H5Tget_member_index(ftype.get(), f.c_str()) < 0) missing.push_back(f);
  }
  for (const char* l : kLabelNames) {
    if (H5Tget_member_index(ftype.get(), l) < 0) missing.push_back(l);
  }
  if (!missing.empty()) {
    throw DataError(path, "'t_allpar_new' lacks member(s) " + list_of(missing));
  }
  // HDF5 converts members by trusting the offsets the file declares: a member lying outside
  // its record makes H5Dread read outside its buffers (a libhdf5 bug), so check the members we
  // read are numbers that lie inside the record first.
  const size_t record_bytes = H5Tget_size(ftype.get());
  auto check_member = [&](const char* name) {
    const int index = H5Tget_member_index(ftype.get(), name);
    H5Id member(H5Tget_member_type(ftype.get(), static_cast<unsigned>(index)), H5Tclose);
    const H5T_class_t cls = member.ok() ? H5Tget_class(member.get()) : H5T_NO_CLASS;
    const size_t bytes = member.ok() ? H5Tget_size(member.get()) : 0;
    const size_t offset = H5Tget_member_offset(ftype.get(), static_cast<unsigned>(index));
    if ((cls != H5T_FLOAT && cls != H5T_INTEGER) || bytes == 0 || bytes > 8)
      throw DataError(path, "'t_allpar_new' member " + std::string(name) +
                                " is not a number (float or integer): corrupt or not the JSC file");
    if (offset > record_bytes || bytes > record_bytes - offset)
      throw DataError(path, "'t_allpar_new' member " + std::string(name) + " lies at bytes " +
                                std::to_string(offset) + ".." + std::to_string(offset + bytes) +
                                " of a " + std::to_string(record_bytes) +
                                "-byte record: the file is corrupt");
  };
  for (const std::string& f : feature_names()) check_member(f.c_str());
  for (const char* l : kLabelNames) check_member(l);
  std::string filters = missing_hdf5_filters(dset.get());
  if (!filters.empty()) throw DataError(path, "'t_allpar_new': " + filters);
  H5Id fspace(H5Dget_space(dset.get()), H5Sclose);
  if (H5Sget_simple_extent_ndims(fspace.get()) != 1) {
    throw DataError(path, "'t_allpar_new' is not one-dimensional");
  }
  hsize_t n_rows = 0;
  if (H5Sget_simple_extent_dims(fspace.get(), &n_rows, nullptr) < 0)
    throw DataError(path, "'t_allpar_new' has an unreadable shape");
  // Refuse sizes the file cannot back before allocating them: the rows in memory must fit the
  // budget, and the stored bytes must be able to hold them (no codec chop reads expands data
  // more than ~1000x; unwritten chunks would only read as fill values).
  const size_t row_bytes = H5Tget_size(ftype.get());
  check_file_memory(path, checked_mul(n_rows, sizeof(HdfRow) + sizeof(int64_t) + sizeof(int32_t)),
                    "'t_allpar_new' (" + std::to_string(n_rows) + " rows)");
  const hsize_t stored = H5Dget_storage_size(dset.get());
  auto declared = checked_mul(n_rows, row_bytes);
  if (!declared || (*declared > 0 && stored == 0) ||
      *declared / 1024 > static_cast<uint64_t>(stored))
    throw DataError(path, "'t_allpar_new' declares " + std::to_string(n_rows) +
                              " rows but stores " + std::to_string(stored) +
                              " bytes of data: truncated or corrupt");
  check_storage_sizes(path, file.get(), dset.get(), n_rows, row_bytes, stored);
  if (metadata_only) return Table{};

  // Memory type: only the 21 members we need, matched by name (HDF5 converts types).
  H5Id mtype(H5Tcreate(H5T_COMPOUND, sizeof(HdfRow)), H5Tclose);
  for (int j = 0; j < kNumFeatures; ++j) {
    H5Tinsert(mtype.get(), feature_names()[j].c_str(), HOFFSET(HdfRow, f) + j * sizeof(float),
              H5T_NATIVE_FLOAT);
  }
  for (int c = 0; c < kNumClasses; ++c) {
    H5Tinsert(mtype.get(), kLabelNames[c], HOFFSET(HdfRow, label) + c * sizeof(int32_t),
              H5T_NATIVE_INT32);
  }
  Table t;
  t.n = static_cast<int64_t>(n_rows);
  t.source = path;
  t.x.resize(n_rows * kNumFeatures);
  t.y.resize(n_rows);
  t.label_key.resize(n_rows);
  const hsize_t kBlock = 1 << 16;
  std::vector<HdfRow> buf(std::min<hsize_t>(kBlock, std::max<hsize_t>(n_rows, 1)));
  for (hsize_t start = 0; start < n_rows; start += kBlock) {
    hsize_t count = std::min(kBlock, n_rows - start);
    H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr);
    H5Id mspace(H5Screate_simple(1, &count, nullptr), H5Sclose);
    if (H5Dread(dset.get(), mtype.get(), mspace.get(), fspace.get(), H5P_DEFAULT, buf.data()) < 0) {
      throw DataError(path, "reading rows " + std::to_string(start) + ".." +
                                std::to_string(start + count) +
                                " of 't_allpar_new' failed (corrupt data or a filter error)");
    }
    for (hsize_t k = 0; k < count; ++k) {
      const HdfRow& r = buf[k];
      hsize_t i = start + k;
      for (int j = 0; j < kNumFeatures; ++j)
        if (!std::isfinite(r.f[j]))
          throw DataError(path, "'t_allpar_new' row " + std::to_string(i) + ", member " +
                                    feature_names()[j] + ": " + std::to_string(r.f[j]) +
                                    " is not a finite number; remove or repair the row");
      std::memcpy(&t.x[i * kNumFeatures], r.f, sizeof(r.f));
      int best = 0, key = 0;
      for (int c = 0; c < kNumClasses; ++c) {
        if (r.label[c] > r.label[best]) best = c;  // argmax, first maximum (numpy)
        key |= (r.label[c] != 0 ? 1 : 0) << c;
      }
      t.y[i] = best;
      t.label_key[i] = key;
    }
  }
  return t;
}

}  // namespace

Table read_hdf5(const std::string& path) {
  require_regular_file(path);
  // libhdf5 can crash on a hostile file before any check of chop's runs (H5Dopen2 divides by a
  // chunk dimension of 0: a fuzz finding), so the file is first opened and checked in a child
  // process; its crash or refusal becomes this file's error, and only a file that passed is read
  // here. The probe costs a fork and the metadata reads, not the rows.
  const IsolatedOutcome probe = run_isolated([&] { read_hdf5_checked(path, true); });
  if (probe.signal != 0)
    throw DataError(path, "libhdf5 crashed (" + probe.signal_name() +
                              ") opening the file: it is corrupt, or not the JSC HDF5 file");
  if (!probe.ok) throw DataError("", probe.error);
  return read_hdf5_checked(path, false);
}

// ---- OpenML 42468 as CSV / ARFF ---------------------------------------------------------------

namespace {

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// One field: surrounding blanks and one level of matching quotes removed.
std::string_view strip(std::string_view s) {
  s = trim_space(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    s = trim_space(s.substr(1, s.size() - 2));
  }
  return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      out.push_back(strip(line.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

std::string column_key(std::string_view name) {
  std::string s = to_lower(std::string(strip(name)));
  if (starts_with(s, "j_")) s = s.substr(2);
  return s;
}

/// OpenML's class letters in chop's order: g q W Z t (OpenML/LabelEncoder order is g q t w z).
int class_from_letter(std::string_view v) {
  if (v.size() != 1) return -1;
  switch (v[0]) {
    case 'g':
    case 'G':
      return 0;
    case 'q':
    case 'Q':
      return 1;
    case 'w':
    case 'W':
      return 2;
    case 'z':
    case 'Z':
      return 3;
    case 't':
    case 'T':
      return 4;
    default:
      return -1;
  }
}

}  // namespace

Table read_text(const std::string& path) {
  // Rows hold what the file holds (a row of 17 fields takes at least 33 bytes of text), so the
  // table grows no larger than a few times the file, which read_file bounded.
  std::string text = chop::read_file(path);
  std::string_view all(text);
  std::vector<std::string> header;
  bool arff = false;
  size_t pos = 0;
  int64_t line_no = 0;
  auto next_line = [&](std::string_view& line) {
    if (pos >= all.size()) return false;
    size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) end = all.size();
    line = all.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    return true;
  };
  std::string_view line;
  // Header: a CSV header row, or ARFF @attribute declarations up to @data.
  while (next_line(line)) {
    std::string_view s = trim_space(line);
    if (s.empty() || s[0] == '%') continue;
    if (s[0] == '@') {
      arff = true;
      std::string lower = to_lower(std::string(s));
      if (starts_with(lower, "@attribute")) {
        std::string_view rest = trim_space(s.substr(10));
        size_t sp = rest.find_first_of(" \t");
        header.push_back(column_key(rest.substr(0, sp)));
      } else if (starts_with(lower, "@data")) {
        break;
      }
      continue;
    }
    for (std::string_view f : split_fields(s)) header.push_back(column_key(f));
    break;
  }
  if (header.empty())
    throw DataError(path, "no header row (expected the OpenML 42468 column names)");
  std::vector<int> col(kNumFeatures, -1);
  int class_col = -1;
  for (size_t c = 0; c < header.size(); ++c) {
    for (int j = 0; j < kNumFeatures; ++j) {
      if (header[c] == feature_names()[j].substr(2)) col[j] = static_cast<int>(c);
    }
    if (header[c] == "class") class_col = static_cast<int>(c);
  }
  std::vector<std::string> missing;
  for (int j = 0; j < kNumFeatures; ++j) {
    if (col[j] < 0) missing.push_back(feature_names()[j].substr(2));
  }
  if (class_col < 0) missing.push_back("class");
  if (!missing.empty()) {
    throw DataError(path, "missing column(s) " + list_of(missing) + " (OpenML 42468 layout: 16 " +
                              "features and 'class'; found: " + list_of(header) + ")");
  }
  Table t;
  t.source = path;
  while (next_line(line)) {
    std::string_view s = trim_space(line);
    if (s.empty() || s[0] == '%') continue;
    if (arff && s[0] == '{') throw DataError(path, "sparse ARFF rows are not supported");
    std::vector<std::string_view> fields = split_fields(s);
    auto where = [&] { return path + ":" + std::to_string(line_no); };
    if (fields.size() != header.size()) {
      throw DataError(where(), std::to_string(fields.size()) + " fields, the header has " +
                                   std::to_string(header.size()));
    }
    for (int j = 0; j < kNumFeatures; ++j) {
      std::string_view f = fields[col[j]];
      float v = 0;
      auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      if (ec != std::errc() || p != f.data() + f.size()) {
        throw DataError(where(),
                        "column " + header[col[j]] + ": '" + std::string(f) + "' is not a number");
      }
      if (!std::isfinite(v))
        throw DataError(where(), "column " + header[col[j]] + ": '" + std::string(f) +
                                     "' is not a finite number; remove or repair the row");
      t.x.push_back(v);
    }
    int label = class_from_letter(fields[class_col]);
    if (label < 0) {
      throw DataError(where(),
                      "class '" + std::string(fields[class_col]) + "' is not one of g, q, t, w, z");
    }
    t.y.push_back(label);
    t.label_key.push_back(label);
    ++t.n;
  }
  if (t.n == 0) throw DataError(path, "no data rows");
  return t;
}

Table read_file(const std::string& path) {
  static const char kHdf5Magic[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  require_regular_file(path);
  char head[8] = {0};
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(path, "cannot read (missing file or no permission)");
    in.read(head, 8);
  }
  bool hdf5_magic = std::memcmp(head, kHdf5Magic, 8) == 0;
  std::string lower = to_lower(path);
  bool hdf5_ext = ends_with(lower, ".z") || ends_with(lower, ".h5") || ends_with(lower, ".hdf5");
  // HDF5 may sit behind a user block, so ask the library too before treating it as text.
  ensure_hdf5_filters();
  if (hdf5_magic || H5Fis_hdf5(path.c_str()) > 0) return read_hdf5(path);
  if (hdf5_ext) throw DataError(path, "has an HDF5 extension but is not an HDF5 file (truncated?)");
  return read_text(path);
}

}  // namespace chop::data::jsc
