// Gathers the documented config tables from their owners and renders them; see
// config_reference.h. Each table is documented once, next to the code that reads it.
#include "cli/config_reference.h"

#include "config/options.h"
#include "core/strings.h"
#include "core/table.h"
#include "models/zoo.h"
#include "passes/registry.h"
#include "quant/family.h"
#include "runners/runner.h"
#include "search/pruner.h"
#include "search/sampler_registry.h"
#include "space/constraints.h"
#include "space/graph_space.h"
#include "strategy/search.h"

namespace chop::cli {
namespace {

const char* option_type_name(config::OptionType t) {
  switch (t) {
    case config::OptionType::kString:
      return "string";
    case config::OptionType::kInt:
      return "int";
    case config::OptionType::kFloat:
      return "number";
    case config::OptionType::kBool:
      return "bool";
    case config::OptionType::kPath:
      return "string";
  }
  return "any";
}

// MASE's top-level keys: the option table (also the command-line flags).
const config::TableDoc& top_level_doc() {
  static const config::TableDoc doc = [] {
    config::TableDoc d{
        "(top level)", "MASE's options; each is also a command-line flag (the CLI value wins)", {}};
    for (const auto& o : config::option_table()) {
      std::string help = o.help + " (flag " + o.flag + ")";
      if (!o.choices.empty()) help += "; one of " + join(o.choices, ", ");
      // num_workers defaults to the machine's core count: the reference must not depend on it.
      const config::Json def =
          o.dest == "num_workers" ? config::Json("CPU cores") : o.default_value;
      d.keys.push_back({o.dest, option_type_name(o.type), def, false, help});
    }
    return d;
  }();
  return doc;
}

std::string cell(const std::string& s) {
  return replace_all(s, "|", "\\|");
}

}  // namespace

std::vector<const config::TableDoc*> config_reference_tables() {
  std::vector<const config::TableDoc*> out = {&top_level_doc(), &models::model_config_doc()};
  for (const auto& p : passes::pass_registry()) out.push_back(&passes::pass_options_doc(p));
  // The per-node quantization keys of [passes.quantize] and the quantize search spaces.
  for (const auto& f : quant::family_registry()) out.push_back(&f.doc);
  out.push_back(&strategy::search_doc());
  for (const auto& s : space::space_registry())
    for (const auto& t : s.tables) out.push_back(&t);
  for (const auto* d : strategy::strategy_config_docs()) out.push_back(d);
  for (const auto& r : runners::runner_registry()) out.push_back(&r.options);
  for (const auto& s : search::sampler_registry()) out.push_back(s.options);
  for (const auto& p : search::pruner_registry()) out.push_back(p.options);
  out.push_back(&space::constraints_doc());
  return out;
}

std::string config_reference_markdown() {
  std::string md =
      "# Config reference\n\n"
      "Every table a chop TOML config may hold, generated from the tables' documentation in the\n"
      "code (`chop list config`; regenerate with `build/chop list config > "
      "docs/config-reference.md`).\n"
      "`\"NA\"` means unset (the default). Unknown keys are errors with a did-you-mean.\n";
  for (const config::TableDoc* d : config_reference_tables()) {
    const bool top = d->path.front() == '(';
    md += "\n## " + (top ? std::string("Top-level keys") : "`[" + d->path + "]`") + "\n\n" +
          d->summary + "\n";
    if (d->open) md += "\nFurther keys: " + d->open_keys + ".\n";
    if (d->keys.empty()) {
      md += "\n(no keys)\n";
      continue;
    }
    Table t{{"key", "type", "default", "meaning"}, {}, {}};
    for (const auto& k : d->keys)
      t.rows.push_back({k.key, k.type,
                        k.required
                            ? "required"
                            : (k.default_value.is_null() ? "-" : cell(k.default_value.dump())),
                        cell(k.help)});
    md += "\n" + t.render(TableStyle::kMarkdown);
  }
  return md;
}

}  // namespace chop::cli
