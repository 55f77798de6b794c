// `chop study list|show|export|copy|delete --storage URL [--study NAME]`: looks after stored
// studies (search/study_admin.h does the work; this file parses and prints).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/action.h"
#include "core/error.h"
#include "core/files.h"
#include "core/strings.h"
#include "core/table.h"
#include "search/study_admin.h"

namespace chop::cli {
namespace {

constexpr const char* kUsage =
    "chop study list|show|export|copy|delete --storage URL [--study NAME] [--out FILE] "
    "[--format csv|json] [--to URL] [--to-study NAME] [--yes]";

std::string flag(const ActionContext& ctx, const std::string& dest) {
  return ctx.extra.contains(dest) ? ctx.extra[dest].get<std::string>() : "";
}

// `must_exist`: a study file that is not there is a typo, not a new empty storage.
std::shared_ptr<search::Storage> open(const std::string& url, const std::string& which,
                                      bool must_exist = true) {
  if (url.empty())
    throw UserError("chop study needs " + which +
                    " URL (sqlite:///path/study.db, a .db path, or postgresql://user@host/db)");
  const std::string l = to_lower(url);
  if (l == "memory" || l == ":memory:" || l == "sqlite")
    throw UserError(which + " '" + url +
                    "' names no stored study file: give sqlite:///path/study.db or a .db path "
                    "(a search's default study is <project>/software/search_ckpts/study.db)");
  const std::string file = search::sqlite_path_of(url);
  if (must_exist && !file.empty() && !std::filesystem::exists(file))
    throw UserError(which + ": no study file " + file + " (a search's default study is " +
                    "<project_dir>/<project>/software/search_ckpts/study.db)");
  return search::open_storage(url);
}

std::string directions_text(const std::vector<search::Direction>& dirs) {
  std::vector<std::string> out;
  for (auto d : dirs) out.push_back(search::to_string(d));
  return join(out, ", ");
}

std::string counts_text(const search::StudySummary& s) {
  std::vector<std::string> out;
  for (auto& [state, n] : s.n_by_state)
    out.push_back(std::to_string(n) + " " + to_lower(search::to_string(state)));
  return out.empty() ? "no trials" : join(out, ", ");
}

std::string values_text(const search::FrozenTrial& t) {
  std::vector<std::string> v;
  for (double x : t.values) v.push_back(format_double(x));
  return join(v, ", ");
}

std::string params_text(const search::FrozenTrial& t) {
  std::vector<std::string> p;
  const auto params = t.params_json();
  for (auto it = params.begin(); it != params.end(); ++it)
    p.push_back(it.key() + "=" +
                (it.value().is_string() ? it.value().get<std::string>() : it.value().dump()));
  return join(p, ", ");
}

int study_list(search::Storage& storage) {
  const auto studies = storage.study_summaries();
  if (studies.empty()) {
    std::cout << "No studies in " << storage.describe() << "\n";
    return 0;
  }
  Table t{{"study", "directions", "trials", "states", "started"}, {}, {}};
  for (const auto& s : studies)
    t.rows.push_back({s.name, directions_text(s.directions), std::to_string(s.n_trials),
                      counts_text(s), search::iso_datetime(s.datetime_start_ms)});
  std::cout << "Studies in " << storage.describe() << ":\n" << t.render(TableStyle::kMarkdown);
  return 0;
}

int study_show(search::Storage& storage, const std::string& name) {
  const auto s = search::find_study(storage, name);
  const auto trials = search::load_study_trials(storage, s);
  std::cout << "Study '" << s.name << "' in " << storage.describe() << "\n"
            << "  directions: " << directions_text(s.directions) << "\n"
            << "  trials: " << trials.size() << " (" << counts_text(s) << ")\n";
  const auto best = search::best_of(s, trials);
  if (best.empty()) {
    std::cout << "No COMPLETE trial yet.\n";
    return 0;
  }
  std::cout << (s.directions.size() > 1
                    ? "Pareto front (" + std::to_string(best.size()) + " trials):\n"
                    : std::string("Best trial:\n"));
  Table t{{"number", s.directions.size() > 1 ? "values" : "value", "params", "duration_s"},
          {},
          {8, 24, 80, 12}};
  for (const auto& b : best)
    t.rows.push_back({std::to_string(b.number), values_text(b), params_text(b),
                      format_double(static_cast<double>(b.duration_ms()) / 1000.0)});
  std::cout << t.render(TableStyle::kMarkdown);
  return 0;
}

int study_export(search::Storage& storage, const std::string& name, const ActionContext& ctx) {
  const auto s = search::find_study(storage, name);
  const auto trials = search::load_study_trials(storage, s);
  const std::string out = flag(ctx, "out");
  std::string format = to_lower(flag(ctx, "format"));
  if (format.empty()) format = ends_with(to_lower(out), ".json") ? "json" : "csv";
  if (format != "csv" && format != "json")
    throw UserError("--format must be csv or json, got '" + format + "'");
  const std::string text = format == "json" ? search::study_to_json(s, trials).dump(2) + "\n"
                                            : search::study_to_csv(s, trials);
  if (out.empty() || out == "-") {
    std::cout << text;
  } else {
    write_file_atomic(out, text);
    std::cout << "Exported " << trials.size() << " trials of study '" << s.name << "' to " << out
              << "\n";
  }
  return 0;
}

int study_copy(search::Storage& from, const std::string& name, const ActionContext& ctx) {
  auto to = open(flag(ctx, "to"), "--to", /*must_exist=*/false);
  const std::string dest = flag(ctx, "to_study").empty() ? name : flag(ctx, "to_study");
  const auto r = search::copy_study(from, name, *to, dest);
  std::cout << "Copied study '" << name << "' (" << r.n_trials << " trials) from "
            << from.describe() << " to " << to->describe() << " as '" << dest << "'\n";
  if (r.n_unfinished > 0)
    std::cout << "Note: " << r.n_unfinished
              << " trial(s) were RUNNING or WAITING and were copied as they were.\n";
  return 0;
}

int study_delete(search::Storage& storage, const std::string& name, const ActionContext& ctx) {
  const auto s = search::find_study(storage, name);
  if (!ctx.extra.contains("yes")) {
    if (!isatty(STDIN_FILENO))
      throw UserError("deleting study '" + name + "' (" + std::to_string(s.n_trials) +
                      " trials) from " + storage.describe() + " needs confirmation: add --yes");
    std::cout << "Delete study '" << name << "' with " << s.n_trials << " trials from "
              << storage.describe() << "? This cannot be undone. [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (to_lower(answer) != "y" && to_lower(answer) != "yes") {
      std::cout << "Nothing deleted.\n";
      return 0;
    }
  }
  storage.delete_study(s.study_id);
  std::cout << "Deleted study '" << name << "' (" << s.n_trials << " trials) from "
            << storage.describe() << "\n";
  return 0;
}

}  // namespace

