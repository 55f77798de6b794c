// Must-fail ONNX imports of models built here with libonnx, each the shape of an input the fuzzer
// found (fuzz/corpus/onnx): every one is refused with a typed error that names the node or tensor,
// never a raw std::map/vector or LibTorch text (the CLI's exit 70).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"
#include "interop/onnx_import.h"

namespace chop {
namespace {

/// A one-input (x: float [batch, 4]) one-output model at opset 13.
struct ModelBuilder {
  onnx::ModelProto model;
  onnx::GraphProto* graph = model.mutable_graph();

  ModelBuilder() {
    model.set_ir_version(7);
    model.add_opset_import()->set_version(13);
    graph->set_name("crafted");
    value_info(graph->add_input(), "x", {0, 4});
  }
  static void value_info(onnx::ValueInfoProto* v, const std::string& name,
                         std::initializer_list<int64_t> dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    bool first = true;
    for (int64_t d : dims) {
      auto* dim = t->mutable_shape()->add_dim();
      if (first)
        dim->set_dim_param("batch");
      else
        dim->set_dim_value(d);
      first = false;
    }
  }
  onnx::NodeProto* node(const std::string& op, const std::string& name,
                        std::initializer_list<std::string> inputs,
                        std::initializer_list<std::string> outputs) {
    onnx::NodeProto* n = graph->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return n;
  }
  void ints(onnx::NodeProto* n, const std::string& name, std::initializer_list<int64_t> values) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
  }
  void initializer(const std::string& name, std::initializer_list<int64_t> dims,
                   onnx::TensorProto::DataType type = onnx::TensorProto::FLOAT) {
    onnx::TensorProto* t = graph->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    int64_t n = 1;
    for (int64_t d : dims) {
      t->add_dims(d);
      n *= d;
    }
    for (int64_t k = 0; k < n; ++k) {
      if (type == onnx::TensorProto::FLOAT)
        t->add_float_data(1.0f);
      else
        t->add_int64_data(1);
    }
  }
  void output(const std::string& name) { value_info(graph->add_output(), name, {0, 4}); }

  /// Writes the model and imports it; the typed error's class and text ("no error" otherwise).
  std::string import_error(const std::string& file) {
    const std::string path = ::testing::TempDir() + "/" + file;
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      model.SerializeToOstream(&out);
    }
    try {
      interop::import_onnx(path);
    } catch (const UserError& e) {
      return std::string("user: ") + e.what();
    } catch (const DataError& e) {
      return std::string("data: ") + e.what();
    }
    return "no error";
  }
};

void expect_parts(const std::string& msg, std::initializer_list<const char*> parts) {
  for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg;
}

TEST(ImportCrafted, GraphOutputThatNoNodeProducesNamesTheOutputAndTheLastNode) {
  // The fuzzer's map::at: graph.output[0] renamed so that no node produces it.
  ModelBuilder m;
  m.node("Relu", "/act/Relu", {"x"}, {"h"});
  m.output("y");
  expect_parts(m.import_error("unproduced_output.onnx"),
               {"data: ", "unproduced_output.onnx", "graph output 'y'", "not produced by any node",
                "'/act/Relu' (Relu) outputs 'h'"});
}

TEST(ImportCrafted, TransposePermOutOfRangeNamesTheNode) {
  ModelBuilder m;
  m.ints(m.node("Transpose", "/t/Transpose", {"x"}, {"y"}), "perm", {0, 7});
  m.output("y");
  expect_parts(m.import_error("bad_perm.onnx"),
               {"user: ", "ONNX node '/t/Transpose' (Transpose, opset 13)",
                "perm [0,7] is not a permutation of 0..1"});
}

TEST(ImportCrafted, UnsqueezeNamingADimensionTwiceNamesTheNode) {
  ModelBuilder m;
  m.initializer("axes", {2}, onnx::TensorProto::INT64);
  m.graph->mutable_initializer(0)->set_int64_data(0, 2);
  m.graph->mutable_initializer(0)->set_int64_data(1, 2);
  m.node("Unsqueeze", "/u/Unsqueeze", {"x", "axes"}, {"y"});
  m.output("y");
  expect_parts(m.import_error("twice.onnx"),
               {"user: ", "'/u/Unsqueeze' (Unsqueeze, opset 13)", "name a dimension twice"});
}

