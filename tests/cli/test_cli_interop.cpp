// `chop infer` / `chop export` / `--load` of PyTorch files / an .onnx path as MODEL, end to end
// through the binary (and `chop infer --bit-exact` against the fake-quantized path), with
// must-fail cases: one clear error line, a non-zero exit, no crash.
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
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

// Runs tests/interop/check_export.py with Debian's python3 (python3-onnx, python3-torch).
testing::ChopRun run_check(const std::string& args) {
  const std::string cmd = "/usr/bin/python3 " +
                          q(std::string(CHOP_SOURCE_DIR) + "/tests/interop/check_export.py") + " " +
                          args + " 2>&1";
  testing::ChopRun r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
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
                     {"'/act/Hardmax' (Hardmax, opset 13)"});
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

TEST(CliExport, FloatExportsPassTheCheckerAndComputePyTorchsOutputs) {
  for (const std::string name : {"jet_mlp", "res_mlp", "lenet", "res_cnn", "conv1d_net", "act_net",
                                 "tf2onnx_mlp", "ext_mlp", "ext_cnn", "deep_sets", "conv_ae"}) {
    const std::string out = scratch(name + "_export.onnx");
    auto r = run_chop("export " + q(fixture(name + ".onnx")) + " --format onnx --output " + q(out));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto c = run_check("onnx " + q(out) + " " + q(fixture(name + "_x.npy")) + " " +
                       q(fixture(name + "_y.npy")) + " 1e-5");
    EXPECT_EQ(c.exit_code, 0) << name << ": " << c.output;
  }
}

TEST(CliExport, StateDictLoadsStrictlyIntoThePyTorchModule) {
  for (const std::string name :
       {"jet_mlp", "res_cnn", "act_net", "ext_cnn", "deep_sets", "conv_ae"}) {
    const std::string out = scratch(name + "_export.pt");
    // Through a Lightning checkpoint, so chop's reading and writing are both exercised.
    auto r = run_chop("export " + q(fixture(name + ".onnx")) + " --load " +
                      q(fixture(name + "_pl.ckpt")) +
                      " --load-type pl --format state_dict --output " + q(out));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto c = run_check("state_dict " + q(out) + " " + name + " " + q(fixture(name + "_x.npy")) +
                       " " + q(fixture(name + "_y.npy")) + " 1e-5");
    EXPECT_EQ(c.exit_code, 0) << name << ": " << c.output;
  }
}

std::string quantize_toml(int width) {
  const std::string path = scratch("quant" + std::to_string(width) + ".toml");
  const std::string w = std::to_string(width), f = std::to_string(width / 2);
  write_file_atomic(path,
                    "[passes.quantize]\nby = \"type\"\n[passes.quantize.default.config]\n"
                    "name = \"NA\"\n[passes.quantize.linear.config]\nname = \"integer\"\n"
                    "data_in_width = " +
                        w + "\ndata_in_frac_width = " + f + "\nweight_width = " + w +
                        "\nweight_frac_width = " + f + "\nbias_width = " + w +
                        "\nbias_frac_width = " + f +
                        "\n"
                        "[passes.quantize.relu.config]\nname = \"integer\"\ndata_in_width = " +
                        w + "\ndata_in_frac_width = " + f + "\n");
  return path;
}

TEST(CliExport, QuantizedExportsEqualChopsFakeQuantizedOutputs) {
  // res_mlp quantized by a TOML: chop's own outputs vs the numpy reference of the export.
  for (int width : {8, 4}) {
    const std::string cfg = quantize_toml(width);
    const std::string chop_y = scratch("res_mlp_q_y.npy");
    auto r = run_chop("infer " + q(fixture("res_mlp.onnx")) + " --config " + q(cfg) + " --input " +
                      q(fixture("res_mlp_x.npy")) + " --output " + q(chop_y));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_GT(
        testing::max_abs_diff(data::read_npy(chop_y), data::read_npy(fixture("res_mlp_y.npy"))),
        1e-4);  // quantization changed something
    for (const std::string format : {"qonnx", "qdq"}) {
      const std::string out = scratch("res_mlp_q" + std::to_string(width) + "_" + format + ".onnx");
      r = run_chop("export " + q(fixture("res_mlp.onnx")) + " --config " + q(cfg) + " --format " +
                   format + " --output " + q(out));
      ASSERT_EQ(r.exit_code, 0) << r.output;
      auto c = run_check("onnx " + q(out) + " " + q(fixture("res_mlp_x.npy")) + " " + q(chop_y) +
                         " 1e-6");
      EXPECT_EQ(c.exit_code, 0) << format << " " << width << ": " << c.output;
    }
  }
  expect_clear_error("export " + q(fixture("res_mlp.onnx")) + " --config " + q(quantize_toml(12)) +
                         " --format qdq --output " + q(scratch("bad.onnx")),
                     {"has 12 bits", "use --format qonnx"});
  expect_clear_error(
      "export " + q(fixture("res_mlp.onnx")) + " --format onnxx --output " + q(scratch("bad.onnx")),
      {"unknown export format 'onnxx'", "did you mean 'onnx'"});
}

