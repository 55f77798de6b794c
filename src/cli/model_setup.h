// Turns the resolved configuration into model options (input size, classes, widths), from the
// data set's info when a data set is named, else from the model's defaults.
#pragma once

#include "cli/action.h"
#include "models/zoo.h"

namespace chop::cli {

models::ModelOptions model_options_for(const ActionContext& ctx, const std::string& model,
                                       const std::string& dataset);

/// MODEL and DATASET from the positionals or the TOML; empty when absent.
std::string model_name(const ActionContext& ctx);
std::string dataset_name(const ActionContext& ctx);

}  // namespace chop::cli
