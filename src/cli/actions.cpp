// The action table; see action.h. Adding an action = one row here + cli/action_<name>.cpp.
#include "cli/action.h"

namespace chop::cli {

const std::vector<ActionEntry>& action_registry() {
  static const std::vector<ActionEntry> table = {
      {"analyze", "chop analyze MODEL [DATASET] [--batch-size N] [--graph] [--dot FILE]",
       "build a model's graph, verify it, and report its structure, parameters and size",
       run_analyze},
      {"list", "chop list [models|datasets|passes|samplers|actions]",
       "list what chop has registered", run_list},
  };
  return table;
}

}  // namespace chop::cli