TEST(CliModels, TrainAndTestAnImportedModel) {
  const std::string dir = scratch("train_project");
  fs::remove_all(dir);
  auto r = run_chop("train " + q(fixture("res_mlp.onnx")) +
                    " jsc --max-epochs 2 --dataset-size 6000 --batch-size 256 --learning-rate 1e-2 "
                    "--project-dir " +
                    q(dir) + " --project res");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string best = dir + "/res/software/training_ckpts/best.ckpt";
  ASSERT_TRUE(fs::exists(best)) << r.output;
  r = run_chop("test " + q(fixture("res_mlp.onnx")) + " jsc --dataset-size 6000 --load " + q(best));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("test_acc_epoch"), std::string::npos);
  // MASE's lab command with a Lightning checkpoint.
  r = run_chop("test " + q(fixture("res_mlp.onnx")) + " jsc --dataset-size 6000 --load " +
               q(fixture("res_mlp_pl.ckpt")) + " --load-type pl");
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

// Every analysis pass (FLOPs, BitOPs, EBOPs, fixed-point ranges, FPGA estimates) runs on every
// imported network, scalar constant operands and the new ops included.
TEST(CliModels, AnalyzeEveryImportedNetwork) {
  for (const std::string name : {"jet_mlp", "res_mlp", "lenet", "res_cnn", "conv1d_net", "act_net",
                                 "tf2onnx_mlp", "ext_mlp", "ext_cnn", "deep_sets", "conv_ae"}) {
    auto r = run_chop("analyze " + q(fixture(name + ".onnx")));
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
    EXPECT_NE(r.output.find("FLOPs:"), std::string::npos) << name;
  }
}

// GELU (Erf), SELU, ELU, Softplus, Hardsigmoid, maximum/minimum, div, pow and log_softmax train
// on the LibTorch path (the fused engine says once that it falls back) and learn.
TEST(CliModels, TrainAnImportedModelWithTheNewActivations) {
  const std::string dir = scratch("train_ext_project");
  fs::remove_all(dir);
  auto r = run_chop("train " + q(fixture("ext_mlp.onnx")) +
                    " jsc --max-epochs 2 --dataset-size 4000 --batch-size 256 --learning-rate 1e-2 "
                    "--project-dir " +
                    q(dir) + " --project ext");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("runs on the LibTorch path"), std::string::npos) << r.output;
  const std::string best = dir + "/ext/software/training_ckpts/best.ckpt";
  ASSERT_TRUE(fs::exists(best)) << r.output;
  r = run_chop("test " + q(fixture("ext_mlp.onnx")) + " jsc --dataset-size 4000 --load " + q(best));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("test_acc_epoch"), std::string::npos);
}

