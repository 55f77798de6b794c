// chop's entry point: parse `chop ACTION [MODEL] [DATASET] [flags]`, resolve the configuration,
// run the action, and map every error to one clear line and an exit code (the only catch).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/action.h"
#include "cli/extra_options.h"
#include "config/options.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"

namespace chop::cli {
namespace {

constexpr const char* kVersion = "0.1.0";

std::string actions_help() {
  std::string s = "Actions:\n";
  for (const auto& a : action_registry()) s += "  " + a.usage + "\n      " + a.summary + "\n";
  return s;
}

int run(int argc, char** argv) {
  CLI::App app{"chop: analyse, quantize, train and search hardware-aware neural networks", "chop"};
  app.footer(actions_help());
  app.allow_windows_style_options(false);
  std::vector<std::string> positionals;
  app.add_option("action words", positionals, "ACTION [MODEL] [DATASET]");
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "print the version and exit");

  // Every MASE option from the one table; values stay strings until typed by the table.
  std::map<std::string, std::string> raw;
  std::map<std::string, bool> bool_flags;
  for (const auto& o : config::option_table()) {
    std::string names = o.flag;
    for (const auto& a : o.aliases) names += "," + a;
    std::string help = o.help;
    if (!o.choices.empty()) help += " {" + join(o.choices, ",") + "}";
    if (o.type == config::OptionType::kBool) {
      app.add_flag(names, bool_flags[o.dest], help)->group("MASE options (" + o.group + ")");
    } else {
      app.add_option(names, raw[o.dest], help)->group("MASE options (" + o.group + ")");
    }
  }
  std::map<std::string, std::string> extra_raw;
  std::map<std::string, bool> extra_flags;
  for (const auto& e : extra_option_table()) {
    std::string help = e.help + " [" + e.actions + "]";
    if (e.is_flag)
      app.add_flag(e.flag, extra_flags[e.dest], help)->group("chop options");
    else
      app.add_option(e.flag, extra_raw[e.dest], help)->group("chop options");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    std::vector<std::string> flags;
    for (const auto& o : config::option_table()) flags.push_back(o.flag);
    for (const auto& o : extra_option_table()) flags.push_back(o.flag);
    std::string hint;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (starts_with(a, "--") && msg.find(a) != std::string::npos)
        hint = did_you_mean(split(a, '=')[0], flags);
    }
    throw UserError(msg + hint + "; see `chop --help`");
  }
  if (show_version) {
    std::cout << "chop " << kVersion << " (MASE-compatible CLI, LibTorch backend)\n";
    return 0;
  }
  if (positionals.empty()) {
    std::cout << app.help();
    throw UserError("no action given; expected one of the actions above");
  }

  ActionContext ctx;
  ctx.action = positionals[0];
  ctx.words.assign(positionals.begin() + 1, positionals.end());
  config::Json cli = config::Json::object();
  for (const auto& o : config::option_table()) {
    if (o.type == config::OptionType::kBool) {
      if (app.count(o.flag) > 0) cli[o.dest] = true;
    } else if (app.count(o.flag) > 0) {
      cli[o.dest] = config::parse_cli_value(o, raw[o.dest]);
    }
  }
  for (const auto& e : extra_option_table()) {
    if (app.count(e.flag) == 0) continue;
    if (e.is_flag)
      ctx.extra[e.dest] = true;
    else
      ctx.extra[e.dest] = extra_raw[e.dest];
  }
  // MODEL and DATASET given as positionals are manual overrides in MASE's table.
  const ActionEntry* action = action_registry().find(ctx.action);
  if (action && action->takes_model) {
    if (ctx.words.size() >= 1) cli["model"] = ctx.words[0];
    if (ctx.words.size() >= 2) cli["dataset"] = ctx.words[1];
  }
  std::optional<config::TomlDocument> toml;
  if (cli.contains("config")) toml = config::load_toml_file(cli["config"].get<std::string>());
  ctx.cfg = config::resolve(cli, std::move(toml));
  set_log_level(parse_log_level(ctx.cfg.str("log_level")));

  return action_registry().get(ctx.action).run(ctx);
}

}  // namespace
}  // namespace chop::cli

namespace {

int run_and_report(int argc, char** argv) {
  try {
    return chop::cli::run(argc, argv);
  } catch (const chop::Error& e) {
    // An interruption is the user's request, not a failure: its message says what was kept.
    std::cerr << (e.code() == chop::ExitCode::kInterrupted ? "" : "error: ") << e.what() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory; try a smaller --batch-size or data set\n";
    return static_cast<int>(chop::ExitCode::kRuntimeError);
  } catch (const std::exception& e) {
    // LibTorch errors carry a C++ backtrace after the first line; users get only the first.
    std::string msg = e.what();
    std::cerr << "error: " << msg.substr(0, msg.find('\n'))
              << " (unexpected; please report it with the command you ran)\n";
    return static_cast<int>(chop::ExitCode::kInternalError);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int rc = run_and_report(argc, argv);
  // Every file chop writes is complete and closed by now (atomic writes, studies closed when
  // the action returns). Skipping the static destructors of LibTorch and its ~280 libraries
  // saves ~60 ms of every run (docs/benchmarks.md, start-up).
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(rc);
}
