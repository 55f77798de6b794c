// The action registry (`chop ACTION ...`): one row per action, each implemented in its own
// cli/action_<name>.cpp. Actions receive the resolved configuration and positional words.
#pragma once

#include <string>
#include <vector>

#include "config/resolve.h"
#include "core/registry.h"

namespace chop::cli {

struct ActionContext {
  std::string action;
  std::vector<std::string> words;  // positionals after the action (MODEL DATASET, or a kind)
  config::RunConfig cfg;
  config::Json extra =
      config::Json::object();  // action-specific flags (--graph, --out, ...) by dest
};

struct ActionEntry {
  std::string name;
  std::string usage;  // "chop analyze MODEL [DATASET] [--batch-size N] [--graph]"
  std::string summary;
  /// MODEL [DATASET] positionals are the model and data set (MASE's manual overrides).
  bool takes_model = false;
  int (*run)(ActionContext& ctx);
};

const Registry<ActionEntry>& action_registry();

int run_list(ActionContext& ctx);
int run_analyze(ActionContext& ctx);
int run_transform(ActionContext& ctx);
int run_train(ActionContext& ctx);
int run_test(ActionContext& ctx);
int run_dataset(ActionContext& ctx);
int run_search(ActionContext& ctx);
int run_study(ActionContext& ctx);
int run_infer(ActionContext& ctx);
int run_export(ActionContext& ctx);
int run_report(ActionContext& ctx);
/// --storage (or the one positional word) of report/dashboard; UserError when missing.
std::string report_storage_arg(ActionContext& ctx, const std::string& action);
int run_dashboard(ActionContext& ctx);

}  // namespace chop::cli
