// The runner table and option helpers; see runner.h.
#include "core/error.h"
#include "core/strings.h"
#include "runners/runner.h"

namespace chop::runners {
namespace {

std::unique_ptr<Runner> make_flops(const Json& o,
                                   const std::function<std::string(const std::string&)>& l) {
  return make_pass_metric_runner("flops", o, l);
}
std::unique_ptr<Runner> make_bitops(const Json& o,
                                    const std::function<std::string(const std::string&)>& l) {
  return make_pass_metric_runner("bitops", o, l);
}
std::unique_ptr<Runner> make_model_size(const Json& o,
                                        const std::function<std::string(const std::string&)>& l) {
  return make_pass_metric_runner("model_size", o, l);
}
std::unique_ptr<Runner> make_ebops(const Json& o,
                                   const std::function<std::string(const std::string&)>& l) {
  return make_hw_cost_runner("ebops", o, l);
}
std::unique_ptr<Runner> make_luts(const Json& o,
                                  const std::function<std::string(const std::string&)>& l) {
  return make_hw_cost_runner("luts", o, l);
}
std::unique_ptr<Runner> make_dsps(const Json& o,
                                  const std::function<std::string(const std::string&)>& l) {
  return make_hw_cost_runner("dsps", o, l);
}
std::unique_ptr<Runner> make_bram(const Json& o,
                                  const std::function<std::string(const std::string&)>& l) {
  return make_hw_cost_runner("bram", o, l);
}
std::unique_ptr<Runner> make_bops(const Json& o,
                                  const std::function<std::string(const std::string&)>& l) {
  return make_hw_cost_runner("bops", o, l);
}
std::unique_ptr<Runner> make_latency(const Json& o,
                                     const std::function<std::string(const std::string&)>& l) {
  return make_pass_metric_runner("latency", o, l);
}

}  // namespace

const std::vector<RunnerEntry>& runner_registry() {
  static const std::vector<RunnerEntry> table = {
      {"basic_evaluation",
       "sw",
       {"loss", "accuracy"},
       "loss and plain accuracy over the first ceil(num_samples/batch_size) batches of a split",
       "num_samples (required), data_loader = val_dataloader|train_dataloader|test_dataloader, "
       "bit_exact (integer engine; adds bit_exact_mismatches), rounding, overflow",
       make_basic_evaluation},
      {"basic_train",
       "sw",
       {"loss", "accuracy"},
       "trains the candidate (per-epoch validation reported to the study), then evaluates it",
       "max_epochs, num_samples, optimizer = adam|adamw|sgd, learning_rate, weight_decay, "
       "lr_scheduler = constant|linear|cosine, num_warmup_steps, gradient_accumulation_steps, "
       "eval_num_samples",
       make_basic_train},
      {"average_bitwidth",
       "hw",
       {"average_bitwidth", "memory_density"},
       "weight-count-weighted weight width of quantized linear/conv layers (32 if none)",
       "compare_to (required)",
       make_average_bitwidth},
      {"flops",
       "hw",
       {"flops"},
       "forward FLOPs per batch (MASE's per-layer formulas)",
       "",
       make_flops},
      {"bitops",
       "hw",
       {"bitops"},
       "bit operations per batch: each op x operand bit widths",
       "",
       make_bitops},
      {"model_size",
       "hw",
       {"model_size", "params"},
       "parameter memory in bytes at each parameter's precision, and the parameter count",
       "",
       make_model_size},
      {"ebops",
       "hw",
       {"ebops"},
       "HGQ's effective bit operations per inference (ebops pass)",
       "activation_bits, batch_norm, float_width, include_bias, n_batches (ebops pass options)",
       make_ebops},
      {"luts",
       "hw",
       {"luts"},
       "LUTs per inference, fully unrolled / reuse factor (QONNX L0 estimate, resources pass)",
       "dsp_type, bwidth_lower_limit, bwidth_upper_limit, memory, uram_fraction, reuse_factor, "
       "reuse_factor_rule, discount_sparsity (resources pass options)",
       make_luts},
      {"dsps",
       "hw",
       {"dsps"},
       "DSP slices (QONNX L0 estimate, resources pass)",
       "the resources pass options",
       make_dsps},
      {"bram",
       "hw",
       {"bram"},
       "36 kb BRAMs for the weights (QONNX L0 estimate, resources pass)",
       "the resources pass options",
       make_bram},
      {"bops",
       "hw",
       {"bops"},
       "QONNX's bit operations per inference (MACs x operand bits, zero weights discounted)",
       "discount_sparsity (inference_cost pass option)",
       make_bops},
      {"latency",
       "hw",
       {"latency"},
       "median milliseconds per batch (after warm-up)",
       "n_batches (20), warmup (5)",
       make_latency},
  };
  return table;
}

const RunnerEntry& runner_entry(const std::string& name, const std::string& kind,
                                const std::function<std::string(const std::string&)>& locate) {
  std::vector<std::string> names;
  for (const auto& e : runner_registry()) {
    if (e.name == name) {
      if (e.kind != kind)
        throw ConfigError(locate(""), "runner '" + name + "' is a " + e.kind +
                                          "_runner; move it under [search.strategy." + e.kind +
                                          "_runner." + name + "]");
      return e;
    }
    if (e.kind == kind) names.push_back(e.name);
  }
  throw ConfigError(locate(""), "unknown " + kind + "_runner '" + name + "'" +
                                    did_you_mean(name, names) + "; expected one of " +
                                    list_of(names));
}

void check_keys(const Json& o, const std::vector<std::string>& known,
                const std::function<std::string(const std::string&)>& locate) {
  if (!o.is_object()) return;
  for (auto it = o.begin(); it != o.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
    throw ConfigError(locate(it.key()), "unknown key '" + it.key() + "'" +
                                            did_you_mean(it.key(), known) + "; expected " +
                                            (known.empty() ? "no keys" : list_of(known)));
  }
}

int64_t opt_int(const Json& o, const std::string& key, int64_t def,
                const std::function<std::string(const std::string&)>& locate, int64_t min_value) {
  if (!o.is_object() || !o.contains(key) || o[key].is_null()) return def;
  if (!o[key].is_number_integer())
    throw ConfigError(locate(key), "'" + key + "' must be an integer, got " + o[key].dump());
  int64_t v = o[key].get<int64_t>();
  if (v < min_value)
    throw ConfigError(locate(key), "'" + key + "' must be at least " + std::to_string(min_value) +
                                       ", got " + std::to_string(v));
  return v;
}

double opt_number(const Json& o, const std::string& key, double def,
                  const std::function<std::string(const std::string&)>& locate) {
  if (!o.is_object() || !o.contains(key) || o[key].is_null()) return def;
  if (!o[key].is_number())
    throw ConfigError(locate(key), "'" + key + "' must be a number, got " + o[key].dump());
  return o[key].get<double>();
}

std::string opt_string(const Json& o, const std::string& key, const std::string& def,
                       const std::vector<std::string>& allowed,
                       const std::function<std::string(const std::string&)>& locate) {
  if (!o.is_object() || !o.contains(key) || o[key].is_null()) return def;
  if (!o[key].is_string())
    throw ConfigError(locate(key), "'" + key + "' must be a string, got " + o[key].dump());
  std::string v = o[key].get<std::string>();
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end())
    throw ConfigError(locate(key), "'" + key + "' = '" + v + "' is not allowed" +
                                       did_you_mean(v, allowed) + "; expected one of " +
                                       list_of(allowed));
  return v;
}

}  // namespace chop::runners
