// ONNX import of the fixture networks (tools/gen_onnx_fixtures.py): chop's outputs equal
// PyTorch's, names and parameters follow the PyTorch modules, and bad files fail clearly.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"

#include <algorithm>
#include <cctype>
#include <set>
#include "graph/text.h"
#include "interop/interop_test_util.h"
#include "interop/onnx_import.h"

namespace chop {
namespace {

using testing::fixture;

class ImportNetwork : public ::testing::TestWithParam<std::string> {};

TEST_P(ImportNetwork, OutputsEqualPyTorch) {
  const std::string name = GetParam();
  graph::Graph g = interop::import_onnx(fixture(name + ".onnx"));
  at::Tensor x = data::read_npy(fixture(name + "_x.npy"));
  at::Tensor want = data::read_npy(fixture(name + "_y.npy"));
  at::Tensor got = testing::run_graph(g, x);
  ASSERT_EQ(got.sizes(), want.sizes()) << graph::print_graph(g);
  EXPECT_LE(testing::max_abs_diff(got, want), 1e-5) << graph::print_graph(g);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ImportNetwork,
                         ::testing::Values("jet_mlp", "res_mlp", "lenet", "res_cnn", "conv1d_net",
                                           "act_net", "tf2onnx_mlp", "qonnx_mlp", "qonnx_binary",
                                           "ext_mlp", "ext_cnn", "deep_sets", "conv_ae"));

}  // namespace
}  // namespace chop

