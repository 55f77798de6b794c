// NPY v1.0 bytes, read-back, and the six-file export read by numpy and by mase_peer.py.
#include <gtest/gtest.h>

#include <zlib.h>

#include <filesystem>

#include "core/error.h"
#include "data/npy.h"
#include "data/registry.h"
#include "test_util.h"

namespace chop::data {
namespace {

using testing::ScratchDir;

TEST(Npy, HeaderIsV1LittleEndianAndAligned) {
  at::Tensor t = at::arange(12, at::kFloat).reshape({3, 4});
  std::string b = npy_bytes(t);
  ASSERT_GE(b.size(), 10u);
  EXPECT_EQ(b.substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_EQ(b[6], '\x01');
  EXPECT_EQ(b[7], '\x00');
  size_t header_len = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  std::string header = b.substr(10, header_len);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'fortran_order': False"), std::string::npos);
  EXPECT_NE(header.find("'shape': (3, 4)"), std::string::npos) << header;
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(b.size(), 10 + header_len + 48);
  std::string one_d = npy_bytes(at::arange(5, at::kLong));
  EXPECT_NE(one_d.find("'descr': '<i8'"), std::string::npos);
  EXPECT_NE(one_d.find("'shape': (5,)"), std::string::npos);
}

TEST(Npy, RoundTripAndTruncation) {
  ScratchDir dir;
  at::Tensor x = at::randn({7, 1, 2, 3});
  testing::write_bytes(dir / "x.npy", npy_bytes(x));
  at::Tensor back = read_npy(dir / "x.npy");
  EXPECT_TRUE(at::equal(back, x));
  std::string b = npy_bytes(at::arange(9, at::kLong));
  testing::write_bytes(dir / "cut.npy", b.substr(0, b.size() - 3));
  EXPECT_THROW(read_npy(dir / "cut.npy"), DataError);
  testing::write_bytes(dir / "junk.npy", "hello world");
  EXPECT_THROW(read_npy(dir / "junk.npy"), DataError);
}

TEST(Npy, ExportWritesSixArraysAndInfoAtomically) {
  ScratchDir dir;
  DatasetOptions opt;
  opt.n_samples = 50;
  Splits s = load_toy_tiny(opt);
  export_npy(s, dir / "out");
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir / "out")) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"X_test.npy", "X_train.npy", "X_val.npy",
                                             "dataset.json", "y_test.npy", "y_train.npy",
                                             "y_val.npy"}));  // and no temporaries
  Splits back = load_npy_dir(dir / "out");
  EXPECT_TRUE(at::equal(back.train.x, s.train.x));
  EXPECT_TRUE(at::equal(back.val.y, s.val.y));
  EXPECT_TRUE(at::equal(back.test.x, s.test.x));
  EXPECT_EQ(back.info.name, "toy_tiny");
  EXPECT_EQ(back.info.n_classes, 2);
  EXPECT_EQ(back.info.input_shape, (std::vector<int64_t>{1, 2, 2}));
}

TEST(Npy, NumpyReadsTheExportExactly) {
  if (!testing::have_python_numpy()) GTEST_SKIP() << "no /usr/bin/python3 with numpy";
  ScratchDir dir;
  DatasetOptions opt;
  opt.n_samples = 2000;
  Splits s = load_dataset("jsc", opt);
  export_npy(s, dir.str());
  // numpy prints dtype, shape and the CRC-32 of each array's bytes; compare with the tensors.
  std::string out = testing::run_capture(
      "/usr/bin/python3 -c \"import numpy as np,sys,zlib\n"
      "for n in ['X_train','y_train','X_val','y_val','X_test','y_test']:\n"
      "  a=np.load(sys.argv[1]+'/'+n+'.npy'); "
      "print(n,a.dtype.str,a.shape,zlib.crc32(a.tobytes()))\" " +
      dir.str());
  auto line = [](const std::string& name, const at::Tensor& t, const char* dtype) {
    at::Tensor c = t.contiguous();
    uLong crc = crc32(0L, static_cast<const Bytef*>(c.data_ptr()),
                      static_cast<uInt>(c.numel() * c.element_size()));
    std::string shape = "(" + std::to_string(t.size(0)) +
                        (t.dim() == 2 ? ", " + std::to_string(t.size(1)) : ",") + ")";
    return name + " " + dtype + " " + shape + " " + std::to_string(crc);
  };
  EXPECT_NE(out.find(line("X_train", s.train.x, "<f4")), std::string::npos) << out;
  EXPECT_NE(out.find(line("y_train", s.train.y, "<i8")), std::string::npos) << out;
  EXPECT_NE(out.find(line("X_val", s.val.x, "<f4")), std::string::npos) << out;
  EXPECT_NE(out.find(line("y_val", s.val.y, "<i8")), std::string::npos) << out;
  EXPECT_NE(out.find(line("X_test", s.test.x, "<f4")), std::string::npos) << out;
  EXPECT_NE(out.find(line("y_test", s.test.y, "<i8")), std::string::npos) << out;
}

TEST(Npy, MasePeerLoadsExportedMnistIdenticallyToItsOwnReader) {
  std::string peer = std::string(CHOP_SHARED_DIR) + "/peers/mase_peer.py";
  if (!testing::have_python_numpy() || !std::filesystem::exists(peer) ||
      !std::filesystem::exists(testing::shared_data("mnist/t10k-images-idx3-ubyte.gz"))) {
    GTEST_SKIP() << "needs python3+numpy, mase_peer.py and shared/data/mnist";
  }
  if (std::system("/usr/bin/python3 -c 'import torch, optuna' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "mase_peer.py needs python3-torch and python3-optuna";
  }
  ScratchDir dir;
  DatasetOptions opt;
  opt.data_path = testing::shared_data("mnist");
  opt.flatten = true;
  export_npy(load_dataset("mnist", opt), dir.str());
  std::string out = testing::run_capture(
      "cd " + std::string(CHOP_SHARED_DIR) +
      // PEER_BLAS=reference: the peer would re-exec itself for OpenBLAS, which `-c` cannot.
      "/peers && PEER_BLAS=reference /usr/bin/python3 -c \"import numpy as np,sys\n"
      "import mase_peer as p\n"
      "a=p.load_data('mnist:'+sys.argv[1],2000); b=p.load_data('npy:'+sys.argv[2],2000)\n"
      "print('SAME' if all(np.array_equal(u,v) for s,t in zip(a,b) for u,v in zip(s,t)) else "
      "'DIFF')\" " +
      opt.data_path + " " + dir.str() + " 2>&1");
  EXPECT_NE(out.find("SAME"), std::string::npos) << out;
}

}  // namespace
}  // namespace chop::data
