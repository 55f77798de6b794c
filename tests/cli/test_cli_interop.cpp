// `chop infer` / `chop export` / `--load` of PyTorch files / an .onnx path as MODEL, end to end
// through the binary, with must-fail cases: one clear error line, a non-zero exit, no crash.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/run_chop.h"
#include "core/files.h"
#include "interop/interop_test_util.h"

namespace chop {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::run_chop;

std::string q(const std::string& s) {
  return "'" + s + "'";
}

std::string scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "chop_cli_interop";
  fs::create_directories(dir);
  return (dir / name).string();
}

void expect_clear_error(const std::string& args, const std::vector<std::string>& parts) {
  auto r = run_chop(args);
  EXPECT_NE(r.exit_code, 0) << args << "\n" << r.output;
  EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
  for (const auto& p : parts)
    EXPECT_NE(r.output.find(p), std::string::npos) << args << "\n" << r.output;
  EXPECT_FALSE(testing::looks_like_crash(r.output)) << r.output;
}

TEST(CliInfer, OnnxModelsMatchPyTorch) {
  for (const std::string name : {"jet_mlp", "res_cnn", "conv1d_net", "qonnx_mlp"}) {
    const std::string out = scratch(name + "_y.npy");
    auto r = run_chop("infer " + q(fixture(name + ".onnx")) + " --input " +
                      q(fixture(name + "_x.npy")) + " --output " + q(out) + " --batch-size 3");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_LE(testing::max_abs_diff(data::read_npy(out), data::read_npy(fixture(name + "_y.npy"))),
              1e-5)
        << name;
  }
}

TEST(CliInfer, LightningCheckpointIntoTheImportedModel) {
  const std::string out = scratch("res_mlp_pl_y.npy");
  auto r =
      run_chop("infer " + q(fixture("res_mlp.onnx")) + " --load " + q(fixture("res_mlp_pl.ckpt")) +
               " --load-type pl --input " + q(fixture("res_mlp_x.npy")) + " --output " + q(out));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LE(testing::max_abs_diff(data::read_npy(out), data::read_npy(fixture("res_mlp_y.npy"))),
            1e-5);
}

TEST(CliInfer, BadInputsAreClearErrors) {
  expect_clear_error("infer " + q(fixture("lenet.onnx")) + " --input " +
                         q(fixture("jet_mlp_x.npy")) + " --output " + q(scratch("x.npy")),
                     {"samples of shape [16]", "[1,28,28]"});
  expect_clear_error("infer " + q(fixture("jet_mlp.onnx")) + " --output " + q(scratch("x.npy")),
                     {"--input"});
  expect_clear_error("infer " + q(fixture("jet_mlp.onnx")) + " --input " +
                         q(fixture("missing.npy")) + " --output " + q(scratch("x.npy")),
                     {"missing.npy"});
  expect_clear_error("infer " + q(fixture("bad_op.onnx")) + " --input " +
                         q(fixture("jet_mlp_x.npy")) + " --output " + q(scratch("x.npy")),
                     {"'/act/Erf' (Erf, opset 13)"});
  expect_clear_error("infer " + q(fixture("jet_mlp.onnx")) + " --load " +
                         q(fixture("lenet_state.pt")) + " --input " + q(fixture("jet_mlp_x.npy")) +
                         " --output " + q(scratch("x.npy")),
                     {"'fc1.weight' is [32,128] in the file, [64,16] in node fc1"});
}

TEST(CliModels, OnnxModelOnAMismatchedDataSetIsAClearError) {
  expect_clear_error("train " + q(fixture("lenet.onnx")) + " jsc --max-epochs 1 --dataset-size 500",
                     {"takes inputs of shape [1,28,28]", "data set jsc has samples of shape [16]"});
  expect_clear_error("analyze " + q(fixture("bad_dynamic.onnx")),
                     {"dimension 1 is dynamic ('seq')"});
  expect_clear_error("analyze " + q(fixture("no_such_model.onnx")), {"no_such_model.onnx"});
}

}  // namespace
}  // namespace chop
