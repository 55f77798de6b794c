// Flags that are chop's own (not MASE's); they are not merged with TOML and do not appear in
// the resolved-configuration table. One table, so --help lists them with their action.
#pragma once

#include <string>
#include <vector>

namespace chop::cli {

struct ExtraOption {
  std::string flag;     // "--graph"
  std::string dest;     // "graph"
  bool is_flag;         // boolean switch (no value)
  std::string actions;  // which actions read it, for --help
  std::string help;
};

const std::vector<ExtraOption>& extra_option_table();

}  // namespace chop::cli