std::string search_toml(const std::string& model, const std::string& space) {
  const std::string path = scratch("search_" + fs::path(model).stem().string() + ".toml");
  std::string text = "model = " + q(model) + "\ndataset = \"jsc\"\nbatch_size = 256\nseed = 3\n";
  if (space == "ptq") {
    // A by-name PTQ search over the imported jet tagger's layers (fx names from the ONNX file).
    text +=
        "[search.search_space]\nname = \"graph/quantize/mixed_precision_ptq\"\n"
        "[search.search_space.setup]\nby = \"name\"\n"
        "[search.search_space.seed.default.config]\nname = [\"NA\"]\n";
    for (const std::string node : {"fc1", "fc2", "fc3", "out"})
      text += "[search.search_space.seed." + node +
              ".config]\nname = [\"integer\"]\ndata_in_width = [6, 8]\ndata_in_frac_width = [3, "
              "4]\nweight_width = [4, 8]\nweight_frac_width = [\"NA\"]\nbias_width = [8]\n"
              "bias_frac_width = [4]\n";
    text +=
        "[search.strategy]\nname = \"optuna\"\neval_mode = true\n"
        "[search.strategy.sw_runner.basic_evaluation]\nnum_samples = 512\n"
        "[search.strategy.hw_runner.average_bitwidth]\ncompare_to = 32\n"
        "[search.strategy.setup]\nn_jobs = 1\nn_trials = 8\ntimeout = 20000\n"
        "sampler = \"tpe\"\nsum_scaled_metrics = false\n"
        "[search.strategy.metrics.accuracy]\nscale = 1.0\ndirection = \"maximize\"\n"
        "[search.strategy.metrics.average_bitwidth]\nscale = 1.0\ndirection = \"minimize\"\n";
  } else {
    // A NAS search resizing the residual MLP's layers (the residual adds tie widths).
    text +=
        "[search.search_space]\nname = \"graph/architecture/channel_multiplier\"\n"
        "[search.search_space.setup]\nmode = \"per_layer\"\n"
        "[search.search_space.seed.default.config]\nchannel_multiplier = [0.5, 1, 2]\n"
        "[search.strategy]\nname = \"optuna\"\neval_mode = false\n"
        "[search.strategy.sw_runner.basic_train]\nmax_epochs = 1\nlearning_rate = 1e-2\n"
        "[search.strategy.hw_runner.model_size]\n"
        "[search.strategy.setup]\nn_jobs = 1\nn_trials = 4\ntimeout = 20000\n"
        "sampler = \"random\"\nsum_scaled_metrics = true\ndirection = \"maximize\"\n"
        "[search.strategy.metrics]\naccuracy.scale = 1.0\n";
  }
  write_file_atomic(path, text);
  return path;
}

TEST(CliSearch, ByNamePtqSearchOnAnImportedModelExportsCheckedQonnx) {
  const std::string dir = scratch("ptq_project");
  fs::remove_all(dir);
  auto r = run_chop("search --config " + q(search_toml(fixture("jet_mlp.onnx"), "ptq")) +
                    " --load " + q(fixture("jet_mlp_pl.ckpt")) +
                    " --load-type pl --dataset-size 4000 --export-best qonnx --project-dir " +
                    q(dir) + " --project ptq");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string exports = dir + "/ptq/software/search_ckpts/best_export";
  int checked = 0;
  for (const auto& e : fs::directory_iterator(exports)) {
    // chop's outputs of the exported model (a re-import equals the searched graph: see
    // test_onnx_export) against the numpy reference of QONNX's Quant op.
    const std::string chop_y = scratch("ptq_chop_y.npy");
    auto i = run_chop("infer " + q(e.path().string()) + " --input " + q(fixture("jet_mlp_x.npy")) +
                      " --output " + q(chop_y));
    ASSERT_EQ(i.exit_code, 0) << i.output;
    auto c = run_check("onnx " + q(e.path().string()) + " " + q(fixture("jet_mlp_x.npy")) + " " +
                       q(chop_y) + " 1e-6");
    EXPECT_EQ(c.exit_code, 0) << e.path() << ": " << c.output;
    EXPECT_GT(
        testing::max_abs_diff(data::read_npy(chop_y), data::read_npy(fixture("jet_mlp_y.npy"))),
        1e-5)
        << "the searched model should be quantized";
    ++checked;
  }
  EXPECT_GT(checked, 0) << r.output;
}

TEST(CliSearch, NasSearchResizesAnImportedResidualModel) {
  const std::string dir = scratch("nas_project");
  fs::remove_all(dir);
  auto r = run_chop("search --config " + q(search_toml(fixture("res_mlp.onnx"), "nas")) +
                    " --dataset-size 3000 --export-best onnx --project-dir " + q(dir) +
                    " --project nas");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("FAIL"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("no --load checkpoint given"), std::string::npos) << r.output;
  const std::string exports = dir + "/nas/software/search_ckpts/best_export";
  for (const auto& e : fs::directory_iterator(exports)) {
    auto a = run_chop("analyze " + q(e.path().string()));
    EXPECT_EQ(a.exit_code, 0) << a.output;
  }
}

