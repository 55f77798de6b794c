// Real JSC layouts: the official HDF5 file (written here with the HDF5 C API, with and without
// LZF) and the OpenML CSV/ARFF table, including the 5 real OpenML rows in shared/data.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "data/hdf5_lzf.h"
#include "data/jsc.h"
#include "data/registry.h"
#include "test_util.h"

namespace chop::data {
namespace {

using testing::ScratchDir;

template <class E>
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "<no error>";
}

const char* const kLabels[5] = {"j_g", "j_q", "j_w", "j_z", "j_t"};

/// Row i: feature j = i + j / 100, plus extra members; one-hot truth class i % 5.
struct FileSpec {
  int64_t n = 40;
  bool lzf = false;
  bool drop_member = false;  // leave out j_d2_b2_mmdt
  bool wrong_name = false;   // call the dataset something else
  int duplicates = 0;        // the last `duplicates` rows repeat the first ones
  int extra_filter = 0;      // an extra (then unregistered) filter id
  bool chunked = false;      // chunks of 16 rows even without a filter
};

/// Writes the official layout: one 1-D compound dataset, members in a shuffled order with
/// extra float and int members, labels as int32 one-hot columns.
void write_hdf5(const std::string& path, const FileSpec& spec) {
  ensure_hdf5_filters();
  std::vector<std::string> members = {"j_pt", "j_index"};
  for (const auto& f : jsc::feature_names()) {
    if (!(spec.drop_member && f == "j_d2_b2_mmdt")) members.push_back(f);
  }
  for (const char* l : kLabels) members.push_back(l);
  std::reverse(members.begin(), members.end());  // field order differs from MASE's order
  const size_t row_bytes = 4 * members.size();
  hid_t ftype = H5Tcreate(H5T_COMPOUND, row_bytes);
  for (size_t k = 0; k < members.size(); ++k) {
    bool is_int = members[k] == "j_index" || members[k].size() == 3;
    H5Tinsert(ftype, members[k].c_str(), 4 * k, is_int ? H5T_STD_I32LE : H5T_IEEE_F32LE);
  }
  std::vector<char> buf(row_bytes * spec.n);
  for (int64_t i = 0; i < spec.n; ++i) {
    int64_t src = i >= spec.n - spec.duplicates ? i - (spec.n - spec.duplicates) : i;
    for (size_t k = 0; k < members.size(); ++k) {
      char* cell = &buf[i * row_bytes + 4 * k];
      const std::string& m = members[k];
      if (m == "j_index") {
        int32_t v = static_cast<int32_t>(i);  // differs between duplicates: not one of the 21
        std::memcpy(cell, &v, 4);
      } else if (m.size() == 3) {
        int32_t v = 0;
        for (int c = 0; c < 5; ++c) v |= (m == kLabels[c] && src % 5 == c) ? 1 : 0;
        std::memcpy(cell, &v, 4);
      } else {
        auto it = std::find(jsc::feature_names().begin(), jsc::feature_names().end(), m);
        float v = it == jsc::feature_names().end()
                      ? 1000.0f
                      : static_cast<float>(src) + (it - jsc::feature_names().begin()) / 100.0f;
        std::memcpy(cell, &v, 4);
      }
    }
  }
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims = static_cast<hsize_t>(spec.n);
  hid_t space = H5Screate_simple(1, &dims, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (spec.lzf || spec.extra_filter || spec.chunked) {
    hsize_t chunk = 16;
    H5Pset_chunk(dcpl, 1, &chunk);
    if (spec.lzf) H5Pset_filter(dcpl, kLzfFilterId, H5Z_FLAG_OPTIONAL, 0, nullptr);
    if (spec.extra_filter) H5Pset_filter(dcpl, spec.extra_filter, H5Z_FLAG_MANDATORY, 0, nullptr);
  }
  hid_t dset = H5Dcreate2(file, spec.wrong_name ? "jets" : "t_allpar_new", ftype, space,
                          H5P_DEFAULT, dcpl, H5P_DEFAULT);
  ASSERT_GE(dset, 0);
  ASSERT_GE(H5Dwrite(dset, ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), 0);
  H5Dclose(dset);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Tclose(ftype);
  H5Fclose(file);
}

void expect_rows(const jsc::Table& t, int64_t n) {
  ASSERT_EQ(t.n, n);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(t.y[i], i % 5);
    for (int j = 0; j < 16; ++j) EXPECT_EQ(t.x[i * 16 + j], static_cast<float>(i) + j / 100.0f);
  }
}

TEST(JscHdf5, ReadsCompoundMembersByNameWithoutCompression) {
  ScratchDir dir;
  write_hdf5(dir / "plain.z", FileSpec{});
  expect_rows(jsc::read_file(dir / "plain.z"), 40);
}

// libhdf5 itself divides by a chunk dimension of 0 while opening the dataset (a fuzz finding):
// the file is opened in a child process first, so the crash is this file's error.
TEST(JscHdf5, ACrashInsideLibhdf5IsTheFilesError) {
  const std::string corpus = std::string(CHOP_SOURCE_DIR) + "/fuzz/corpus/hdf5/";
  const std::string msg =
      error_of<DataError>([&] { jsc::read_file(corpus + "finding_chunk_dimension_zero"); });
  EXPECT_NE(msg.find("finding_chunk_dimension_zero: libhdf5 crashed (SIG"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("opening the file: it is corrupt"), std::string::npos) << msg;
}

// libhdf5 copies a full chunk out of whatever buffer holds it (fuzz findings), so the sizes it
// trusts are checked first: unfiltered chunks one by one against the chunk shape (a partial
// last chunk is still stored whole), the chunk shape against the memory budget and LZF's size.
TEST(JscHdf5, ChunkSizesLibhdf5TrustsAreCheckedFirst) {
  ScratchDir dir;
  FileSpec spec;
  spec.chunked = true;
  write_hdf5(dir / "chunked.z", spec);
  expect_rows(jsc::read_file(dir / "chunked.z"), 40);
  const std::string corpus = std::string(CHOP_SOURCE_DIR) + "/fuzz/corpus/hdf5/";
  // An LZF file whose filter was removed, so its compressed chunks read as raw rows.
  std::string msg = error_of<DataError>(
      [&] { jsc::read_file(corpus + "finding_unfiltered_chunk_shorter_than_its_rows"); });
  EXPECT_NE(msg.find("stores a chunk of 162 bytes at row 0 where its 4-row chunks take 336"),
            std::string::npos)
      << msg;
  // An LZF file whose chunk shape says 16,777,220 rows (1.3 GiB): over a 256 MiB budget (the
  // fuzzer's) it is refused as too big; under a larger one its LZF size (336 bytes) disagrees.
  msg = error_of<DataError>(
      [&] { jsc::read_file(corpus + "finding_lzf_chunk_shape_larger_than_its_data"); });
  EXPECT_TRUE(msg.find("chunks (16777220 rows each) needs 1.3 GiB") != std::string::npos ||
              msg.find("declares LZF chunks of 336 bytes but its 16777220-row chunks take "
                       "1409286480") != std::string::npos)
      << msg;
}

// libhdf5 allocates a filtered chunk's buffer at the size its index declares (a 2 GiB malloc
// from this 5 KiB file, an LZF chunk declared 2^31 + 175 bytes long: a fuzz finding), so stored
// extents are checked against the file's size before any row is read.
TEST(JscHdf5, StoredDataPastTheEndOfTheFileIsRefusedBeforeReading) {
  const std::string corpus = std::string(CHOP_SOURCE_DIR) + "/fuzz/corpus/hdf5/";
  std::string msg = error_of<DataError>(
      [&] { jsc::read_file(corpus + "finding_filtered_chunk_past_the_end_of_the_file"); });
  EXPECT_NE(msg.find("finding_filtered_chunk_past_the_end_of_the_file: 't_allpar_new' stores "
                     "2147484064 bytes of data in a file of 5160: truncated or corrupt file"),
            std::string::npos)
      << msg;
  // One chunk moved to 60 bytes before the end: the total fits, the chunk's extent does not.
  // In lzf_9_rows (9 rows, 4-row LZF chunks), the chunk index holds chunk 1's address (4906,
  // 8 bytes little-endian) at byte 2728.
  std::string bytes = chop::read_file(corpus + "lzf_9_rows");
  ASSERT_EQ(bytes.size(), 5160u);
  ASSERT_EQ(bytes.substr(2728, 8), std::string("\x2a\x13\0\0\0\0\0\0", 8));
  bytes.replace(2728, 8, std::string("\xec\x13\0\0\0\0\0\0", 8));  // 5100
  ScratchDir dir;
  testing::write_bytes(dir / "moved.h5", bytes);
  msg = error_of<DataError>([&] { jsc::read_file(dir / "moved.h5"); });
  EXPECT_NE(msg.find("'t_allpar_new' stores a chunk of 175 bytes at row 4 past the end of the "
                     "5160-byte file"),
            std::string::npos)
      << msg;
}

TEST(JscHdf5, ReadsLzfCompressedChunks) {
  ScratchDir dir;
  FileSpec spec;
  spec.lzf = true;
  spec.n = 1000;
  write_hdf5(dir / "lzf.z", spec);
  // The chunks really are LZF-compressed (storage smaller than the raw 1000 x 23 x 4 bytes).
  hid_t f = H5Fopen((dir / "lzf.z").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "t_allpar_new", H5P_DEFAULT);
  hid_t dcpl = H5Dget_create_plist(d);
  unsigned flags, cd[8];
  size_t n_cd = 8;
  EXPECT_EQ(H5Pget_filter2(dcpl, 0, &flags, &n_cd, cd, 0, nullptr, nullptr), kLzfFilterId);
  EXPECT_EQ(n_cd, 3u);             // h5py's layout: revision, LZF version, chunk bytes
  EXPECT_EQ(cd[2], 16u * 23 * 4);  // 23 members of 4 bytes
  EXPECT_LT(H5Dget_storage_size(d), 1000u * 23 * 4);
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(f);
  expect_rows(jsc::read_file(dir / "lzf.z"), 1000);
}

TEST(JscHdf5, LoadDatasetDropsDuplicatesAndSplits) {
  ScratchDir dir;
  FileSpec spec;
  spec.n = 110;
  spec.duplicates = 10;
  spec.lzf = true;
  write_hdf5(dir / "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z", spec);
  DatasetOptions opt;
  opt.data_path = dir.str();  // a folder: the official file name is found
  Splits s = load_dataset("jsc", opt);
  EXPECT_EQ(s.test.size(), 20);
  EXPECT_EQ(s.train.size() + s.val.size(), 80);
  EXPECT_EQ(s.info.feature_names.size(), 16u);
  EXPECT_EQ(s.info.class_names, (std::vector<std::string>{"g", "q", "W", "Z", "t"}));
}

TEST(JscHdf5, MissingDatasetMemberOrFilterAreDataErrors) {
  ScratchDir dir;
  FileSpec spec;
  spec.wrong_name = true;
  write_hdf5(dir / "a.z", spec);
  std::string msg = error_of<DataError>([&] { jsc::read_file(dir / "a.z"); });
  EXPECT_NE(msg.find(dir / "a.z"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no dataset 't_allpar_new'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("jets"), std::string::npos) << msg;

  spec = FileSpec{};
  spec.drop_member = true;
  write_hdf5(dir / "b.z", spec);
  msg = error_of<DataError>([&] { jsc::read_file(dir / "b.z"); });
  EXPECT_NE(msg.find("lacks member(s) j_d2_b2_mmdt"), std::string::npos) << msg;

  // A filter this process does not have: register a pass-through one to write, then remove it.
  static const H5Z_class2_t kFake = {H5Z_CLASS_T_VERS,
                                     32123,
                                     1,
                                     1,
                                     "fake",
                                     nullptr,
                                     nullptr,
                                     [](unsigned, size_t, const unsigned*, size_t nbytes, size_t*,
                                        void**) -> size_t { return nbytes; }};
  ASSERT_GE(H5Zregister(&kFake), 0);
  spec = FileSpec{};
  spec.extra_filter = 32123;
  write_hdf5(dir / "c.z", spec);
  ASSERT_GE(H5Zunregister(32123), 0);
  msg = error_of<DataError>([&] { jsc::read_file(dir / "c.z"); });
  EXPECT_NE(msg.find("'fake' (id 32123)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("HDF5_PLUGIN_PATH"), std::string::npos) << msg;

  // A truncated download: the superblock is there, the rest is not.
  spec = FileSpec{};
  spec.n = 2000;
  spec.lzf = true;
  write_hdf5(dir / "e.z", spec);
  std::string whole = chop::read_file(dir / "e.z");
  testing::write_bytes(dir / "e.z", whole.substr(0, whole.size() / 2));
  msg = error_of<DataError>([&] { jsc::read_file(dir / "e.z"); });
  EXPECT_NE(msg.find(dir / "e.z"), std::string::npos) << msg;

  testing::write_bytes(dir / "d.z", "not hdf5 at all");
  msg = error_of<DataError>([&] { jsc::read_file(dir / "d.z"); });
  EXPECT_NE(msg.find("not an HDF5 file"), std::string::npos) << msg;
}

// Every HDF5 handle the reader opens is closed on every path, errors included: LeakSanitizer
// cannot tell (tests/sanitizers/lsan.supp hides HDF5's own error-path leaks), so count them.
TEST(JscHdf5, NoHandleStaysOpenAfterAReadOrARefusal) {
  ScratchDir dir;
  FileSpec spec;
  write_hdf5(dir / "good.z", spec);
  jsc::read_file(dir / "good.z");
  spec.wrong_name = true;
  write_hdf5(dir / "wrong.z", spec);
  EXPECT_THROW(jsc::read_file(dir / "wrong.z"), DataError);
  spec = FileSpec{};
  spec.drop_member = true;
  write_hdf5(dir / "member.z", spec);
  EXPECT_THROW(jsc::read_file(dir / "member.z"), DataError);
  // The fuzzer's finding: a corrupt dataset header that H5Dopen2 refuses.
  const std::string corrupt =
      std::string(CHOP_SOURCE_DIR) + "/fuzz/corpus/hdf5/finding_corrupt_dataset_header";
  const std::string msg = error_of<DataError>([&] { jsc::read_file(corrupt); });
  EXPECT_NE(msg.find("'t_allpar_new' is not a readable dataset"), std::string::npos) << msg;
  // Flipped bytes anywhere: refused or read, and nothing left open either way.
  const std::string whole = chop::read_file(dir / "good.z");
  for (size_t at = 0; at < whole.size(); at += 97) {
    std::string bad = whole;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    testing::write_bytes(dir / "flip.z", bad);
    try {
      jsc::read_file(dir / "flip.z");
    } catch (const DataError&) {
    }
  }
  EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

std::string header_line(bool prefix, bool quoted) {
  std::string h;
  for (const auto& f : jsc::feature_names()) {
    std::string name = prefix ? f : f.substr(2);
    h += (quoted ? "\"" + name + "\"" : name) + ",";
  }
  return h + (quoted ? "\"class\"" : "class");
}

TEST(JscText, RealOpenMlRowsLoadWithChopsClassOrder) {
  std::string path = testing::shared_data("jsc/openml42468_first5_rows.csv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared/data/jsc missing";
  jsc::Table t = jsc::read_file(path);
  ASSERT_EQ(t.n, 5);
  EXPECT_EQ(t.y, (std::vector<int64_t>{0, 2, 4, 3, 2}));  // g, w, t, z, w -> g W t Z W
  EXPECT_FLOAT_EQ(t.x[0], -2.935125f);
  EXPECT_FLOAT_EQ(t.x[15], 75.0f);
  EXPECT_FLOAT_EQ(t.x[2 * 16 + 14], 162.144669f);
  // d2_a1_b1 == d2_b1 in the real rows
  for (int i = 0; i < 5; ++i) EXPECT_EQ(t.x[i * 16 + 6], t.x[i * 16 + 8]);
  DatasetOptions opt;
  opt.data_path = path;
  Splits s = load_dataset("jsc", opt);
  EXPECT_EQ(s.test.size(), 1);
  EXPECT_EQ(s.train.size() + s.val.size(), 4);
}

TEST(JscText, CsvVariantsAndArff) {
  ScratchDir dir;
  std::string body;
  const char* letters = "gqwzt";
  for (int i = 0; i < 12; ++i) {
    for (int j = 0; j < 16; ++j) body += std::to_string(i + j * 0.5) + ",";
    body += std::string("'") + letters[i % 5] + "'\n";
  }
  testing::write_bytes(dir / "a.csv", header_line(true, true) + "\r\n" + body);
  jsc::Table a = jsc::read_file(dir / "a.csv");
  ASSERT_EQ(a.n, 12);
  EXPECT_EQ(std::vector<int64_t>(a.y.begin(), a.y.begin() + 5),
            (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_FLOAT_EQ(a.x[3 * 16 + 2], 4.0f);

  std::string arff = "% OpenML 42468\n@RELATION hls4ml_lhc_jets_hlf\n\n";
  for (const auto& f : jsc::feature_names()) arff += "@ATTRIBUTE " + f.substr(2) + " NUMERIC\n";
  arff += "@ATTRIBUTE class {g,q,t,w,z}\n\n@DATA\n" + body;
  testing::write_bytes(dir / "b.arff", arff);
  jsc::Table b = jsc::read_file(dir / "b.arff");
  EXPECT_EQ(b.x, a.x);
  EXPECT_EQ(b.y, a.y);
}

TEST(JscText, MissingColumnBadClassAndBadNumberAreDataErrors) {
  ScratchDir dir;
  std::string h = header_line(false, false);
  std::string no_col = h;
  no_col.replace(no_col.find("d2_b2_mmdt"), 10, "d2_b3_mmdt");
  testing::write_bytes(dir / "a.csv", no_col + "\n");
  std::string msg = error_of<DataError>([&] { jsc::read_file(dir / "a.csv"); });
  EXPECT_NE(msg.find(dir / "a.csv"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing column(s) d2_b2_mmdt"), std::string::npos) << msg;

  std::string row = "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,";
  testing::write_bytes(dir / "b.csv", h + "\n" + row + "g\n" + row + "x\n");
  msg = error_of<DataError>([&] { jsc::read_file(dir / "b.csv"); });
  EXPECT_NE(msg.find("b.csv:3: class 'x'"), std::string::npos) << msg;

  testing::write_bytes(dir / "c.csv", h + "\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,abc,16,g\n");
  msg = error_of<DataError>([&] { jsc::read_file(dir / "c.csv"); });
  EXPECT_NE(msg.find("column mass_mmdt: 'abc' is not a number"), std::string::npos) << msg;

  testing::write_bytes(dir / "d.csv", h + "\n1,2,3\n");
  msg = error_of<DataError>([&] { jsc::read_file(dir / "d.csv"); });
  EXPECT_NE(msg.find("3 fields, the header has 17"), std::string::npos) << msg;

  testing::write_bytes(dir / "e.h5", h + "\n");
  msg = error_of<DataError>([&] { jsc::read_file(dir / "e.h5"); });
  EXPECT_NE(msg.find("HDF5 extension but is not an HDF5 file"), std::string::npos) << msg;

  DatasetOptions opt;
  opt.data_path = dir / "missing.csv";
  msg = error_of<DataError>([&] { load_dataset("jsc", opt); });
  EXPECT_NE(msg.find("does not exist"), std::string::npos) << msg;
  ScratchDir empty;
  opt.data_path = empty.str();
  msg = error_of<DataError>([&] { load_dataset("jsc", opt); });
  EXPECT_NE(msg.find("hls4ml_lhc_jets_hlf.csv"), std::string::npos) << msg;
}

}  // namespace
}  // namespace chop::data
