// Class-major logits (EngineOptions::class_major_logits): the head's output written transposed is
// the row-major output's transpose bit for bit (head widths 1-40, odd rows and depths, bias or
// none, fused ReLU, integer quantizers, every ISA), only when nothing else reads the logits, and
// evaluate() gives the same numbers bit for bit from either layout.
#include <gtest/gtest.h>

#include <cstring>

#include "engine_test_util.h"
#include "graph/builder.h"
#include "train/evaluate.h"

namespace chop::engine {
namespace {

using namespace testing;
using graph::GraphBuilder;

std::unique_ptr<Engine> inference(graph::Graph& g, int64_t in, int64_t rows, bool class_major,
                                  Isa isa) {
  EngineOptions o;
  o.training = false;
  o.max_rows = rows;
  o.isa = isa;
  o.class_major_logits = class_major;
  std::string why;
  auto e = Engine::compile(g, {in}, o, &why);
  EXPECT_TRUE(e) << why;
  return e;
}

std::vector<Isa> isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512})
    if (isa_supported(isa)) out.push_back(isa);
  return out;
}

// Forward of `rows` rows both ways; expects the class-major one to be the transpose, bit for bit.
void expect_transpose(graph::Graph& g, int64_t in, int64_t out, int64_t rows, Isa isa,
                      uint64_t seed) {
  SCOPED_TRACE("in " + std::to_string(in) + " out " + std::to_string(out) + " rows " +
               std::to_string(rows) + " isa " + isa_name(isa));
  const at::Tensor x = randn({rows, in}, seed, 3.0).contiguous();
  auto rm = inference(g, in, rows, false, isa), cm = inference(g, in, rows, true, isa);
  ASSERT_TRUE(rm && cm);
  EXPECT_FALSE(rm->logits_class_major());
  ASSERT_TRUE(cm->logits_class_major());
  const float* a = rm->forward(x.data_ptr<float>(), nullptr, rows);
  const float* b = cm->forward(x.data_ptr<float>(), nullptr, rows);
  int64_t differ = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < out; ++c)
      differ += std::memcmp(a + r * out + c, b + c * rows + r, sizeof(float)) != 0;
  EXPECT_EQ(differ, 0);
  // And the row-major forward agrees with ATen's own operators (the engine tests' reference).
  const at::Tensor want = aten_forward(g, x, false);
  const at::Tensor got = at::from_blob(const_cast<float*>(b), {out, rows}, at::kFloat).t();
  EXPECT_LT(rel_err(got, want), 1e-5);
}

graph::Graph head(int64_t in, int64_t out, bool bias, bool relu) {
  GraphBuilder b("head", 3);
  std::string x = b.input("x", {in});
  x = b.module("fc", "linear", x, Json{{"in_features", in}, {"out_features", out}, {"bias", bias}});
  if (relu) x = b.module("act", "relu", x);
  return b.finish(x);
}

TEST(EngineClassMajor, HeadOutputIsTheRowMajorTransposeBitForBit) {
  uint64_t seed = 1;
  for (Isa isa : isas())
    for (int64_t out : {1, 2, 3, 5, 8, 9, 16, 17, 20, 40})  // 40: W kept transposed
      for (int64_t in : {3, 16, 33})
        for (bool bias : {true, false})
          for (bool relu : {true, false}) {
            graph::Graph g = head(in, out, bias, relu);
            for (int64_t rows : {1, 7, 8, 9, 33, 261})
              expect_transpose(g, in, out, rows, isa, ++seed);
          }
}

TEST(EngineClassMajor, IntegerQuantizedHeadWithAndWithoutOutputQuantizer) {
  uint64_t seed = 100;
  for (Isa isa : isas())
    for (int64_t out : {5, 40})
      for (bool with_out : {false, true}) {
        graph::Graph g = head(16, out, true, !with_out);
        Json cfg = integer_linear(8, 3, 6, 4, 8, 5);
        if (with_out) {
          cfg["data_out_width"] = 8;
          cfg["data_out_frac_width"] = 3;
        }
        quantize_node(g, "fc", cfg);
        for (int64_t rows : {5, 64, 259}) expect_transpose(g, 16, out, rows, isa, ++seed);
      }
}

TEST(EngineClassMajor, StaysRowMajorWhenSomethingElseProducesOrReadsTheLogits) {
  // The linear's output also read by an add: the add writes the logits, and offers nothing.
  GraphBuilder b("shared", 3);
  std::string x = b.input("x", {12});
  std::string h = b.module("fc", "linear", x, Json{{"in_features", 12}, {"out_features", 12}});
  std::string r = b.module("act", "relu", h);
  graph::Graph g = b.finish(b.function("add", "add", {r, h}));
  EXPECT_FALSE(inference(g, 12, 9, true, default_isa())->logits_class_major());
  // A training plan never writes them class-major (its loss reads rows).
  graph::Graph t = head(12, 5, true, true);
  EngineOptions o;
  o.max_rows = 9;
  o.class_major_logits = true;
  std::string why;
  auto e = Engine::compile(t, {12}, o, &why);
  ASSERT_TRUE(e) << why;
  EXPECT_FALSE(e->logits_class_major());
}

TEST(EngineClassMajor, EvaluateGivesTheSameNumbersFromEitherLayout) {
  for (int64_t out : {1, 5, 13}) {
    graph::Graph g = head(16, out, true, true);
    quantize_node(g, "fc", integer_linear(8, 3, 6, 4, 8, 5));
    const int64_t n = 1000 + out;  // a short last batch
    data::TensorDataset d{randn({n, 16}, 7 + out, 2.0), labels(n, out, 8 + out)};
    for (int64_t batch : {64, 100}) {
      auto rm = inference(g, 16, 300, false, default_isa());
      auto cm = inference(g, 16, 300, true, default_isa());
      ASSERT_TRUE(rm && cm && cm->logits_class_major());
      const train::EvalResult a = train::evaluate(*rm, d, batch, 0);
      const train::EvalResult b2 = train::evaluate(*cm, d, batch, 0);
      EXPECT_EQ(std::memcmp(&a.loss, &b2.loss, sizeof(double)), 0) << a.loss << " " << b2.loss;
      EXPECT_EQ(a.accuracy, b2.accuracy);
      EXPECT_EQ(a.n_samples, b2.n_samples);
      // compile_for_evaluation asks for the class-major layout.
      std::string why;
      auto ce = train::compile_for_evaluation(g, d, batch, 0, at::kCPU, &why);
      ASSERT_TRUE(ce) << why;
      EXPECT_TRUE(ce->logits_class_major());
    }
  }
}

}  // namespace
}  // namespace chop::engine
