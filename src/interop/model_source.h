// The model resolver: a MODEL argument (CLI positional or TOML `model`) names a zoo entry or an
// ONNX file. It sits above models/ and interop's importer so neither depends on the other;
// every action builds its graph through it.
#pragma once

#include <string>

#include "data/dataset.h"
#include "graph/graph.h"
#include "graph/ops.h"
#include "models/zoo.h"

namespace chop::interop {

struct ModelSource {
  std::string name;           // as given: "jsc-tiny" or "nets/tagger.onnx"
  bool from_file = false;     // an ONNX file
  std::string input_kind;     // "features" (one vector per sample) or "image" (C x H x W, C x L)
  graph::Shape sample_shape;  // files: the input's shape without the batch
  int64_t n_outputs = 0;      // files: the output's last dimension (classes)
  graph::Graph imported;      // files: the imported graph (pretrained, maybe quantized)
};

/// Resolves `model`: an .onnx path is imported (DataError/UserError from the importer), any
/// other name must be a zoo model (UserError listing them).
ModelSource resolve_model(const std::string& model);

/// The graph for a data set: zoo models are built from `opts` (input size and classes from the
/// data set), files are copies of the import. `info` (may be null) is checked against a file's
/// input and output: UserError naming the model, its input/output shape and the data set's.
graph::Graph build_model(const ModelSource& src, const models::ModelOptions& opts,
                         const data::DatasetInfo* info);

/// Makes a data set's samples fit a file model's input: equal shapes pass, samples with the
/// same number of values are reshaped (JSC's 16 features -> a Conv1d's 1 x 16), anything else
/// is a UserError naming both shapes (a 16-feature model on MNIST).
void fit_data_to_model(data::Splits& splits, const ModelSource& src);

}  // namespace chop::interop
