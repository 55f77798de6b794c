// The runner table: one row per runner with its capabilities, metrics and documented options;
// see runner.h. Adding a runner = one row here + runners/<name>.cpp (a hw runner over existing
// metrics: the row alone, with make_hardware_runner as its factory).
#include "core/error.h"
#include "core/strings.h"
#include "passes/registry.h"
#include "runners/runner.h"

namespace chop::runners {
namespace {

const std::string kSw = "search.strategy.sw_runner.";
const std::string kHw = "search.strategy.hw_runner.";

// The hw cost runners take their pass's options: one documentation, one check.
config::TableDoc hw_cost_options(const std::string& runner, const std::string& pass,
                                 const std::string& summary) {
  return {kHw + runner, summary, passes::pass_named(pass, "runner " + runner).options};
}

}  // namespace

const Registry<RunnerEntry>& runner_registry() {
  // name, kind, trains, needs_grad, metrics, summary, {options table}, factory
  static const Registry<RunnerEntry> table{
      {"runner", "runners", "chop list runners"},
      {
          {"basic_evaluation",
           "sw",
           false,
           false,
           {"loss", "accuracy"},
           "loss and plain accuracy over the first ceil(num_samples/batch_size) batches of a split",
           {kSw + "basic_evaluation",
            "evaluate the candidate as it is",
            {{"num_samples", "int", nullptr, true, "how many samples to evaluate (at least 1)"},
             {"data_loader", "string", "val_dataloader", false,
              "val_dataloader, train_dataloader or test_dataloader"},
             {"dataloader", "string", nullptr, false, "MASE's older spelling of data_loader"},
             {"bit_exact", "bool", false, false,
              "run the candidate in the integer engine; adds bit_exact_mismatches"},
             {"rounding", "string", "half_even", false,
              "integer engine rounding: half_even, half_up or truncate (needs bit_exact)"},
             {"overflow", "string", "saturate", false,
              "integer engine overflow: saturate or wrap (needs bit_exact)"}}},
           make_basic_evaluation},
          {"basic_train",
           "sw",
           true,
           true,
           {"loss", "accuracy"},
           "trains the candidate (per-epoch validation reported to the study), then evaluates it",
           {kSw + "basic_train",
            "train the candidate (chop's trainer), then evaluate it on the validation split",
            {{"max_epochs", "int", 1, false, "epochs per candidate (--max-epochs overrides)"},
             {"num_samples", "int", -1, false,
              "cap on trained samples over all epochs; -1: max_epochs full epochs"},
             {"optimizer", "string", "adam", false, "adam, adamw or sgd"},
             {"learning_rate", "number", 1e-3, false, "positive"},
             {"weight_decay", "number", 0.0, false, "L2 weight decay (biases get none)"},
             {"lr_scheduler", "string", "constant", false, "constant, linear or cosine"},
             {"num_warmup_steps", "int", 0, false, "linear warm-up steps"},
             {"gradient_accumulation_steps", "int", 1, false, "batches per optimizer step"},
             {"eval_num_samples", "int", -1, false,
              "samples of each evaluation (per epoch and final); -1: the whole split"},
             {"name", "string", nullptr, false,
              "MASE lab key; ignored with a warning ([search.strategy.metrics] sets the objective)"},
             {"data_loader", "string", nullptr, false,
              "MASE lab key; ignored with a warning unless train_dataloader"}}},
           make_basic_train},
          {"average_bitwidth",
           "hw",
           false,
           false,
           {"average_bitwidth", "memory_density"},
           "weight-count-weighted weight width of quantized linear/conv layers (32 if none)",
           {kHw + "average_bitwidth",
            "average weight bit width; memory_density = compare_to / average_bitwidth",
            {{"compare_to", "number", nullptr, true, "the reference width, e.g. 32"}}},
           make_hardware_runner},
          {"flops",
           "hw",
           false,
           false,
           {"flops"},
           "forward FLOPs per batch (MASE's per-layer formulas)",
           {kHw + "flops", "no options", {}},
           make_hardware_runner},
          {"bitops",
           "hw",
           false,
           false,
           {"bitops"},
           "bit operations per batch: each op x operand bit widths",
           {kHw + "bitops", "no options", {}},
           make_hardware_runner},
          {"model_size",
           "hw",
           false,
           false,
           {"model_size", "params"},
           "parameter memory in bytes at each parameter's precision, and the parameter count",
           {kHw + "model_size", "no options", {}},
           make_hardware_runner},
          {"ebops",
           "hw",
           false,
           false,
           {"ebops"},
           "HGQ's effective bit operations per inference (ebops pass)",
           hw_cost_options("ebops", "ebops", "the ebops pass's options"),
           make_hardware_runner},
          {"luts",
           "hw",
           false,
           false,
           {"luts"},
           "LUTs per inference, fully unrolled / reuse factor (QONNX L0 estimate, resources pass)",
           hw_cost_options("luts", "resources", "the resources pass's options"),
           make_hardware_runner},
          {"dsps",
           "hw",
           false,
           false,
           {"dsps"},
           "DSP slices (QONNX L0 estimate, resources pass)",
           hw_cost_options("dsps", "resources", "the resources pass's options"),
           make_hardware_runner},
          {"bram",
           "hw",
           false,
           false,
           {"bram"},
           "36 kb BRAMs for the weights (QONNX L0 estimate, resources pass)",
           hw_cost_options("bram", "resources", "the resources pass's options"),
           make_hardware_runner},
          {"bops",
           "hw",
           false,
           false,
           {"bops"},
           "QONNX's bit operations per inference (MACs x operand bits, zero weights discounted)",
           hw_cost_options("bops", "inference_cost", "the inference_cost pass's options"),
           make_hardware_runner},
          {"latency",
           "hw",
           false,
           false,
           {"latency"},
           "median milliseconds per batch (after warm-up)",
           {kHw + "latency",
            "timed forward batches",
            {{"n_batches", "int", 20, false, "timed batches"},
             {"warmup", "int", 5, false, "untimed batches first"}}},
           make_hardware_runner},
      }};
  return table;
}

const RunnerEntry& runner_entry(const std::string& name, const std::string& kind,
                                const config::Locate& locate) {
  if (const RunnerEntry* e = runner_registry().find(name)) {
    if (e->kind != kind)
      throw ConfigError(locate(""), "runner '" + name + "' is a " + e->kind +
                                        "_runner; move it under [search.strategy." + e->kind +
                                        "_runner." + e->name + "]");
    return *e;
  }
  std::vector<std::string> names;
  for (const auto& e : runner_registry())
    if (e.kind == kind) names.push_back(e.name);
  throw ConfigError(locate(""), "unknown " + kind + "_runner '" + name + "'" +
                                    did_you_mean(name, names) + "; expected one of " +
                                    list_of(names) + " (see `chop list runners`)");
}

std::unique_ptr<Runner> make_runner(const RunnerEntry& entry, const Json& options,
                                    const config::Locate& locate) {
  return entry.make(entry, config::TableReader(options, entry.options, locate));
}

}  // namespace chop::runners
