// `chop list [kind]`: prints the registry tables (models, actions, ...).
#include <iostream>

#include "cli/action.h"
#include "cli/config_reference.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/table.h"
#include "data/registry.h"
#include "interop/export.h"
#include "interop/onnx_import.h"
#include "models/zoo.h"
#include "passes/registry.h"
#include "quant/family.h"
#include "report/figures.h"
#include "runners/runner.h"
#include "search/pruner.h"
#include "search/sampler_registry.h"
#include "space/graph_space.h"

namespace chop::cli {
namespace {

// "n_trials (20), sampler (required), ..." from a documented table.
std::string key_list(const config::TableDoc& doc) {
  std::vector<std::string> out;
  for (const auto& k : doc.keys)
    out.push_back(k.key + " (" + (k.required ? std::string("required") : k.default_value.dump()) +
                  ")");
  return join(out, ", ");
}

void print_models() {
  Table t{{"model", "input", "description"}, {}, {}};
  for (const auto& m : models::model_registry())
    t.rows.push_back({m.name, m.input_kind, m.description});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_datasets() {
  Table t{{"dataset", "description", "--data-path"}, {}, {}};
  for (const auto& d : data::dataset_registry())
    t.rows.push_back(
        {d.name, d.description,
         d.files.empty() ? "(built in)" : (d.needs_data_path ? "required: " : "") + d.files});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_passes() {
  Table t{{"pass", "kind", "summary"}, {}, {}};
  for (const auto& p : passes::pass_registry()) t.rows.push_back({p.name, p.kind, p.summary});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_samplers() {
  Table t{{"sampler", "aliases", "summary", "options"}, {}, {}};
  for (const auto& e : search::sampler_registry())
    t.rows.push_back({e.name, join(e.aliases, ", "), e.summary, key_list(*e.options)});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_pruners() {
  Table t{{"pruner", "aliases", "summary", "options"}, {}, {}};
  for (const auto& e : search::pruner_registry())
    t.rows.push_back({e.name, join(e.aliases, ", "), e.summary, key_list(*e.options)});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_runners() {
  Table t{{"runner", "kind", "metrics", "summary", "options"}, {}, {}};
  for (const auto& e : runners::runner_registry())
    t.rows.push_back(
        {e.name, e.kind + "_runner", join(e.metrics, ", "), e.summary, key_list(e.options)});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_spaces() {
  Table t{{"search space", "summary"}, {}, {}};
  for (const auto& e : space::space_registry()) t.rows.push_back({e.name, e.summary});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_quantizers() {
  Table t{{"quantizer", "aliases", "MASE class", "summary", "keys (per operand)"}, {}, {}};
  for (const auto& f : quant::family_registry()) {
    std::vector<std::string> keys;
    for (const auto& k : f.keys) keys.push_back(k.key + (k.required ? "" : " (optional)"));
    t.rows.push_back({f.name, join(f.aliases, ", "), "<Op>" + f.mase_class_suffix, f.summary,
                      join(keys, ", ")});
  }
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_config() {
  std::cout << config_reference_markdown();
}

void print_plots() {
  Table t{{"plot", "title", "summary"}, {}, {}};
  for (const auto& k : report::section_registry()) t.rows.push_back({k.id, k.title, k.summary});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_actions() {
  Table t{{"action", "usage", "summary"}, {}, {}};
  for (const auto& a : action_registry()) t.rows.push_back({a.name, a.usage, a.summary});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_onnx_ops() {
  Table t{{"domain", "ONNX op", "chop"}, {}, {}};
  for (const auto& o : interop::supported_onnx_ops())
    t.rows.push_back({o.domain.empty() ? "ai.onnx" : o.domain, o.op_type, o.summary});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_export_formats() {
  Table t{{"format", "writes", "read by"}, {}, {}};
  for (const auto& f : interop::export_formats()) t.rows.push_back({f.name, f.summary, f.readers});
  std::cout << t.render(TableStyle::kMarkdown);
}

}  // namespace

int run_list(ActionContext& ctx) {
  std::string kind = ctx.words.empty() ? "all" : ctx.words[0];
  // Every documented config table (long, so not part of `chop list`): docs/config-reference.md.
  if (kind == "config") {
    print_config();
    return 0;
  }
  struct Kind {
    const char* name;
    void (*print)();
  };
  static const Kind kinds[] = {
      {"models", print_models},     {"datasets", print_datasets},
      {"passes", print_passes},     {"samplers", print_samplers},
      {"pruners", print_pruners},   {"runners", print_runners},
      {"spaces", print_spaces},     {"quantizers", print_quantizers},
      {"plots", print_plots},
      {"actions", print_actions},   {"onnx-ops", print_onnx_ops},
      {"export-formats", print_export_formats}};
  std::vector<std::string> names;
  for (const auto& k : kinds) {
    if (kind == "all") {
      std::cout << "## " << k.name << "\n";
      k.print();
      std::cout << "\n";
    } else if (kind == k.name) {
      k.print();
      return 0;
    }
    names.push_back(k.name);
  }
  if (kind != "all")
    throw UserError("unknown list kind '" + kind + "'" + did_you_mean(kind, names) +
                    "; expected one of " + list_of(names) + ", config");
  return 0;
}

}  // namespace chop::cli