int run_study(ActionContext& ctx) {
  const std::string verb = ctx.words.empty() ? "" : ctx.words[0];
  static const std::vector<std::string> kVerbs = {"list", "show", "export", "copy", "delete"};
  if (std::find(kVerbs.begin(), kVerbs.end(), verb) == kVerbs.end())
    throw UserError((verb.empty()
                         ? std::string("chop study needs a subcommand")
                         : "unknown study subcommand '" + verb + "'" + did_you_mean(verb, kVerbs)) +
                    "; usage: " + kUsage);
  auto storage = open(flag(ctx, "storage"), "--storage");
  if (verb == "list") return study_list(*storage);
  const std::string name = flag(ctx, "study");
  if (name.empty()) {
    std::vector<std::string> names;
    for (const auto& s : storage->study_summaries()) names.push_back(s.name);
    throw UserError("chop study " + verb + " needs --study NAME" +
                    (names.empty() ? std::string(" (") + storage->describe() + " holds no study)"
                                   : "; " + storage->describe() + " holds " + list_of(names)));
  }
  if (verb == "show") return study_show(*storage, name);
  if (verb == "export") return study_export(*storage, name, ctx);
  if (verb == "copy") return study_copy(*storage, name, ctx);
  return study_delete(*storage, name, ctx);
}

}  // namespace chop::cli
