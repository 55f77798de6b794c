// What defines a study — the space and the values behind each index, the model, the checkpoint
// digest, runners, objectives and data — as chop records it in the study user attribute
// "chop:definition", its short digest, and the readable differences between two definitions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "search/distribution.h"

namespace chop::strategy {

using Json = nlohmann::ordered_json;

inline constexpr const char* kDefinitionAttr = "chop:definition";
inline constexpr const char* kDefinitionDigestAttr = "chop:definition_digest";

/// The parts of a definition (assembled from the run by study_identity.cpp; plain JSON here so
/// the comparison is testable without a model).
struct StudyDefinitionParts {
  Json search_space = Json::object();  // [search.search_space] as written: name, setup, seed
  std::vector<std::pair<std::string, std::vector<Json>>> params;  // key, its choices in order
  std::string param_encoding = "index";                           // "index" or "categorical"
  /// {name, config ([model_config] / --hidden-features), graph_sha256 (its layers and shapes),
  /// file_sha256 (ONNX models only)}; "file" (the name of an ONNX file) is shown, not compared.
  Json model = Json::object();
  /// null without --load; else {sha256, file}: the digest is compared, the file name shown.
  Json checkpoint;
  Json runners = Json::object();     // {eval_mode, sw_runner: {name: options}, hw_runner: ...}
  Json objectives = Json::object();  // {sum_scaled_metrics, direction, metrics: {name: ...}}
  Json constraints;                  // [search.strategy.constraints] or null
  Json data = Json::object();        // {dataset, n_train, n_val, seed, batch_size}
};

/// The definition to record: {format, version, search_space, params: {key: choices}, ...}
/// with object keys sorted, so equal runs give equal text.
Json make_definition(const StudyDefinitionParts& parts);

/// 16 hex digits of the SHA-256 of the compared part of a definition (file names left out).
std::string definition_digest(const Json& definition);

/// What differs between a stored definition and the current one, one readable item each, most
/// telling first ("parameter seq_blocks_2/weight_width choices [2, 4, 8] → [8, 4, 2]",
/// "checkpoint digest differs: ..."); empty when they define the same study.
std::vector<std::string> definition_differences(const Json& stored, const Json& current);

/// `items` joined for one message line: the first `max_items`, then "and N more".
std::string summarize_differences(const std::vector<std::string>& items, size_t max_items = 4);

/// A JSON value as messages show it: [2, 4, 8], "type", none (null), {by: "type"}.
std::string show_value(const Json& v);

}  // namespace chop::strategy
