// The report page: a page model (JSON: title, facts, notes, sections of Vega-Lite figures, the
// trial table) and the self-contained HTML that renders it offline with the inlined vega,
// vega-lite and vega-embed. The dashboard serves the same page in live mode.
#pragma once

#include <string>
#include <vector>

#include "report/figures.h"
#include "report/importance.h"

namespace chop::report {

struct StudyReport {
  Json model;                   // what the page renders
  std::vector<Figure> figures;  // every figure of every section, for the SVG export
};

/// Summary, importances, every section of the plot registry and the trial table.
StudyReport build_study_report(const StudyData& study, const ImportanceOptions& importance = {});

/// {"n_trials", "n_finished", "signature"}: the signature changes whenever a trial is added,
/// changes state or reports a value (the live page re-renders then).
Json study_state(const StudyData& study);

struct PageOptions {
  bool live = false;      // poll the dashboard's /api/state and re-render on change
  int refresh_ms = 2000;  // live polling period
};

/// The whole HTML document (scripts and data inline; no network needed to view it).
std::string render_page(const Json& model, const PageOptions& options = {});

/// JavaScript that may sit inside <script> without ending it ("</script" and "<!--" escaped).
std::string script_safe(std::string_view text);
/// JSON text for a <script type="application/json"> element ("<" written as \u003c).
std::string json_for_script(const Json& value);
/// Text escaped for HTML element content and attribute values.
std::string html_escape(const std::string& text);

}  // namespace chop::report
