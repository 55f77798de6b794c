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
      {"--storage", "storage", false, "search, study, report, dashboard",
       "study storage: a study database (search_ckpts/study.db) or URL (sqlite:///path.db, "
       "postgresql://user@host/db; passwords belong in ~/.pgpass); search: overrides "
       "setup.storage"},
      {"--study", "study", false, "study, report, dashboard",
       "the study's name (report, dashboard: default the storage's only study)"},
      {"--format", "format", false, "export, study export",
       "export: onnx, qonnx, qdq or state_dict; study export: csv or json (default: from --out, "
       "else csv)"},
      {"--to", "to", false, "study copy", "destination storage URL"},
      {"--to-study", "to_study", false, "study copy", "destination study name (default: the same)"},
      {"--yes", "yes", true, "study delete", "delete without asking"},
      {"--dataset-size", "dataset_size", false, "train, test, dataset export",
       "synthetic data sets: rows generated (jsc: before the 80/20 split; default: real scale)"},
      {"--val-size", "val_size", false, "train, test, dataset export",
       "validation rows carved from the training part (default: the data set's own)"},
      {"--input", "input", false, "infer", "samples to run the model on (.npy, batch first)"},
      {"--output", "output", false, "infer, export, report",
       "infer: the .npy outputs; export: the model file; report: the folder for report.html and "
       "plots/*.svg (default: the study database's folder)"},
      {"--bit-exact", "bit_exact", true, "infer",
       "run the integer-quantized model in chop's fixed-point engine and count the output values "
       "that differ from the fake-quantized float path (docs/hardware-cost.md)"},
      {"--rounding", "rounding", false, "infer",
       "--bit-exact requantization: half_even (default, MASE), half_up (AP_RND), truncate"},
      {"--overflow", "overflow", false, "infer", "--bit-exact overflow: saturate (default) or wrap"},
      {"--export-best", "export_best", false, "search",
       "after the search, write the best trial (or each trial of the Pareto front) in this "
       "format (onnx, qonnx, qdq, state_dict) to <search_ckpts>/best_export/"},
      {"--hidden-features", "hidden_features", false, "all",
       "mlp widths, comma-separated (e.g. 256,128); TOML: model_config.hidden_features"},
      {"--port", "port", false, "dashboard", "TCP port (default 8080; 0 picks a free one)"},
      {"--host", "host", false, "dashboard",
       "address to listen on (default 127.0.0.1; any other exposes the study, read-only)"},
      {"--compare-samplers", "compare_samplers", false, "search",
       "compare samplers on the config's space, e.g. tpe,random,bruteforce,nsgaii (one study "
       "per sampler and repeat; docs/samplers.md)"},
      {"--repeats", "repeats", false, "search",
       "repeats per sampler of --compare-samplers, seeds seed..seed+N-1 (default 5)"},
      {"--new-study", "new_study", true, "search",
       "start a new study <name>-<k> even when study <name> exists (kept as it is); as "
       "setup.resume = false (docs/reliability.md, resuming a study)"},
  };
  return table;
}

}  // namespace chop::cli
