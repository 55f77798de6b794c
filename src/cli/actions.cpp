// The action table; see action.h. Adding an action = one row here + cli/action_<name>.cpp.
#include "cli/action.h"

namespace chop::cli {

const Registry<ActionEntry>& action_registry() {
  // name, usage, summary, takes MODEL [DATASET], run
  static const Registry<ActionEntry> table{
      {"action", "actions", "chop --help"},
      {
          {"analyze", "chop analyze MODEL [DATASET] [--batch-size N] [--graph] [--dot FILE]",
           "build a model's graph, verify it, and report its structure, parameters and size", true,
           run_analyze},
          {"train",
           "chop train MODEL DATASET [--max-epochs N] [--batch-size N] [--learning-rate X] "
           "[--training-optimizer adam|adamw|sgd] [--seed N] [--load CKPT]",
           "train a model; best/last checkpoints and metrics go to "
           "<project_dir>/<project>/software/training_ckpts",
           true, run_train},
          {"test", "chop test MODEL DATASET --load CKPT [--batch-size N]",
           "report a checkpoint's test loss and accuracy", true, run_test},
          {"dataset", "chop dataset export NAME --out DIR [--data-path P] [--dataset-size N]",
           "write a data set's splits as .npy files (X_train, y_train, X_val, y_val, X_test, "
           "y_test)",
           false, run_dataset},
          {"search",
           "chop search MODEL DATASET --config X.toml [--load CKPT] [--compare-samplers "
           "tpe,random,... [--repeats N]]",
           "search quantization/architecture configurations (MASE search; resumable SQLite study)",
           true, run_search},
          {"transform", "chop transform --config X.toml [MODEL DATASET] [--load CKPT] [--debug]",
           "run the config's [passes.*] (quantize, analyses) in file order; save the transformed "
           "model and reports to <project_dir>/<project>/software/transform",
           true, run_transform},
          {"infer",
           "chop infer MODEL [DATASET] [--load CKPT] [--config CFG.toml] --input X.npy --output "
           "Y.npy",
           "run a (possibly quantized) model on an array and write its outputs (.npy)", true,
           run_infer},
          {"export",
           "chop export MODEL [DATASET] [--load CKPT] [--config CFG.toml] --format "
           "onnx|qonnx|qdq|state_dict --output FILE",
           "write a (transformed) model as ONNX, QONNX (hls4ml, FINN), QDQ (ONNX Runtime) or a "
           "PyTorch state dict",
           true, run_export},
          {"report", "chop report --storage STUDY.db [--study NAME] [--output DIR]",
           "write a study's report: report.html (offline, interactive charts, sortable trials) "
           "and plots/*.svg",
           false, run_report},
          {"dashboard", "chop dashboard --storage STUDY.db [--study NAME] [--port P] [--host H]",
           "serve a study's report live while a search runs (read-only, 127.0.0.1 by default)",
           false, run_dashboard},
          {"study",
           "chop study list|show|export|copy|delete --storage URL [--study NAME] [--out FILE] "
           "[--to URL] [--yes]",
           "list stored studies, show one's best trials, export its trials (CSV/JSON), copy it "
           "to another storage (SQLite <-> PostgreSQL), delete it",
           false, run_study},
          {"list",
           "chop list [models|datasets|passes|samplers|pruners|runners|spaces|quantizers|plots|"
           "actions|"
           "onnx-ops|export-formats|config]",
           "list what chop has registered", false, run_list},
      }};
  return table;
}

}  // namespace chop::cli
