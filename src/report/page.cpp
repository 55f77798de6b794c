// Page model and HTML; see page.h.
#include "report/page.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"
#include "report/assets.h"
#include "report/chart_util.h"
#include "report/trial_table.h"

namespace chop::report {
namespace {

std::string plural(size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

Json facts(const StudyData& study, const StudySummary& s) {
  Json f = Json::array();
  auto fact = [&](const std::string& k, const std::string& v) { f.push_back({k, v}); };
  fact("Study", study.name);
  fact("Storage", study.storage);
  std::vector<std::string> objectives;
  for (size_t k = 0; k < study.n_objectives(); ++k) objectives.push_back(objective_title(study, k));
  fact(study.multi_objective() ? "Objectives" : "Objective", join(objectives, ", "));
  std::vector<std::string> states;
  if (s.n_complete) states.push_back(std::to_string(s.n_complete) + " complete");
  if (s.n_pruned) states.push_back(std::to_string(s.n_pruned) + " pruned");
  if (s.n_infeasible) states.push_back(std::to_string(s.n_infeasible) + " infeasible");
  if (s.n_failed) states.push_back(std::to_string(s.n_failed) + " failed");
  if (s.n_running) states.push_back(std::to_string(s.n_running) + " running");
  if (s.n_waiting) states.push_back(std::to_string(s.n_waiting) + " waiting");
  fact("Trials",
       std::to_string(s.n_trials) + (states.empty() ? "" : " (" + join(states, ", ") + ")"));
  if (!s.best.empty()) {
    if (!study.multi_objective()) {
      const auto& t = study.trials[s.best.front()];
      fact("Best", "trial " + std::to_string(t.number) + ": " + study.objective_names[0] + " " +
                       short_number(t.values[0]) + " " + t.params_json().dump());
    } else {
      std::vector<std::string> numbers;
      for (size_t i : s.best) numbers.push_back(std::to_string(study.trials[i].number));
      fact("Pareto front", plural(s.best.size(), "trial") + ": " + join(numbers, ", "));
      fact("Hypervolume", short_number(s.hypervolume));
    }
  }
  int64_t first = 0, last = 0;
  for (const auto& t : study.trials) {
    if (t.datetime_start_ms > 0 && (first == 0 || t.datetime_start_ms < first))
      first = t.datetime_start_ms;
    last = std::max(last, t.datetime_complete_ms);
  }
  if (first > 0 && last >= first)
    fact("Ran", format_local_time(first) + " to " + format_local_time(last) + " (" +
                    short_number(static_cast<double>(last - first) / 1000.0) + " s)");
  return f;
}

// Changes whenever a trial is added or changes state: the live page re-renders on a change.
std::string signature(const StudyData& study) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](uint64_t v) {
    h ^= v;
    h *= 1099511628211ULL;
  };
  for (const auto& t : study.trials) {
    mix(static_cast<uint64_t>(t.number));
    mix(static_cast<uint64_t>(t.state));
    mix(static_cast<uint64_t>(t.datetime_complete_ms));
    mix(t.intermediate_values.size());
  }
  return std::to_string(study.trials.size()) + "-" + std::to_string(h);
}

}  // namespace

StudyReport build_study_report(const StudyData& study, const ImportanceOptions& importance) {
  const StudySummary summary = summarize(study);
  const std::vector<ObjectiveImportance> importances = study_importances(study, importance);
  const ReportContext ctx(study, summary, importances);
  StudyReport r;
  Json sections = Json::array();
  for (auto& s : build_sections(ctx)) {
    Json figures = Json::array();
    for (auto& f : s.figures) {
      figures.push_back(
          {{"id", f.id}, {"title", f.title}, {"caption", f.caption}, {"spec", f.spec}});
      r.figures.push_back(std::move(f));
    }
    sections.push_back({{"id", s.id},
                        {"title", s.title},
                        {"text", s.text},
                        {"notes", s.notes},
                        {"figures", std::move(figures)}});
  }
  r.model = {{"kind", "study"},
             {"title", "Study " + study.name},
             {"subtitle", study.storage},
             {"facts", facts(study, summary)},
             {"notes", summary.notes},
             {"sections", std::move(sections)},
             {"table", trial_table(ctx)},
             {"generator", "chop report; charts: " + charting_libraries()},
             {"state", study_state(study)}};
  return r;
}

Json study_state(const StudyData& study) {
  size_t finished = 0;
  for (const auto& t : study.trials) finished += search::is_finished(t.state) ? 1 : 0;
  return {
      {"n_trials", study.trials.size()}, {"n_finished", finished}, {"signature", signature(study)}};
}

std::string script_safe(std::string_view text) {
  // Only "</script" and "<!--" can end or confuse a script element; inside JavaScript strings
  // and regular expressions "<\/" and "<\!" read the same.
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size()) {
      const std::string_view rest = text.substr(i + 1, 7);
      if (rest.size() == 7 && rest[0] == '/' && to_lower(std::string(rest.substr(1))) == "script") {
        out += "<\\/";
        ++i;  // past the '/'
        continue;
      }
      if (text.substr(i + 1, 3) == "!--") {
        out += "<\\!";
        ++i;  // past the '!'
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string json_for_script(const Json& value) {
  // \u003c keeps any "</script>" or "<!--" inside strings from ending the element.
  return replace_all(value.dump(), "<", "\\u003c");
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_page(const Json& model, const PageOptions& options) {
  const std::string title =
      model.contains("title") ? model["title"].get<std::string>() : std::string("chop report");
  Json live = nullptr;
  if (options.live)
    live = {{"state_url", "api/state"},
            {"model_url", "api/report"},
            {"interval_ms", options.refresh_ms}};
  std::string html;
  html.reserve(asset_text(Asset::kVega).size() + asset_text(Asset::kVegaLite).size() +
               asset_text(Asset::kVegaEmbed).size() + 200000);
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<meta name=\"generator\" content=\"chop\">\n";
  html += "<title>" + html_escape(title) + "</title>\n<style>\n";
  html += asset_text(Asset::kReportCss);
  html += "</style>\n";
  // The libraries exactly as published (only "</" is escaped, which JavaScript reads the same).
  for (Asset a : {Asset::kVega, Asset::kVegaLite, Asset::kVegaEmbed}) {
    html += "<script>";
    html += script_safe(asset_text(a));
    html += "</script>\n";
  }
  html += "</head>\n<body>\n";
  html +=
      "<noscript><p class=\"chop-noscript\">This report draws its charts with JavaScript, "
      "which is off. The data is in this file; the charts are also saved as SVG files next "
      "to it (plots/).</p></noscript>\n";
  html += "<pre id=\"chop-errors\" hidden></pre>\n<div id=\"chop-report\"></div>\n";
  html += "<script type=\"application/json\" id=\"chop-model\">";
  html += json_for_script(model);
  html += "</script>\n<script>";
  html += script_safe(asset_text(Asset::kReportJs));
  html +=
      "</script>\n<script>chopReport.start(JSON.parse(document.getElementById('chop-model')"
      ".textContent), ";
  html += json_for_script(live);
  html += ");</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace chop::report
