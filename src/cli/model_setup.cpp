// Model options from configuration; see model_setup.h.
#include "cli/model_setup.h"

#include "core/error.h"
#include "core/strings.h"

namespace chop::cli {
namespace {

std::vector<int64_t> parse_widths(const config::Json& v, const std::string& where) {
  std::vector<int64_t> out;
  if (!v.is_array())
    throw ConfigError(where, "hidden_features must be a list of positive integers");
  for (const auto& w : v) {
    if (!w.is_number_integer() || w.get<int64_t>() <= 0)
      throw ConfigError(where,
                        "hidden_features must be a list of positive integers, got " + v.dump());
    out.push_back(w.get<int64_t>());
  }
  return out;
}

}  // namespace

std::string model_name(const ActionContext& ctx) {
  if (!ctx.words.empty()) return ctx.words[0];
  return ctx.cfg.str("model");
}

std::string dataset_name(const ActionContext& ctx) {
  if (ctx.words.size() >= 2) return ctx.words[1];
  return ctx.cfg.str("dataset");
}

models::ModelOptions model_options_for(const ActionContext& ctx, const std::string& model,
                                       const std::string& dataset) {
  const auto& entry = models::model_entry(model);
  models::ModelOptions o;
  o.seed = static_cast<uint64_t>(ctx.cfg.integer("seed"));
  if (entry.input_kind == "image") {
    o.image_input = true;
    o.image_shape = {3, 32, 32};
    o.n_classes = 10;
  }
  if (const auto* mc = ctx.cfg.table("model_config")) {
    for (auto it = mc->begin(); it != mc->end(); ++it) {
      if (it.key() == "hidden_features") {
        o.hidden_features = parse_widths(it.value(), ctx.cfg.where("model_config.hidden_features"));
      } else {
        throw ConfigError(
            ctx.cfg.where("model_config." + it.key()),
            "unknown key 'model_config." + it.key() + "'; model_config accepts: hidden_features");
      }
    }
  }
  if (ctx.extra.contains("hidden_features")) {
    o.hidden_features.clear();
    for (const auto& w : split(ctx.extra["hidden_features"].get<std::string>(), ',')) {
      try {
        int64_t v = std::stoll(w);
        if (v <= 0) throw std::invalid_argument("");
        o.hidden_features.push_back(v);
      } catch (const std::exception&) {
        throw UserError("--hidden-features expects comma-separated positive integers, got '" +
                        ctx.extra["hidden_features"].get<std::string>() + "'");
      }
    }
  }
  (void)dataset;  // data-set shapes are applied by the data layer (see action_train.cpp)
  return o;
}

}  // namespace chop::cli
