// Study definitions (strategy/study_definition.h): equal runs give equal definitions and
// digests whatever the key order or file names, and each kind of change is named readably.
#include <gtest/gtest.h>

#include "strategy/study_definition.h"

namespace chop::strategy {
namespace {

StudyDefinitionParts ptq_parts() {
  StudyDefinitionParts p;
  p.search_space = Json::parse(R"({"name": "graph/quantize/mixed_precision_ptq",
      "setup": {"by": "type"},
      "seed": {"linear": {"config": {"name": ["integer"], "weight_width": [2, 4, 8]}}}})");
  p.params = {{"linear/config/name", {Json("integer")}},
              {"linear/config/weight_width", {Json(2), Json(4), Json(8)}}};
  p.model = {{"name", "jsc-tiny"}, {"config", Json::object()}, {"graph_sha256", "aaaa1111"}};
  p.checkpoint = {{"file", "best.ckpt"}, {"sha256", "c0ffee00c0ffee00"}};
  p.runners = Json::parse(
      R"({"eval_mode": true, "sw_runner": {"basic_evaluation": {"num_samples": 512}},
          "hw_runner": {}})");
  p.objectives = Json::parse(
      R"({"sum_scaled_metrics": false,
          "metrics": {"accuracy": {"scale": 1.0, "direction": "maximize"}}})");
  p.data = {{"dataset", "jsc"}, {"n_train", 1600}, {"n_val", 1600}, {"seed", 42}};
  return p;
}

std::vector<std::string> changes(const StudyDefinitionParts& changed) {
  return definition_differences(make_definition(ptq_parts()), make_definition(changed));
}

TEST(StudyDefinition, EqualRunsAreEqualWhateverTheKeyOrderOrFileNames) {
  StudyDefinitionParts p = ptq_parts();
  p.search_space = Json::parse(R"({"seed": {"linear": {"config": {"weight_width": [2, 4, 8],
      "name": ["integer"]}}}, "setup": {"by": "type"},
      "name": "graph/quantize/mixed_precision_ptq"})");
  p.checkpoint["file"] = "renamed.ckpt";  // the same bytes under another name
  const Json a = make_definition(ptq_parts()), b = make_definition(p);
  EXPECT_TRUE(definition_differences(a, b).empty());
  EXPECT_EQ(definition_digest(a), definition_digest(b));
  EXPECT_EQ(definition_digest(a).size(), 16u);
  // As stored and read back (text round trip, key order of the text).
  EXPECT_TRUE(definition_differences(Json::parse(a.dump()), b).empty());
  EXPECT_EQ(definition_digest(Json::parse(a.dump())), definition_digest(b));
}

TEST(StudyDefinition, ReorderedChoicesAreNamed) {
  StudyDefinitionParts p = ptq_parts();
  p.params[1].second = {Json(8), Json(4), Json(2)};
  p.search_space["seed"]["linear"]["config"]["weight_width"] = {8, 4, 2};
  const auto d = changes(p);
  ASSERT_EQ(d.size(), 1u) << summarize_differences(d);
  EXPECT_EQ(d[0], "parameter linear/config/weight_width choices [2, 4, 8] → [8, 4, 2]");
  EXPECT_NE(definition_digest(make_definition(p)), definition_digest(make_definition(ptq_parts())));
}

TEST(StudyDefinition, AnotherQuantizerIsNamed) {
  StudyDefinitionParts p = ptq_parts();
  p.params[0].second = {Json("fixed")};
  p.search_space["seed"]["linear"]["config"]["name"] = {"fixed"};
  const auto d = changes(p);
  ASSERT_EQ(d.size(), 1u) << summarize_differences(d);
  EXPECT_EQ(d[0], "parameter linear/config/name choices [\"integer\"] → [\"fixed\"]");
}