namespace chop {
namespace {

using testing::fixture;

std::string import_error(const std::string& path) {
  try {
    interop::import_onnx(path);
  } catch (const UserError& e) {
    return std::string("user: ") + e.what();
  } catch (const DataError& e) {
    return std::string("data: ") + e.what();
  }
  return "no error";
}

void expect_error(const std::string& file, const std::vector<std::string>& parts) {
  const std::string msg = import_error(fixture(file));
  for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << file << ": " << msg;
}

TEST(ImportErrors, UnsupportedOpNamesNodeOpOpsetAndWhatIsSupported) {
  expect_error("bad_op.onnx", {"user: ", "ONNX node '/act/Hardmax' (Hardmax, opset 13)",
                               "op Hardmax is not supported", "chop imports Gemm, MatMul"});
  // torch.onnx writes nn.PixelShuffle as DepthToSpace, which chop does not import.
  expect_error("bad_pixel_shuffle.onnx",
               {"user: ", "(DepthToSpace, opset 13)", "op DepthToSpace is not supported",
                "chop list onnx-ops"});
}

TEST(ImportErrors, UnsupportedAttributesAndValues) {
  expect_error("bad_attr.onnx", {"user: ", "'/conv/Conv' (Conv, opset 13)", "auto_pad = SAME_UPPER",
                                 "explicit pads"});
  expect_error("bad_pads.onnx", {"user: ", "'/conv/Conv'", "asymmetric padding [0,0,1,1]"});
  expect_error("bad_transpose.onnx", {"user: ", "'/Transpose' (Transpose, opset 13)",
                                      "changes the memory layout", "--inputs-as-nchw"});
  expect_error("bad_reshape.onnx", {"user: ", "'/Reshape'", "mixes samples of the batch"});
  expect_error("bad_qonnx_scale.onnx",
               {"user: ", "(qonnx.custom_op.general:Quant, opset 13)", "not a power of two"});
}

TEST(ImportErrors, WhatTheActivationAndReductionOpsCannotExpressIsNamed) {
  expect_error("bad_selu.onnx",
               {"user: ", "'/act/Selu' (Selu, opset 13)", "attribute alpha = 2", "PyTorch's SELU"});
  expect_error("bad_reduce_batch.onnx", {"user: ", "'/ReduceMean' (ReduceMean, opset 13)",
                                         "reduces over dimension 0, the batch"});
  expect_error("bad_reduce_all.onnx", {"user: ", "'/ReduceSum' (ReduceSum, opset 13)",
                                       "reduces over every dimension", "no axes"});
  expect_error("bad_prelu.onnx", {"user: ", "'/act/PRelu' (PRelu, opset 13)",
                                  "slope of shape [8] on an input of shape [-1,4,8]",
                                  "one per channel (dimension 1)"});
  expect_error("bad_upsample.onnx", {"user: ", "'/1/Resize' (Resize, opset 13)",
                                     "attribute mode = linear is not supported", "nearest"});
  expect_error("bad_conv_transpose.onnx",
               {"user: ", "'/dec/ConvTranspose' (ConvTranspose, opset 13)",
                "attribute 'output_shape' is not supported"});
  expect_error("bad_pow.onnx",
               {"user: ", "'/Pow' (Pow, opset 13)", "exponent (input 1", "computed at run time"});
}

TEST(ImportOps, UsersActivationsAndReductionsBecomeChopOps) {
  auto ops = [](const graph::Graph& g) {
    std::vector<std::string> out;
    for (const auto& n : g.nodes()) out.push_back(n.mase_op);
    return out;
  };
  auto has = [](const std::vector<std::string>& v, const std::string& op) {
    return std::find(v.begin(), v.end(), op) != v.end();
  };
  const auto mlp = ops(interop::import_onnx(fixture("ext_mlp.onnx")));
  for (const char* op : {"gelu", "erf", "div", "selu", "elu", "softplus", "hardsigmoid", "maximum",
                         "minimum", "pow", "log_softmax", "abs", "neg", "exp", "log"})
    EXPECT_TRUE(has(mlp, op)) << op;
  // nn.GELU's five ONNX nodes are one gelu (named after its module), erf appears once.
  graph::Graph mlp_g = interop::import_onnx(fixture("ext_mlp.onnx"));
  EXPECT_EQ(mlp_g.node("act1").mase_op, "gelu");
  EXPECT_EQ(std::count(mlp.begin(), mlp.end(), "erf"), 1);
  // F.hardswish at opset 13 (HardSigmoid + Mul) is one hardswish; x.mean(dim=(2, 3)) is
  // global average pooling + flatten; the PReLU weight keeps PyTorch's name and shape.
  graph::Graph cnn = interop::import_onnx(fixture("ext_cnn.onnx"));
  const auto c = ops(cnn);
  EXPECT_TRUE(has(c, "hardswish"));
  EXPECT_FALSE(has(c, "hardsigmoid"));
  EXPECT_FALSE(has(c, "mul"));
  EXPECT_TRUE(has(c, "adaptive_avg_pool2d"));
  EXPECT_TRUE(has(c, "flatten"));
  EXPECT_TRUE(has(c, "amax"));
  EXPECT_EQ(cnn.node("act").mase_op, "prelu");
  EXPECT_EQ(cnn.node("act").param("weight")->sizes().vec(), std::vector<int64_t>{8});
  graph::Graph sets = interop::import_onnx(fixture("deep_sets.onnx"));
  const auto d = ops(sets);
  for (const char* op : {"prelu", "hardswish", "sum", "mean", "adaptive_avg_pool1d", "amin"})
    EXPECT_TRUE(has(d, op)) << op;
  EXPECT_EQ(sets.node("act").param("weight")->numel(), 1);
  // A transposed convolution keeps PyTorch's weight layout; nn.Upsample is one upsample node.
  graph::Graph ae = interop::import_onnx(fixture("conv_ae.onnx"));
  EXPECT_EQ(ae.node("dec").mase_op, "conv_transpose2d");
  EXPECT_EQ(ae.node("dec").param("weight")->sizes().vec(), (std::vector<int64_t>{4, 4, 3, 3}));
  EXPECT_EQ(ae.node("dec").attrs["output_padding"], graph::Json({1, 1}));
  EXPECT_EQ(ae.node("up").mase_op, "upsample");
  EXPECT_EQ(ae.node("up").attrs["scale_factor"], graph::Json({2, 2}));
}

// Every parameter of the networks with the new ops gets a finite, non-zero gradient (PReLU's
// slope, ConvTranspose's weight, through GELU, upsample, reductions and pooling).
TEST(ImportOps, NewOpsBackPropagateToEveryParameter) {
  for (const std::string name : {"ext_mlp", "ext_cnn", "deep_sets", "conv_ae"}) {
    graph::Graph g = interop::import_onnx(fixture(name + ".onnx"));
    const at::Tensor x = data::read_npy(fixture(name + "_x.npy"));
    runtime::RunOptions train;
    train.training = true;
    runtime::forward(g, x, train).pow(2).sum().backward();
    for (auto& n : g.nodes())
      for (auto& [pname, t] : n.params) {
        ASSERT_TRUE(t.grad().defined()) << name << ": " << n.name << "." << pname;
        EXPECT_TRUE(at::isfinite(t.grad()).all().item<bool>()) << name << ": " << n.name;
        EXPECT_GT(t.grad().abs().sum().item<double>(), 0) << name << ": " << n.name << "." << pname;
      }
  }
}

TEST(ImportOps, EveryImportedOpIsInTheDocsTable) {
  // The words of the first column of docs/interop.md's op table ("| Relu, LeakyRelu |").
  const std::string docs = read_file(std::string(CHOP_SOURCE_DIR) + "/docs/interop.md");
  const size_t begin = docs.find("## The op table");
  ASSERT_NE(begin, std::string::npos);
  const std::string table = docs.substr(begin, docs.find("\n## ", begin + 1) - begin);
  std::set<std::string> words;
  for (const auto& line : split(table, '\n')) {
    if (line.rfind("| ", 0) != 0) continue;
    std::string word;
    for (char ch : line.substr(2, line.find('|', 1) - 2) + " ") {
      if (std::isalnum(static_cast<unsigned char>(ch))) {
        word += ch;
      } else if (!word.empty()) {
        words.insert(word);
        word.clear();
      }
    }
  }
  for (const auto& op : interop::supported_onnx_ops()) {
    if (!op.domain.empty()) continue;
    EXPECT_TRUE(words.count(op.op_type))
        << op.op_type << " is missing from docs/interop.md's op table";
  }
}

TEST(ImportErrors, DynamicShapesOtherThanTheBatchAndSeveralInputs) {
  expect_error("bad_dynamic.onnx",
               {"user: ", "input 'x' dimension 1 is dynamic ('seq')", "dynamic batch"});
  expect_error("bad_two_inputs.onnx", {"user: ", "takes 2 inputs (x, x2)", "exactly one input"});
}

TEST(ImportErrors, MissingEmptyTruncatedAndCorruptFilesAreDataErrors) {
  EXPECT_NE(import_error(fixture("no_such.onnx")).find("data: "), std::string::npos);
  const std::string dir = ::testing::TempDir();
  const std::string good = read_file(fixture("res_mlp.onnx"));
  auto check = [&](const std::string& name, const std::string& bytes) {
    const std::string path = dir + "/" + name;
    write_file_atomic(path, bytes);
    const std::string msg = import_error(path);
    EXPECT_NE(msg.find("data: " + path), std::string::npos) << name << ": " << msg;
  };
  check("empty.onnx", "");
  check("text.onnx", "this is not a protobuf");
  // Truncated anywhere: the protobuf, the checker or the initializer sizes catch it.
  for (size_t cut :
       {size_t{1}, size_t{20}, good.size() / 5, good.size() / 2, good.size() - 40, good.size() - 1})
    check("cut_" + std::to_string(cut) + ".onnx", good.substr(0, cut));
  // Flipped bytes: an error of some kind or an import, never a crash.
  for (size_t at : {size_t{40}, good.size() / 3, good.size() - 100}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x7f);
    write_file_atomic(dir + "/flip.onnx", bad);
    try {
      interop::import_onnx(dir + "/flip.onnx");
    } catch (const Error&) {
    }
  }
}

TEST(ImportNames, FxNamesAndStateDictNamesFollowThePyTorchModules) {
  graph::Graph g = interop::import_onnx(fixture("res_mlp.onnx"));
  std::vector<std::string> names;
  for (const auto& n : g.nodes()) names.push_back(n.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"x", "stem_0", "stem_1", "stem_2", "blocks_0_fc",
                                      "blocks_0_bn", "blocks_0_act", "add", "blocks_1_fc",
                                      "blocks_1_bn", "blocks_1_act", "add_1", "head", "output"}));
  EXPECT_EQ(g.node("blocks_0_fc").target, "blocks.0.fc");
  EXPECT_EQ(g.node("blocks_0_fc").op, graph::FxOp::kCallModule);
  EXPECT_EQ(g.node("add").op, graph::FxOp::kCallFunction);
  EXPECT_EQ(g.node("stem_1").mase_op, "batch_norm1d");
  EXPECT_EQ(g.node("stem_1").mase_type, "module");
  EXPECT_EQ(g.node("stem_1").attrs["momentum"].get<double>(), 0.1);
  EXPECT_EQ(g.node("stem_1").attrs["eps"].get<double>(), 1e-5);
  std::vector<std::string> keys;
  for (const auto& [k, t] : g.state_dict()) keys.push_back(k);
  EXPECT_EQ(keys.front(), "stem.0.weight");
  EXPECT_NE(std::find(keys.begin(), keys.end(), "blocks.1.bn.running_var"), keys.end());
  // tf2onnx: module paths from the node names, fused MatMul + Add.
  graph::Graph tf = interop::import_onnx(fixture("tf2onnx_mlp.onnx"));
  EXPECT_EQ(tf.node("sequential_dense").mase_op, "linear");
  EXPECT_NE(tf.node("sequential_dense").param("bias"), nullptr);
}

