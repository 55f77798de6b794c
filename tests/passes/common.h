// Shared helpers for the passes tests: zoo graphs with the CLI's default options.
#pragma once

#include "models/zoo.h"
#include "passes/pass.h"

namespace chop::passes::testing {

inline models::ModelOptions zoo_options(const std::string& name) {
  models::ModelOptions o;
  if (models::model_entry(name).input_kind == "image") {
    o.image_input = true;
    o.n_classes = 10;
  }
  return o;
}

inline graph::Graph zoo(const std::string& name) {
  return models::build_model(name, zoo_options(name));
}

inline PassContext context(int64_t batch_size = 8) {
  PassContext ctx;
  ctx.batch_size = batch_size;
  return ctx;
}

}  // namespace chop::passes::testing
