// Checkpoint round trips, deterministic bytes, strict loading with named mismatches, and clear
// errors for truncated, corrupt, foreign or future-version files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "graph/text.h"
#include "models/zoo.h"
#include "train/checkpoint/ckpt_file.h"
#include "train/train_test_util.h"

namespace chop::checkpoint {
namespace {

using train::testing::TempDir;
namespace testing = train::testing;

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

graph::Graph trained_looking_jsc_s(uint64_t seed) {
  models::ModelOptions mo;
  mo.seed = seed;
  graph::Graph g = models::build_jsc_s(mo);
  at::NoGradGuard no_grad;
  for (auto& n : g.nodes())
    for (auto& [bn, t] : n.buffers)
      if (t.is_floating_point()) t.add_(0.25);  // buffers must travel too
  return g;
}

TEST(Checkpoint, RoundTripKeepsGraphTensorsAndMeta) {
  TempDir dir("roundtrip");
  graph::Graph g = trained_looking_jsc_s(1);
  std::string path = dir.path + "/sub/best.ckpt";
  nlohmann::ordered_json meta = {{"epoch", 3}, {"val_loss", 0.5}, {"dataset", "jsc"}};
  save_checkpoint(g, path, meta);
  CheckpointInfo info = read_checkpoint_info(path);
  EXPECT_EQ(info.format_version, kCheckpointFormatVersion);
  EXPECT_EQ(info.model, "jsc-s");
  EXPECT_EQ(info.graph_text, graph::print_graph(g));
  EXPECT_EQ(info.meta, meta);
  graph::Graph loaded = load_checkpoint(path);
  EXPECT_EQ(loaded.model_name(), "jsc-s");
  EXPECT_EQ(graph::print_graph(loaded), graph::print_graph(g));
  testing::expect_same_state(loaded, g);
  for (auto& [name, p] : loaded.named_parameters()) EXPECT_TRUE(p.requires_grad()) << name;

  graph::Graph other = models::build_jsc_s({});  // different seed: different values
  load_weights_into(other, path);
  testing::expect_same_state(other, g);
  // No temporary left behind by the atomic write.
  int n_files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path + "/sub")) {
    (void)e;
    ++n_files;
  }
  EXPECT_EQ(n_files, 1);
}

TEST(Checkpoint, BytesAreDeterministic) {
  TempDir dir("bytes");
  graph::Graph g = trained_looking_jsc_s(2);
  save_checkpoint(g, dir.path + "/a.ckpt", {{"epoch", 1}});
  save_checkpoint(g.clone(), dir.path + "/b.ckpt", {{"epoch", 1}});
  EXPECT_EQ(read_file(dir.path + "/a.ckpt"), read_file(dir.path + "/b.ckpt"));
}

TEST(Checkpoint, QuantConfigsSurviveInTheGraphText) {
  TempDir dir("quant");
  graph::Graph g = models::build_jsc_tiny({});
  auto q = std::make_shared<graph::NodeQuant>();
  q->config = {{"name", "integer"}, {"weight_width", 8}, {"weight_frac_width", 4}};
  g.node("seq_blocks_2").quant = q;
  save_checkpoint(g, dir.path + "/q.ckpt");
  graph::Graph loaded = load_checkpoint(dir.path + "/q.ckpt");
  ASSERT_TRUE(loaded.node("seq_blocks_2").is_quantized());
  EXPECT_EQ(loaded.node("seq_blocks_2").quant->config, q->config);
  EXPECT_FALSE(loaded.node("seq_blocks_2").quant->built());  // rebuilt by attach_quantizers
}

TEST(Checkpoint, WrongArchitectureNamesTheTensorAndShapes) {
  TempDir dir("arch");
  std::string path = dir.path + "/jsc_s.ckpt";
  save_checkpoint(models::build_jsc_s({}), path);

  models::ModelOptions four;
  four.n_classes = 4;
  graph::Graph g4 = models::build_jsc_s(four);
  graph::Graph before = g4.clone();
  std::string msg = message_of([&] { load_weights_into(g4, path); });
  EXPECT_NE(msg.find("module_list.11.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[5, 32]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4, 32]"), std::string::npos) << msg;
  testing::expect_same_state(g4, before);  // nothing copied on failure

  graph::Graph toy = models::build_jsc_toy({});
  msg = message_of([&] { load_weights_into(toy, path); });
  EXPECT_NE(msg.find("seq_blocks.0.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("jsc-s"), std::string::npos) << msg;
  EXPECT_THROW(load_weights_into(toy, path), UserError);
}

TEST(Checkpoint, ExtraTensorInCheckpointIsNamed) {
  TempDir dir("extra");
  models::ModelOptions mo;
  mo.hidden_features = {8, 8};
  save_checkpoint(models::build_mlp(mo), dir.path + "/mlp3.ckpt");
  mo.hidden_features = {8};
  graph::Graph small = models::build_mlp(mo);
  std::string msg = message_of([&] { load_weights_into(small, dir.path + "/mlp3.ckpt"); });
  // The smaller MLP's last layer has another index; either a missing or an extra tensor is named.
  EXPECT_NE(msg.find("seq_blocks."), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not fit model mlp"), std::string::npos) << msg;
}

TEST(Checkpoint, DamagedFilesGiveDataErrors) {
  TempDir dir("damaged");
  std::string path = dir.path + "/good.ckpt";
  save_checkpoint(models::build_jsc_s({}), path);
  std::string bytes = read_file(path);

  auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream(dir.path + "/" + name, std::ios::binary) << content;
    return dir.path + "/" + name;
  };
  std::string truncated = write("truncated.ckpt", bytes.substr(0, bytes.size() - 100));
  std::string msg = message_of([&] { load_checkpoint(truncated); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated.ckpt"), std::string::npos) << msg;
  EXPECT_THROW(load_checkpoint(truncated), DataError);

  std::string flipped = bytes;
  flipped[bytes.size() - 7] ^= 0x40;
  msg = message_of([&] { load_checkpoint(write("flipped.ckpt", flipped)); });
  EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;

  msg = message_of([&] { load_checkpoint(write("foreign.ckpt", "PK\x03\x04 a zip file")); });
  EXPECT_NE(msg.find("not a chop checkpoint"), std::string::npos) << msg;

  std::string future = bytes;
  future[8] = 99;
  msg = message_of([&] { load_checkpoint(write("future.ckpt", future)); });
  EXPECT_NE(msg.find("version 99"), std::string::npos) << msg;

  EXPECT_THROW(load_checkpoint(dir.path + "/missing.ckpt"), DataError);
  EXPECT_THROW(load_checkpoint(write("empty.ckpt", "")), DataError);
}

}  // namespace
}  // namespace chop::checkpoint
