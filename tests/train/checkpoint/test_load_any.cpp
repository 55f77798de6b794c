// load_any: every --load format is recognised from the file itself and read by its own reader;
// missing paths, FIFOs, weights-only files without a model and damaged files stay refused.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "interop/torch_file.h"
#include "models/zoo.h"
#include "train/checkpoint/ckpt_file.h"
#include "train/checkpoint/load_any.h"
#include "train/checkpoint/transform_folder.h"
#include "train/train_test_util.h"

namespace chop::checkpoint {
namespace {

namespace fs = std::filesystem;

struct Files {
  std::string dir, ckpt, folder, torch;
};

// The three formats, each holding jsc-tiny's weights from seed 3.
Files write_all(const graph::Graph& g, const std::string& name) {
  Files f;
  f.dir = ::testing::TempDir() + "/chop_load_any_" + name;
  fs::remove_all(f.dir);
  fs::create_directories(f.dir);
  f.ckpt = f.dir + "/best.ckpt";
  f.folder = f.dir + "/transformed_ckpt";
  f.torch = f.dir + "/state_dict.pt";
  save_checkpoint(g, f.ckpt);
  save_transform_folder(g, f.folder);
  save_checkpoint(g, f.folder + "/transformed.ckpt");
  interop::save_torch_state_dict(g, f.torch);
  return f;
}

graph::Graph tiny(uint64_t seed) {
  models::ModelOptions o;
  o.seed = seed;
  return models::build_model("jsc-tiny", o);
}

TEST(LoadAny, SniffsEachFormatFromTheFile) {
  const Files f = write_all(tiny(3), "sniff");
  EXPECT_EQ(sniff(f.ckpt), Format::kCkpt);
  EXPECT_EQ(sniff(f.folder), Format::kTransformFolder);
  EXPECT_EQ(sniff(f.torch), Format::kTorchFile);
  // The name says nothing: a .ckpt-named PyTorch file is a PyTorch file.
  fs::copy_file(f.torch, f.dir + "/renamed.ckpt");
  EXPECT_EQ(sniff(f.dir + "/renamed.ckpt"), Format::kTorchFile);
}

TEST(LoadAny, EveryFormatGivesTheSameWeights) {
  const graph::Graph saved = tiny(3);
  const Files f = write_all(saved, "weights");
  for (const std::string& path : {f.ckpt, f.folder, f.torch}) {
    SCOPED_TRACE(path);
    graph::Graph g = tiny(4);
    load_weights_any(g, path);
    train::testing::expect_same_state(g, saved);
    graph::Graph built = tiny(5);
    Loaded loaded = load_any(path, &built);
    train::testing::expect_same_state(loaded.graph, saved);
    EXPECT_EQ(loaded.format, sniff(path));
  }
}

TEST(LoadAny, GraphlessFilesNeedAModelAndBadPathsAreRefused) {
  const Files f = write_all(tiny(3), "refused");
  EXPECT_THROW(load_any(f.torch, nullptr), UserError);
  EXPECT_EQ(load_any(f.ckpt, nullptr).graph.model_name(), "jsc-tiny");
  graph::Graph g = tiny(4);
  EXPECT_THROW(load_weights_any(g, f.dir + "/missing.ckpt"), DataError);
  const std::string fifo = f.dir + "/pipe.ckpt";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW(sniff(fifo), DataError);  // refused before anything opens it
  EXPECT_THROW(load_any(fifo, &g), DataError);
  // A folder that is no transform folder; a damaged .ckpt; a folder whose digest is gone.
  fs::create_directories(f.dir + "/empty");
  EXPECT_THROW(load_weights_any(g, f.dir + "/empty"), DataError);
  EXPECT_THROW(load_any(f.dir + "/empty", &g), DataError);
  std::string bytes = read_file(f.ckpt);
  bytes[bytes.size() / 2] ^= 0x5a;
  write_file_atomic(f.ckpt, bytes);
  EXPECT_THROW(load_any(f.ckpt, &g), DataError);
  fs::remove(f.folder + "/digest.json");
  EXPECT_THROW(load_any(f.folder, &g), DataError);
}

}  // namespace
}  // namespace chop::checkpoint
