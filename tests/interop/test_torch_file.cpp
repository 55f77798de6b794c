// PyTorch files without Python: torch.save'd state dicts (OrderedDict) and Lightning
// checkpoints with non-tensor objects load into imported graphs by name, strictly; chop's own
// state dicts go back to PyTorch.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "interop/interop_test_util.h"
#include "interop/onnx_import.h"
#include "interop/pickle_reader.h"
#include "interop/torch_file.h"

namespace chop {
namespace {

using interop::TorchLoadType;
using testing::fixture;

// Scrambles every parameter and buffer, so a load that does nothing cannot pass.
void scramble(graph::Graph& g) {
  at::NoGradGuard no_grad;
  for (auto& n : g.nodes())
    for (auto* list : {&n.params, &n.buffers})
      for (auto& [name, t] : *list)
        if (t.is_floating_point()) t.fill_(0.25);
}

class LoadNetwork : public ::testing::TestWithParam<std::string> {};

TEST_P(LoadNetwork, StateDictAndLightningCheckpointRestoreThePyTorchOutputs) {
  const std::string name = GetParam();
  const at::Tensor x = data::read_npy(fixture(name + "_x.npy"));
  const at::Tensor want = data::read_npy(fixture(name + "_y.npy"));
  for (const auto& [file, type] :
       std::vector<std::pair<std::string, TorchLoadType>>{{"_state.pt", TorchLoadType::kPt},
                                                          {"_pl.ckpt", TorchLoadType::kPl},
                                                          {"_pl.ckpt", TorchLoadType::kAuto}}) {
    graph::Graph g = interop::import_onnx(fixture(name + ".onnx"));
    scramble(g);
    ASSERT_GT(testing::max_abs_diff(testing::run_graph(g, x), want), 1e-3);
    interop::load_torch_weights(g, fixture(name + file), type);
    EXPECT_LE(testing::max_abs_diff(testing::run_graph(g, x), want), 1e-5) << file;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LoadNetwork,
                         ::testing::Values("jet_mlp", "res_mlp", "lenet", "res_cnn", "conv1d_net",
                                           "act_net", "ext_mlp", "ext_cnn", "deep_sets",
                                           "conv_ae"));

TEST(TorchFile, LightningCheckpointKeepsItsMetadataOutOfTheWay) {
  auto sd = interop::read_torch_state_dict(fixture("jet_mlp_pl.ckpt"), TorchLoadType::kAuto);
  EXPECT_NE(sd.what.find("Lightning checkpoint (epoch 9)"), std::string::npos);
  ASSERT_FALSE(sd.tensors.empty());
  EXPECT_EQ(sd.tensors.front().first, "input_bn.weight");  // "model." stripped
  bool has_nbt = false;
  for (const auto& [k, t] : sd.tensors) has_nbt |= k == "input_bn.num_batches_tracked";
  EXPECT_TRUE(has_nbt);
}

TEST(TorchFile, WrongMissingAndExtraTensorsAreNamed) {
  // lenet's state dict into jet_mlp: same layer names fc1/fc2, other shapes; others missing.
  graph::Graph g = interop::import_onnx(fixture("jet_mlp.onnx"));
  try {
    interop::load_torch_weights(g, fixture("lenet_state.pt"), TorchLoadType::kPt);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_NE(
        std::string(e.what()).find("'fc1.weight' is [32,128] in the file, [64,16] in node fc1"),
        std::string::npos)
        << e.what();
  }
  // A model with one layer fewer: the file has an extra tensor.
  graph::Graph res = interop::import_onnx(fixture("res_mlp.onnx"));
  interop::save_torch_state_dict(res, ::testing::TempDir() + "/res.pt");
  graph::Graph fewer = res.clone();
  fewer.nodes().erase(fewer.nodes().begin() + 1, fewer.nodes().begin() + 2);  // drop stem.0
  try {
    interop::load_torch_weights(fewer, ::testing::TempDir() + "/res.pt", TorchLoadType::kPt);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("the file has tensor 'stem.0.weight' [32,16]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("that the model does not have"), std::string::npos) << msg;
  }
  // Missing: a file without the last layer.
  graph::Graph jet = interop::import_onnx(fixture("jet_mlp.onnx"));
  graph::Graph jet_short = jet.clone();
  jet_short.nodes().erase(jet_short.nodes().end() - 2, jet_short.nodes().end() - 1);  // drop out
  interop::save_torch_state_dict(jet_short, ::testing::TempDir() + "/short.pt");
  try {
    interop::load_torch_weights(jet, ::testing::TempDir() + "/short.pt", TorchLoadType::kPt);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("the file has no tensor 'out.weight' [5,32] (node out)"),
              std::string::npos)
        << e.what();
  }
  // Same names, other shapes.
  at::NoGradGuard no_grad;
  graph::Graph wide = res.clone();
  *wide.nodes()[1].param("bias") = at::zeros({33});
  try {
    interop::load_torch_weights(wide, ::testing::TempDir() + "/res.pt", TorchLoadType::kPt);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("'stem.0.bias' is [32] in the file, [33] in node stem_0"),
              std::string::npos)
        << e.what();
  }
}

TEST(TorchFile, ChopStateDictRoundTrips) {
  graph::Graph g = interop::import_onnx(fixture("res_cnn.onnx"));
  const std::string path = ::testing::TempDir() + "/res_cnn_state.pt";
  interop::save_torch_state_dict(g, path);
  graph::Graph h = interop::import_onnx(fixture("res_cnn.onnx"));
  scramble(h);
  interop::load_torch_weights(h, path, TorchLoadType::kPt);
  const at::Tensor x = data::read_npy(fixture("res_cnn_x.npy"));
  EXPECT_TRUE(at::equal(testing::run_graph(g, x), testing::run_graph(h, x)));
}

TEST(TorchFile, BadFilesAreDataErrorsNamingTheFile) {
  const std::string dir = ::testing::TempDir();
  const std::string good = read_file(fixture("jet_mlp_pl.ckpt"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"missing.pt", ""},
      {"text.pt", "not a checkpoint"},
      {"legacy.pt", std::string("\x80\x02\x8a\x0a", 4) + "legacy"},
      {"truncated.ckpt", good.substr(0, good.size() / 2)},
      {"cut_head.ckpt", good.substr(0, 100)},
  };
  for (const auto& [name, bytes] : cases) {
    const std::string path = dir + "/" + name;
    std::filesystem::remove(path);
    if (name != "missing.pt") write_file_atomic(path, bytes);
    graph::Graph g = interop::import_onnx(fixture("jet_mlp.onnx"));
    try {
      interop::load_torch_weights(g, path, TorchLoadType::kAuto);
      FAIL() << name << ": expected an error";
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  // A corrupt byte inside data.pkl: still an error, never a crash.
  for (size_t at : {size_t{60}, good.size() / 3, good.size() - 30}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    const std::string path = dir + "/corrupt.ckpt";
    write_file_atomic(path, bad);
    graph::Graph g = interop::import_onnx(fixture("jet_mlp.onnx"));
    try {
      interop::load_torch_weights(g, path, TorchLoadType::kAuto);
    } catch (const Error&) {
    }
  }
}

// Writes `bytes` as dir/name and loads it: the DataError's message (which must name the file),
// or "<no error>".
std::string load_error(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + "/" + name;
  write_file_atomic(path, bytes);
  try {
    interop::read_torch_state_dict(path, TorchLoadType::kAuto);
  } catch (const DataError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    return msg;
  }
  return "<no error>";
}

// Archives LibTorch's reader constructor would throw on (and leak its zip reader on) are refused
// by chop first, each with a message naming the file and what is wrong.
TEST(TorchFile, ArchivesLibTorchCannotOpenAreRefusedBeforeItsReader) {
  const std::string good = read_file(fixture("jet_mlp_state.pt"));
  auto replace_all = [](std::string s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
      s.replace(at, from.size(), to);
    return s;
  };
  // Record names are not checksummed: rename the version record in both zip headers.
  EXPECT_NE(load_error("no_version.pt", replace_all(good, "/version", "/versioX"))
                .find("without a version record"),
            std::string::npos);
  // The fuzzer's finding: the version record's bytes no longer match their checksum.
  const std::string finding = read_file(std::string(CHOP_SOURCE_DIR) +
                                        "/fuzz/corpus/torch_file/finding_corrupt_version_record");
  EXPECT_NE(load_error("bad_version.pt", finding).find("version record is unreadable"),
            std::string::npos);
}

// A zip's central directory declares each record's size, and LibTorch's getRecord allocates it
// before reading a byte. A directory that declares more than the file can hold is refused first,
// naming the record (the fuzzer found 4 GiB declared in a few-KiB file).
TEST(TorchFile, RecordsDeclaringMoreThanTheFileHoldsAreRefusedBeforeAllocating) {
  const std::string dir = ::testing::TempDir();
  const std::string good = read_file(fixture("jet_mlp_state.pt"));
  auto put_u32 = [](std::string& s, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xffu);
  };
  // The central-directory entry of data.pkl: signature PK\1\2, sizes at +20 (compressed) and
  // +24 (uncompressed), the name at +46.
  size_t entry = std::string::npos;
  for (size_t at = good.find("PK\x01\x02"); at != std::string::npos;
       at = good.find("PK\x01\x02", at + 4))
    if (good.compare(at + 46, 22, "jet_mlp_state/data.pkl") == 0) {
      entry = at;
      break;
    }
  ASSERT_NE(entry, std::string::npos);
  std::string huge = good;
  put_u32(huge, entry + 24, 0xffffffffu);
  const std::string msg = load_error("huge_uncompressed.pt", huge);
  EXPECT_NE(msg.find("record 'jet_mlp_state/data.pkl' declares 4294967295 bytes"),
            std::string::npos)
      << msg;
  // The unaltered file still loads: the check refuses only what cannot be true.
  write_file_atomic(dir + "/good.pt", good);
  EXPECT_NO_THROW(interop::read_torch_state_dict(dir + "/good.pt", TorchLoadType::kAuto));
}

// A pickle can build a list that holds itself; shared_ptr would never free it. Returned: refused.
// Built and dropped: unlinked when the reader ends (the sanitizer stage's LeakSanitizer checks).
TEST(TorchFile, SelfReferentialPicklesAreRefusedOrFreed) {
  const interop::pickle::StorageLoader no_storage = [](const std::string&, at::ScalarType,
                                                       int64_t) -> at::Tensor {
    throw DataError("test", "no storages here");
  };
  // PROTO 2, EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP
  const std::string self_list = std::string("\x80\x02]q\x00h\x00", 7) + "a.";
  try {
    interop::pickle::unpickle(self_list, no_storage, "self.pkl");
    FAIL() << "expected an error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("contains itself"), std::string::npos) << e.what();
  }
  // ... then POP it and STOP on None: the cycle is garbage, the result is None.
  const std::string dropped = std::string("\x80\x02]q\x00h\x00", 7) + "a0N.";
  EXPECT_EQ(interop::pickle::unpickle(dropped, no_storage, "drop.pkl")->type,
            interop::pickle::Object::Type::kNone);
}

// A fuzz finding: opcodes that consume the stack in place left a MARK above it, and the next
// pop-to-mark built a vector from a reversed range (an untyped length_error, exit 70).
TEST(TorchFile, AMarkAboveTheStackIsRefused) {
  const std::string path =
      std::string(CHOP_SOURCE_DIR) + "/fuzz/corpus/torch_file/finding_mark_above_the_stack";
  for (const TorchLoadType type : {TorchLoadType::kAuto, TorchLoadType::kPl}) {
    try {
      interop::read_torch_state_dict(path, type);
      FAIL() << "expected an error";
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find("a MARK lies above the stack"), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace chop