// The number N in "... N output values differ ..." of `chop infer --bit-exact`'s summary.
int64_t reported_mismatches(const std::string& output) {
  const std::string tail = " output values differ from the fake-quantized float32 path";
  const size_t end = output.find(tail);
  if (end == std::string::npos) return -1;
  size_t begin = end;
  while (begin > 0 &&
         (std::isdigit(static_cast<unsigned char>(output[begin - 1])) || output[begin - 1] == ','))
    --begin;
  std::string digits;
  for (size_t i = begin; i < end; ++i)
    if (output[i] != ',') digits += output[i];
  return digits.empty() ? -1 : std::stoll(digits);
}

// 512 jet-like samples (16 features), so wide accumulators have room to round in float32.
std::string many_jet_samples() {
  const std::string path = scratch("jet_many_x.npy");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  write_file_atomic(path, data::npy_bytes(at::randn({512, 16}, gen) * 3));
  return path;
}

TEST(CliInfer, BitExactEngineEqualsTheFakeQuantizedPathAndCountsWhereItDoesNot) {
  const std::string x = many_jet_samples();
  // 8 and 4 bits: res_mlp (BatchNorm, residual add) runs all-integer and equals the float path;
  // 24 bits (12 fractional): products carry 24 fractional bits, accumulators pass float32's 24
  // bits, and the engine counts exactly the output values where the fake-quantized float32
  // outputs differ from its own (at 16 bits they still fit: 20 bits seen).
  for (int width : {8, 4, 24}) {
    SCOPED_TRACE(width);
    const std::string cfg = quantize_toml(width);
    const std::string fake = scratch("res_mlp_fake.npy"), exact = scratch("res_mlp_exact.npy");
    const std::string args = "infer " + q(fixture("res_mlp.onnx")) + " --config " + q(cfg) +
                             " --input " + q(x) + " --batch-size 100 --output ";
    auto r = run_chop(args + q(fake));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run_chop(args + q(exact) + " --bit-exact");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("integer MAC"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("0 format overflows"), std::string::npos) << r.output;
    const at::Tensor yf = data::read_npy(fake), ye = data::read_npy(exact);
    ASSERT_EQ(yf.sizes(), ye.sizes());
    const int64_t differ = yf.ne(ye).sum().item<int64_t>();
    if (width <= 8) {
      EXPECT_EQ(reported_mismatches(r.output), 0) << r.output;
      EXPECT_EQ(differ, 0) << r.output;
      EXPECT_NE(r.output.find("(the float32 path is exact here)"), std::string::npos) << r.output;
    } else {
      // Where float32 rounds, two float32 runs may round differently (summation order), so the
      // engine's count (against its own float32 run) and this file's need not agree exactly;
      // both see rounding, and it stays small.
      EXPECT_GT(reported_mismatches(r.output), 0) << r.output;
      EXPECT_GT(differ, 0) << r.output;  // a test that float32 really rounds here
      EXPECT_LE(testing::max_abs_diff(yf, ye), 1e-3);
    }
  }
}

TEST(CliInfer, BitExactMistakesAreClearErrors) {
  fs::remove(scratch("be.npy"));
  const std::string base = "infer " + q(fixture("res_mlp.onnx")) + " --input " +
                           q(fixture("res_mlp_x.npy")) + " --output " + q(scratch("be.npy"));
  // Nothing is integer-quantized: the engine would only run the float path.
  expect_clear_error(base + " --bit-exact", {"integer"});
  expect_clear_error(base + " --rounding truncate", {"--rounding", "add --bit-exact"});
  expect_clear_error(base + " --config " + q(quantize_toml(8)) + " --bit-exact --rounding down",
                     {"unknown --rounding 'down'", "half_even"});
  expect_clear_error(base + " --config " + q(quantize_toml(8)) + " --bit-exact --overflow clip",
                     {"unknown --overflow 'clip'", "saturate"});
  EXPECT_FALSE(fs::exists(scratch("be.npy")));  // nothing half-written
}

}  // namespace
}  // namespace chop