TEST(ImportQonnx, QuantNodesBecomeChopQuantizerConfigs) {
  graph::Graph g = interop::import_onnx(fixture("qonnx_mlp.onnx"));
  const auto& fc1 = g.node("fc1").quant->config;
  EXPECT_EQ(fc1["name"], "integer");
  EXPECT_EQ(fc1["data_in_width"], 8);
  EXPECT_EQ(fc1["data_in_frac_width"], 4);
  EXPECT_EQ(fc1["weight_width"], 8);
  EXPECT_EQ(fc1["weight_frac_width"], 6);
  EXPECT_EQ(fc1["weight_narrow"], true);
  EXPECT_EQ(fc1["bias_width"], 16);
  const auto& fc2 = g.node("fc2").quant->config;
  EXPECT_EQ(fc2["data_in_width"], 4);
  EXPECT_EQ(fc2["data_in_signed"], false);
  EXPECT_EQ(fc2["data_out_width"], 12);  // the Quant on the graph output
  graph::Graph b = interop::import_onnx(fixture("qonnx_binary.onnx"));
  EXPECT_EQ(b.nodes()[1].quant->config["name"], "binary");
  EXPECT_EQ(b.nodes()[1].quant->config["weight_bipolar"], true);
}

}  // namespace
}  // namespace chop
