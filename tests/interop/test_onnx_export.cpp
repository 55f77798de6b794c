// ONNX / QONNX / QDQ export: every flavour passes onnx::checker (inside the writer), re-imports
// into chop with identical outputs and the same names, and refuses what it cannot express.
#include <gtest/gtest.h>

#include "core/error.h"
#include "graph/text.h"
#include "interop/export.h"
#include "interop/interop_test_util.h"
#include "interop/onnx_export.h"
#include "interop/onnx_import.h"
#include "models/zoo.h"
#include "passes/transforms/quantize.h"

namespace chop {
namespace {

using interop::OnnxFlavour;
using testing::fixture;

std::vector<std::string> names(const graph::Graph& g) {
  std::vector<std::string> out;
  for (const auto& n : g.nodes()) out.push_back(n.name);
  return out;
}

void expect_round_trip(graph::Graph& g, const at::Tensor& x, OnnxFlavour flavour,
                       const std::string& tag) {
  const std::string path = ::testing::TempDir() + "/" + tag + ".onnx";
  interop::export_onnx(g, path, flavour);
  graph::Graph back = interop::import_onnx(path);
  EXPECT_EQ(names(back), names(g)) << tag << "\n" << graph::print_graph(back);
  EXPECT_TRUE(at::equal(testing::run_graph(back, x), testing::run_graph(g, x))) << tag;
  for (const auto& n : g.nodes()) {
    const graph::Node* m = back.find(n.name);
    ASSERT_NE(m, nullptr) << tag << ": " << n.name;
    EXPECT_EQ(m->target, n.target) << tag;
    EXPECT_EQ(m->mase_op, n.mase_op) << tag;
  }
}

class ExportNetwork : public ::testing::TestWithParam<std::string> {};

TEST_P(ExportNetwork, FloatExportReimportsWithIdenticalOutputsAndNames) {
  graph::Graph g = interop::import_onnx(fixture(GetParam() + ".onnx"));
  const at::Tensor x = data::read_npy(fixture(GetParam() + "_x.npy"));
  expect_round_trip(g, x, OnnxFlavour::kFloat, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ExportNetwork,
                         ::testing::Values("jet_mlp", "res_mlp", "lenet", "res_cnn", "conv1d_net",
                                           "act_net", "tf2onnx_mlp", "ext_mlp", "ext_cnn",
                                           "deep_sets", "conv_ae"));

TEST(Export, ZooModelsRoundTrip) {
  for (const std::string name : {"jsc-s", "jsc-toy", "vgg7"}) {
    models::ModelOptions o;
    if (name == "vgg7") {
      o.image_input = true;
      o.n_classes = 10;
    }
    graph::Graph g = models::build_model(name, o);
    const at::Tensor x = name == "vgg7" ? at::randn({2, 3, 32, 32}) : at::randn({5, 16});
    expect_round_trip(g, x, OnnxFlavour::kFloat, name);
  }
}

graph::Json integer_config(int w, int f, bool with_out = false) {
  graph::Json c{{"name", "integer"},   {"data_in_width", w},         {"data_in_frac_width", f},
                {"weight_width", w},   {"weight_frac_width", f + 2}, {"bias_width", w},
                {"bias_frac_width", f}};
  if (with_out) {
    c["data_out_width"] = w;
    c["data_out_frac_width"] = f;
  }
  return c;
}

graph::Graph quantized_jet(int w) {
  graph::Graph g = interop::import_onnx(fixture("jet_mlp.onnx"));
  for (auto& n : g.nodes())
    if (n.mase_op == "linear") {
      n.quant = std::make_shared<graph::NodeQuant>();
      n.quant->config = integer_config(w, w / 2, n.name == "out");
    }
  passes::attach_quantizers(g);
  return g;
}

TEST(Export, QonnxAndQdqKeepChopsQuantizedOutputs) {
  const at::Tensor x = data::read_npy(fixture("jet_mlp_x.npy"));
  graph::Graph g8 = quantized_jet(8);
  expect_round_trip(g8, x, OnnxFlavour::kQonnx, "jet_q8_qonnx");
  expect_round_trip(g8, x, OnnxFlavour::kQdq, "jet_q8_qdq");
  graph::Graph g4 = quantized_jet(4);  // narrower than int8: Clip + QDQ
  expect_round_trip(g4, x, OnnxFlavour::kQdq, "jet_q4_qdq");
  graph::Graph qonnx = interop::import_onnx(fixture("qonnx_mlp.onnx"));
  expect_round_trip(qonnx, data::read_npy(fixture("qonnx_mlp_x.npy")), OnnxFlavour::kQonnx,
                    "qonnx_mlp");
  graph::Graph bin = interop::import_onnx(fixture("qonnx_binary.onnx"));
  expect_round_trip(bin, data::read_npy(fixture("qonnx_binary_x.npy")), OnnxFlavour::kQonnx,
                    "qonnx_binary");
}

std::string export_error(const graph::Graph& g, OnnxFlavour flavour) {
  try {
    interop::export_onnx(g, ::testing::TempDir() + "/bad.onnx", flavour);
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Export, WhatAFormatCannotExpressIsAClearError) {
  graph::Graph g12 = quantized_jet(12);
  EXPECT_NE(
      export_error(g12, OnnxFlavour::kQdq).find("has 12 bits; QuantizeLinear holds at most 8"),
      std::string::npos);
  graph::Graph mf = interop::import_onnx(fixture("jet_mlp.onnx"));
  graph::Node& fc1 = mf.node("fc1");
  fc1.quant = std::make_shared<graph::NodeQuant>();
  fc1.quant->config = {
      {"name", "minifloat_ieee"},         {"data_in_width", 8}, {"data_in_exponent_width", 4},
      {"data_in_exponent_bias", nullptr}, {"weight_width", 8},  {"weight_exponent_width", 4},
      {"weight_exponent_bias", nullptr}};
  passes::attach_quantizers(mf);
  const std::string msg = export_error(mf, OnnxFlavour::kQonnx);
  EXPECT_NE(msg.find("node fc1 (linear)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("minifloat_ieee"), std::string::npos) << msg;
  graph::Graph bin = interop::import_onnx(fixture("qonnx_binary.onnx"));
  EXPECT_NE(export_error(bin, OnnxFlavour::kQdq).find("not binary"), std::string::npos);
  EXPECT_THROW(interop::export_format("qonx"), UserError);
}

}  // namespace
}  // namespace chop
