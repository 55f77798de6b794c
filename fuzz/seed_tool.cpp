// Writes the binary seed inputs of the fuzz corpus (fuzz/make_seeds.sh runs it): small, valid
// JSC HDF5 files (plain and LZF-chunked), MNIST IDX pairs (raw and gzip), a CIFAR-10 batch and an
// exported NPY folder — each as one fuzz input (files joined by readers.h's separator).
#include <hdf5.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/files.h"
#include "data/hdf5_lzf.h"
#include "data/jsc.h"
#include "data/npy.h"
#include "data/registry.h"
#include "fuzz/readers.h"

namespace {

using namespace chop;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string join_files(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? fuzz::kFileSeparator : "") + parts[i];
  return out;
}

std::string hdf5_seed(const std::string& tmp, int64_t n, bool lzf) {
  data::ensure_hdf5_filters();
  const char* labels[5] = {"j_g", "j_q", "j_w", "j_z", "j_t"};
  std::vector<std::string> members = data::jsc::feature_names();
  for (const char* l : labels) members.push_back(l);
  const size_t row = 4 * members.size();
  hid_t ftype = H5Tcreate(H5T_COMPOUND, row);
  for (size_t k = 0; k < members.size(); ++k)
    H5Tinsert(ftype, members[k].c_str(), 4 * k, k >= 16 ? H5T_STD_I32LE : H5T_IEEE_F32LE);
  std::vector<char> buf(row * n);
  for (int64_t i = 0; i < n; ++i)
    for (size_t k = 0; k < members.size(); ++k) {
      char* cell = &buf[i * row + 4 * k];
      if (k >= 16) {
        int32_t v = (static_cast<int64_t>(k) - 16 == i % 5) ? 1 : 0;
        std::memcpy(cell, &v, 4);
      } else {
        float v = static_cast<float>(i) * 0.5f + static_cast<float>(k);
        std::memcpy(cell, &v, 4);
      }
    }
  hid_t file = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dims = static_cast<hsize_t>(n);
  hid_t space = H5Screate_simple(1, &dims, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (lzf) {
    hsize_t chunk = 4;
    H5Pset_chunk(dcpl, 1, &chunk);
    H5Pset_filter(dcpl, data::kLzfFilterId, H5Z_FLAG_OPTIONAL, 0, nullptr);
  }
  hid_t dset = H5Dcreate2(file, "t_allpar_new", ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dwrite(dset, ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
  H5Dclose(dset);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Tclose(ftype);
  H5Fclose(file);
  return read_file(tmp);
}

std::string gzip(const std::string& raw) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, raw.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string idx(const std::vector<uint32_t>& dims, uint8_t fill_step) {
  std::string b = {0, 0, 8, static_cast<char>(dims.size())};
  size_t n = 1;
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b += static_cast<char>((d >> s) & 0xff);
    n *= d;
  }
  for (size_t i = 0; i < n; ++i) b += static_cast<char>((i * fill_step) % 10);
  return b;
}

std::string cifar(int records) {
  std::string b;
  for (int r = 0; r < records; ++r) {
    b += static_cast<char>(r % 10);
    for (int k = 0; k < 3072; ++k) b += static_cast<char>((k * 7 + r) & 0xff);
  }
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: seed_tool OUT_CORPUS_DIR\n");
    return 2;
  }
  const std::string out = argv[1];
  const std::string tmp = out + "/.tmp.h5";
  auto put = [&](const std::string& reader, const std::string& name, const std::string& bytes) {
    make_dirs(out + "/" + reader);
    write_bytes(out + "/" + reader + "/" + name, bytes);
  };
  put("hdf5", "plain_8_rows", hdf5_seed(tmp, 8, false));
  put("hdf5", "lzf_9_rows", hdf5_seed(tmp, 9, true));
  std::remove(tmp.c_str());
  const std::string images = idx({3, 28, 28}, 3), labels = idx({3}, 1);
  put("idx", "raw_3_images", join_files({images, labels}));
  put("idx", "gzip_3_images", join_files({gzip(images), gzip(labels)}));
  put("cifar", "three_records", cifar(3));
  // An export of toy_tiny (4 rows per split) as chop writes it.
  data::DatasetOptions o;
  o.n_samples = 4;
  data::Splits s = data::load_toy_tiny(o);
  const std::string dir = out + "/.npy_export";
  data::export_npy(s, dir);
  std::vector<std::string> parts;
  for (const char* f : {"X_train.npy", "y_train.npy", "X_val.npy", "y_val.npy", "X_test.npy",
                        "y_test.npy", "dataset.json"})
    parts.push_back(read_file(dir + "/" + f));
  put("npy", "toy_tiny_export", join_files(parts));
  for (const char* f : {"X_train.npy", "y_train.npy", "X_val.npy", "y_val.npy", "X_test.npy",
                        "y_test.npy", "dataset.json"})
    std::remove((dir + "/" + f).c_str());
  std::remove(dir.c_str());
  return 0;
}
