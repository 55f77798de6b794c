// Option rows; see options.h. Defaults follow MASE's CLI_DEFAULTS (mase.md §1.4) except where
// docs/cli.md says chop differs (e.g. trainer_precision 32 on CPU).
#include "config/options.h"

#include <cfloat>
#include <cmath>
#include <thread>

#include "core/files.h"
#include "core/limits.h"

namespace chop::config {

std::string check_positive_int32(const Json& v) {
  if (!v.is_number_integer()) return "";
  const int64_t n = v.get<int64_t>();
  return n >= 1 && n <= INT32_MAX ? "" : "must be between 1 and 2147483647";
}

std::string check_int32(const Json& v) {
  if (!v.is_number_integer()) return "";
  const int64_t n = v.get<int64_t>();
  return n >= INT32_MIN && n <= INT32_MAX ? "" : "must fit in a 32-bit integer";
}

std::string check_at_least_one(const Json& v) {
  if (!v.is_number_integer()) return "";
  return v.get<int64_t>() >= 1 ? "" : "must be at least 1";
}

std::string check_non_negative(const Json& v) {
  if (!v.is_number_integer()) return "";
  return v.get<int64_t>() >= 0 ? "" : "must be >= 0";
}

std::string check_threads(const Json& v) {
  if (!v.is_number_integer()) return "";
  const int64_t n = v.get<int64_t>();
  if (n >= 1 && n <= max_threads()) return "";
  return "must be between 1 and " + std::to_string(max_threads()) + " (8 x this machine's " +
         std::to_string(max_threads() / 8) + " hardware threads); more threads only contend";
}

namespace {
std::string check_float32(const Json& v, bool allow_zero) {
  if (!v.is_number()) return "";
  const double x = v.get<double>();
  // Tensors are float32: a larger value would become inf inside the optimizer.
  if (!std::isfinite(x) || x > FLT_MAX || x < 0 || (!allow_zero && x == 0))
    return std::string("must be a finite number ") + (allow_zero ? ">= 0" : "> 0") +
           " that fits in float32 (at most 3.4e38)";
  return "";
}
}  // namespace

std::string check_float32_positive(const Json& v) {
  return check_float32(v, false);
}
std::string check_float32_non_negative(const Json& v) {
  return check_float32(v, true);
}

std::string check_path_component(const Json& v) {
  if (!v.is_string()) return "";
  return is_safe_path_component(v.get<std::string>())
             ? ""
             : "must be a single folder name (no '/', not '.' or '..', not empty, no control "
               "characters, not starting with '-' or '~'); chop writes only inside "
               "<project_dir>/<project>";
}

int default_num_workers() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

const std::vector<OptionSpec>& option_table() {
  using T = OptionType;
  static const std::vector<OptionSpec> table = {
      {"--config",
       {},
       "config",
       T::kPath,
       nullptr,
       {},
       "general",
       "TOML configuration file",
       false},
      {"--task",
       {},
       "task",
       T::kString,
       "classification",
       {"classification", "cls", "translation", "tran", "language_modeling", "lm"},
       "general",
       "task type"},
      {"--load", {}, "load_name", T::kPath, nullptr, {}, "general", "checkpoint to load"},
      {"--load-type",
       {},
       "load_type",
       T::kString,
       "mz",
       {"pt", "pl", "mz", "hf"},
       "general",
       "checkpoint kind (chop reads its own checkpoints for every kind; see docs/cli.md)"},
      {"--batch-size", {}, "batch_size", T::kInt, 128, {}, "general", "batch size", true, check_positive_int32},
      {"--debug",
       {},
       "to_debug",
       T::kBool,
       false,
       {},
       "general",
       "debug mode: verify the graph after every pass, DEBUG logging"},
      {"--log-level",
       {},
       "log_level",
       T::kString,
       "info",
       {"debug", "info", "warning", "error", "critical"},
       "general",
       "logging level"},
      {"--report-to",
       {},
       "report_to",
       T::kString,
       "tensorboard",
       {"wandb", "tensorboard"},
       "general",
       "metrics logger (chop writes CSV/JSONL metrics under the project folder)"},
      {"--seed", {}, "seed", T::kInt, 0, {}, "general", "random seed for everything", true, check_non_negative},
      {"--quant-config",
       {},
       "quant_config",
       T::kPath,
       nullptr,
       {},
       "general",
       "quantization TOML for manual models"},
      {"--training-optimizer",
       {},
       "training_optimizer",
       T::kString,
       "adam",
       {"adam", "sgd", "adamw"},
       "trainer",
       "optimizer"},
      {"--trainer-precision",
       {},
       "trainer_precision",
       T::kString,
       "16-mixed",
       {"16-mixed", "32", "64", "bf16"},
       "trainer",
       "numeric precision (chop computes in float32 on CPU; see docs/cli.md)"},
      {"--learning-rate", {}, "learning_rate", T::kFloat, 1e-5, {}, "trainer", "learning rate", true, check_float32_positive},
      {"--weight-decay", {}, "weight_decay", T::kFloat, 0.0, {}, "trainer", "weight decay", true, check_float32_non_negative},
      {"--max-epochs", {}, "max_epochs", T::kInt, 20, {}, "trainer", "number of epochs", true, check_int32},
      {"--max-steps",
       {},
       "max_steps",
       T::kInt,
       -1,
       {},
       "trainer",
       "stop after this many steps (<= 0: no limit)"},
      {"--accumulate-grad-batches",
       {},
       "accumulate_grad_batches",
       T::kInt,
       1,
       {},
       "trainer",
       "gradient accumulation", true, check_at_least_one},
      {"--log-every-n-steps",
       {},
       "log_every_n_steps",
       T::kInt,
       50,
       {},
       "trainer",
       "progress/log interval in steps", true, check_at_least_one},
      {"--num-workers",
       {"--cpu"},
       "num_workers",
       T::kInt,
       default_num_workers(),
       {},
       "runtime",
       "CPU threads for LibTorch (intra-op)", true, check_threads},
      {"--num-devices", {"--gpu"}, "num_devices", T::kInt, 1, {}, "runtime", "number of devices", true, check_at_least_one},
      {"--nodes", {}, "num_nodes", T::kInt, 1, {}, "runtime", "number of nodes", true, check_at_least_one},
      {"--accelerator",
       {},
       "accelerator",
       T::kString,
       "auto",
       {"auto", "cpu", "gpu", "mps", "cuda"},
       "runtime",
       "device: auto picks CUDA when this LibTorch build has it, else CPU"},
      {"--strategy",
       {},
       "strategy",
       T::kString,
       "auto",
       {"auto", "ddp", "ddp_find_unused_parameters_true"},
       "runtime",
       "distribution strategy"},
      {"--auto-requeue", {}, "is_to_auto_requeue", T::kBool, false, {}, "runtime", "SLURM requeue"},
      {"--github-ci", {}, "github_ci", T::kBool, false, {}, "runtime", "CI mode"},
      {"--disable-dataset-cache",
       {},
       "disable_dataset_cache",
       T::kBool,
       false,
       {},
       "runtime",
       "do not cache processed data sets"},
      {"--target", {}, "target", T::kString, "xcu250-figd2104-2L-e", {}, "hardware", "FPGA part"},
      {"--num-targets", {}, "num_targets", T::kInt, 100, {}, "hardware", "number of targets", true, check_at_least_one},
      {"--pretrained",
       {},
       "is_pretrained",
       T::kBool,
       false,
       {},
       "language model",
       "use pretrained weights"},
      {"--max-token-len",
       {},
       "max_token_len",
       T::kInt,
       512,
       {},
       "language model",
       "maximum token length", true, check_at_least_one},
      {"--project-dir",
       {},
       "project_dir",
       T::kPath,
       "mase_output",
       {},
       "project",
       "output root folder"},
      {"--project",
       {},
       "project",
       T::kString,
       nullptr,
       {},
       "project",
       "project name (default <model>_<task>_<dataset>_<date>)", true, check_path_component},
      {"--data-path",
       {},
       "data_path",
       T::kPath,
       nullptr,
       {},
       "data",
       "data set file or folder (jsc .z/.csv, MNIST/CIFAR-10 folder)"},
      {"--model", {}, "model", T::kString, nullptr, {}, "project", "model name (positional)"},
      {"--dataset",
       {},
       "dataset",
       T::kString,
       nullptr,
       {},
       "project",
       "data set name (positional)"},
  };
  return table;
}

const OptionSpec* find_option_by_dest(const std::string& dest) {
  for (const auto& o : option_table())
    if (o.dest == dest) return &o;
  return nullptr;
}

const std::vector<std::string>& known_toml_tables() {
  static const std::vector<std::string> tables = {"passes", "search", "model_config",
                                                  "data",   "train",  "analyze"};
  return tables;
}

}  // namespace chop::config
