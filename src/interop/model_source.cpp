// The model resolver; see model_source.h.
#include "interop/model_source.h"

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "graph/ops.h"
#include "graph/verify.h"
#include "interop/onnx_import.h"

namespace chop::interop {
namespace {

int64_t numel(const graph::Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

}  // namespace

ModelSource resolve_model(const std::string& model) {
  ModelSource src;
  src.name = model;
  if (!is_onnx_path(model)) {
    src.input_kind = models::model_entry(model).input_kind;
    return src;
  }
  src.from_file = true;
  src.imported = import_onnx(model);
  graph::Shape shape = src.imported.nodes().front().attrs.at("shape").get<graph::Shape>();
  src.sample_shape.assign(shape.begin() + 1, shape.end());
  src.input_kind = src.sample_shape.size() == 1 ? "features" : "image";
  graph::Shape probe = shape;
  probe[0] = 1;
  const graph::Shape out = graph::verify(src.imported, probe).back();
  src.n_outputs = out.empty() ? 0 : out.back();
  return src;
}

graph::Graph build_model(const ModelSource& src, const models::ModelOptions& opts,
                         const data::DatasetInfo* info) {
  if (!src.from_file) return models::build_model(src.name, opts);
  if (info && info->n_classes > 0 && src.n_outputs != info->n_classes)
    throw UserError("model " + src.name + " has " + std::to_string(src.n_outputs) +
                    " outputs per sample, but data set " + info->name + " has " +
                    std::to_string(info->n_classes) +
                    " classes; pick the data set the model was trained for");
  graph::Graph g = src.imported.clone();
  g.set_requires_grad(true);
  return g;
}

void fit_data_to_model(data::Splits& splits, const ModelSource& src) {
  if (!src.from_file) return;
  const graph::Shape have = splits.info.input_shape;
  if (have == src.sample_shape) return;
  const std::string input = src.imported.nodes().front().name;
  if (numel(have) != numel(src.sample_shape))
    throw UserError("model " + src.name + " takes inputs of shape " +
                    graph::shape_str(src.sample_shape) + " (input '" + input + "', " +
                    std::to_string(numel(src.sample_shape)) +
                    " values per sample), but data "
                    "set " +
                    splits.info.name + " has samples of shape " + graph::shape_str(have) + " (" +
                    std::to_string(numel(have)) +
                    " values); use a data set with matching "
                    "samples or re-export the model for this one");
  graph::Shape target{-1};
  target.insert(target.end(), src.sample_shape.begin(), src.sample_shape.end());
  for (data::TensorDataset* s : {&splits.train, &splits.val, &splits.test})
    if (s->x.defined()) s->x = s->x.reshape(target);
  log_info("data set " + splits.info.name + ": samples of shape " + graph::shape_str(have) +
           " reshaped to the model's input " + graph::shape_str(src.sample_shape));
  splits.info.input_shape = src.sample_shape;
}

}  // namespace chop::interop