TEST(ImportCrafted, AHugeDimensionAfterAZeroIsRefused) {
  // The fuzzer's untyped LibTorch errors: [0, 2^62] and [0, 2^31, 2^31] have no elements, but
  // LibTorch's strides for them overflow.
  ModelBuilder m;
  m.initializer("s", {0});
  m.graph->mutable_initializer(0)->add_dims(int64_t{1} << 62);
  m.node("Add", "/out/Add", {"x", "s"}, {"y"});
  m.output("y");
  expect_parts(m.import_error("zero_then_huge.onnx"),
               {"data: ", "initializer 's'", "tensor of more than 2^31 elements is refused"});
  m.graph->mutable_initializer(0)->set_dims(1, int64_t{1} << 31);
  m.graph->mutable_initializer(0)->add_dims(int64_t{1} << 31);
  expect_parts(m.import_error("zero_then_large.onnx"),
               {"data: ", "initializer 's'", "tensor of more than 2^31 elements is refused"});
}

TEST(ImportCrafted, AZeroConvStrideNamesTheNodeAndTheAttribute) {
  // The fuzzer's division by zero in the conv shape rule: attributes are range-checked first.
  ModelBuilder m;
  auto* dims = m.graph->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  dims->add_dim()->set_dim_value(8);  // x: batch x 4 x 8
  m.initializer("w", {2, 4, 3});
  onnx::NodeProto* conv = m.node("Conv", "/c/Conv", {"x", "w"}, {"y"});
  m.ints(conv, "kernel_shape", {3});
  m.ints(conv, "strides", {0});
  m.output("y");
  expect_parts(m.import_error("zero_stride.onnx"),
               {"user: ", "'/c/Conv' (Conv, opset 13)", "'stride'", "got [0]"});
}

TEST(ImportCrafted, ConstantsThatDoNotBroadcastNameTheFoldedNode) {
  // Folding evaluates the node with LibTorch; its refusal becomes the node's typed error.
  ModelBuilder m;
  m.initializer("a", {3});
  m.initializer("b", {5});
  m.node("Add", "/c/Add", {"a", "b"}, {"c"});
  m.node("Add", "/out/Add", {"x", "c"}, {"y"});
  m.output("y");
  expect_parts(m.import_error("no_broadcast.onnx"),
               {"user: ", "'/c/Add' (Add, opset 13)", "inputs are inconsistent"});
}

TEST(ImportCrafted, FoldingToAHugeConstantIsRefusedBeforeAllocating) {
  ModelBuilder m;
  m.initializer("shape", {2}, onnx::TensorProto::INT64);
  m.graph->mutable_initializer(0)->set_int64_data(0, int64_t{1} << 20);
  m.graph->mutable_initializer(0)->set_int64_data(1, int64_t{1} << 20);
  m.node("ConstantOfShape", "/big", {"shape"}, {"c"});
  m.node("Add", "/out/Add", {"x", "c"}, {"y"});
  m.output("y");
  expect_parts(m.import_error("huge_fold.onnx"),
               {"user: ", "'/big' (ConstantOfShape, opset 13)", "more than 16,777,216 values"});
}

TEST(ImportCrafted, AnAbsurdInputShapeIsRefusedBeforeAnySizeArithmetic) {
  ModelBuilder m;
  auto* dims = m.graph->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  dims->mutable_dim(1)->set_dim_value(int64_t{1} << 40);
  dims->add_dim()->set_dim_value(int64_t{1} << 40);
  m.node("Relu", "/act/Relu", {"x"}, {"y"});
  m.output("y");
  *m.graph->mutable_output(0)->mutable_type() = m.graph->input(0).type();
  expect_parts(m.import_error("huge_input.onnx"),
               {"data: ", "huge_input.onnx", "input 'x' (one sample of [-1,1099511627776,"});
}

}  // namespace
}  // namespace chop
