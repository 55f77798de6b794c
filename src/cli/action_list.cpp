// `chop list [kind]`: prints the registry tables (models, actions, ...).
#include <iostream>

#include "cli/action.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/table.h"
#include "models/zoo.h"

namespace chop::cli {
namespace {

void print_models() {
  Table t{{"model", "input", "description"}, {}, {}};
  for (const auto& m : models::model_registry())
    t.rows.push_back({m.name, m.input_kind, m.description});
  std::cout << t.render(TableStyle::kMarkdown);
}

void print_actions() {
  Table t{{"action", "usage", "summary"}, {}, {}};
  for (const auto& a : action_registry()) t.rows.push_back({a.name, a.usage, a.summary});
  std::cout << t.render(TableStyle::kMarkdown);
}

}  // namespace

int run_list(ActionContext& ctx) {
  std::string kind = ctx.words.empty() ? "all" : ctx.words[0];
  struct Kind {
    const char* name;
    void (*print)();
  };
  static const Kind kinds[] = {{"models", print_models}, {"actions", print_actions}};
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
                    "; expected one of " + list_of(names));
  return 0;
}

}  // namespace chop::cli
