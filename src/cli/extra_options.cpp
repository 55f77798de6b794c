// chop-only flags; see extra_options.h.
#include "cli/extra_options.h"

namespace chop::cli {

const std::vector<ExtraOption>& extra_option_table() {
  static const std::vector<ExtraOption> table = {
      {"--graph", "graph", true, "analyze", "print the graph in chop's text form"},
      {"--dot", "dot", false, "analyze", "write the graph as Graphviz DOT to this file"},
      {"--forward-backward", "forward_backward", true, "analyze",
       "run one forward and backward pass on a random batch and report the loss and timing"},
      {"--show-config", "show_config", true, "all",
       "print the resolved configuration table (default for train/test/transform/search)"},
      {"--out", "out", false, "dataset export, study export",
       "output folder (dataset export) or file (study export; default: standard output)"},
      {"--storage", "storage", false, "search, study",
       "study storage URL: sqlite:///path/study.db, a .db path, or postgresql://user@host/db "
       "(search: overrides setup.storage; passwords belong in ~/.pgpass)"},
      {"--study", "study", false, "study", "the study's name"},
      {"--format", "format", false, "study export", "csv or json (default: from --out, else csv)"},
      {"--to", "to", false, "study copy", "destination storage URL"},
      {"--to-study", "to_study", false, "study copy", "destination study name (default: the same)"},
      {"--yes", "yes", true, "study delete", "delete without asking"},
      {"--dataset-size", "dataset_size", false, "train, test, dataset export",
       "synthetic data sets: rows generated (jsc: before the 80/20 split; default: real scale)"},
      {"--val-size", "val_size", false, "train, test, dataset export",
       "validation rows carved from the training part (default: the data set's own)"},
      {"--hidden-features", "hidden_features", false, "all",
       "mlp widths, comma-separated (e.g. 256,128); TOML: model_config.hidden_features"},
  };
  return table;
}

}  // namespace chop::cli