TEST(StudyDefinition, ByTypeToByNameSaysTheSetUpFirst) {
  StudyDefinitionParts p = ptq_parts();
  p.search_space["setup"]["by"] = "name";
  p.params = {{"seq_blocks_2/config/name", {Json("integer")}},
              {"seq_blocks_2/config/weight_width", {Json(2), Json(4), Json(8)}}};
  const auto d = changes(p);
  ASSERT_EQ(d.size(), 3u) << summarize_differences(d);
  EXPECT_EQ(d[0], "search_space.setup.by \"type\" → \"name\"");
  EXPECT_EQ(d[1], "parameters no longer searched: linear/config/name, linear/config/weight_width");
  EXPECT_EQ(d[2], "new parameters: seq_blocks_2/config/name, seq_blocks_2/config/weight_width");
}

TEST(StudyDefinition, SpaceModelCheckpointEncodingRunnersAndDataAreNamed) {
  StudyDefinitionParts p = ptq_parts();
  p.search_space["name"] = "graph/quantize/mixed_precision_qat";
  EXPECT_EQ(changes(p).at(0),
            "search_space.name \"graph/quantize/mixed_precision_ptq\" → "
            "\"graph/quantize/mixed_precision_qat\"");
  p = ptq_parts();
  p.model["name"] = "jsc-s";
  p.model["graph_sha256"] = "bbbb2222";
  EXPECT_EQ(changes(p), std::vector<std::string>{"model \"jsc-tiny\" → \"jsc-s\""});
  p = ptq_parts();
  p.model["config"] = {{"hidden_features", {16, 8}}};
  p.model["graph_sha256"] = "bbbb2222";
  EXPECT_EQ(changes(p), std::vector<std::string>{"model_config.hidden_features added ([16, 8])"});
  p = ptq_parts();
  p.model["graph_sha256"] = "bbbb2222";
  EXPECT_NE(changes(p).at(0).find("model graph differs"), std::string::npos);
  p = ptq_parts();
  p.checkpoint = {{"file", "other.ckpt"}, {"sha256", "deadbeefdeadbeef"}};
  EXPECT_EQ(changes(p), std::vector<std::string>{
                            "checkpoint digest differs: best.ckpt (sha256 c0ffee00c0ff…) → "
                            "other.ckpt (sha256 deadbeefdead…)"});
  p = ptq_parts();
  p.checkpoint = nullptr;
  EXPECT_EQ(changes(p), std::vector<std::string>{
                            "checkpoint differs: best.ckpt (sha256 c0ffee00c0ff…) → none (no "
                            "--load)"});
  p = ptq_parts();
  p.param_encoding = "categorical";
  EXPECT_EQ(changes(p), std::vector<std::string>{"param_encoding \"index\" → \"categorical\""});
  p = ptq_parts();
  p.runners["sw_runner"]["basic_evaluation"]["num_samples"] = 1024;
  EXPECT_EQ(changes(p),
            std::vector<std::string>{"runners.sw_runner.basic_evaluation.num_samples 512 → 1024"});
  p = ptq_parts();
  p.data["n_train"] = 800;
  EXPECT_EQ(changes(p), std::vector<std::string>{"data.n_train 1600 → 800"});
  p = ptq_parts();
  p.objectives["metrics"]["accuracy"]["scale"] = 2.0;
  EXPECT_EQ(changes(p), std::vector<std::string>{"objectives.metrics.accuracy.scale 1.0 → 2.0"});
}

TEST(StudyDefinition, ADefinitionOfAnotherVersionDiffers) {
  const Json a = make_definition(ptq_parts());
  Json b = a;
  b["version"] = 2;
  EXPECT_EQ(definition_differences(a, b), std::vector<std::string>{"version 1 → 2"});
}

TEST(StudyDefinition, SummariesNameTheFirstFew) {
  EXPECT_EQ(summarize_differences({"a", "b"}), "a; b");
  EXPECT_EQ(summarize_differences({"a", "b", "c"}, 1), "a; and 2 more differences");
  EXPECT_EQ(show_value(Json::parse(R"({"by": "type", "w": [2, null]})")),
            "{by: \"type\", w: [2, none]}");
}

}  // namespace
}  // namespace chop::strategy
