// Transform folders: graph.txt + node_meta.toml + state.pt round trip with quantizers rebuilt.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "interop/torch_file.h"
#include "passes/common.h"
#include "passes/registry.h"
#include "runtime/executor.h"
#include "train/checkpoint/transform_folder.h"

namespace chop::checkpoint {
using passes::PassContext;
namespace testing = passes::testing;
using Json = nlohmann::ordered_json;
namespace {

TEST(TransformFolder, RoundTripKeepsLogitsAndMetadata) {
  graph::Graph g = testing::zoo("jsc-toy");
  PassContext ctx = testing::context(8);
  Json q = Json::parse(R"({"by": "type", "default": {"config": {"name": null}},
    "linear": {"config": {"name": "integer", "data_in_width": 8, "data_in_frac_width": null,
                          "weight_width": 4, "weight_frac_width": 2}}})");
  run_pass("quantize", g, q, ctx);
  run_pass("add_software_metadata", g, Json::object(), ctx);
  std::string dir = ::testing::TempDir() + "/chop_ckpt_test";
  std::filesystem::remove_all(dir);
  TransformFolderPaths p = save_transform_folder(g, dir);
  for (const auto& f : {p.graph, p.node_meta, p.state}) EXPECT_TRUE(std::filesystem::exists(f));
  std::string meta = read_file(p.node_meta);
  EXPECT_NE(meta.find("[seq_blocks_2.common.args.weight]"), std::string::npos) << meta;
  EXPECT_NE(meta.find("'NA'"), std::string::npos) << meta;  // data_in frac_width: None
  graph::Graph back = load_transform_folder(dir);
  EXPECT_EQ(back.node("seq_blocks_2").meta["common"]["args"]["weight"]["precision"],
            Json::array({4, 2}));
  EXPECT_TRUE(
      back.node("seq_blocks_2").meta["common"]["args"]["data_in_0"]["precision"][1].is_null());
  ASSERT_TRUE(back.node("seq_blocks_8").quant && back.node("seq_blocks_8").quant->built());
  at::NoGradGuard ng;
  at::manual_seed(5);
  at::Tensor x = at::randn({4, 16});
  EXPECT_TRUE(at::equal(runtime::forward(g, x), runtime::forward(back, x)));
}

TEST(TransformFolder, MismatchedStateIsADataError) {
  graph::Graph tiny = testing::zoo("jsc-tiny");
  std::string path = ::testing::TempDir() + "/chop_state_tiny.pt";
  interop::save_torch_state_dict(tiny, path);
  graph::Graph toy = testing::zoo("jsc-toy");
  EXPECT_THROW(interop::load_pickled_state_dict(toy, read_file(path), path), DataError);
  EXPECT_THROW(load_transform_folder(::testing::TempDir() + "/no_such_ckpt"), DataError);
}

}  // namespace
}  // namespace chop::checkpoint
