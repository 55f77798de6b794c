// The web assets compiled into chop: the pinned vega, vega-lite and vega-embed bundles (from the
// npm registry, src/report/web/package-lock.json) and chop's own page script, style sheet and
// node SVG renderer. Reports inline them, so a report opens offline.
#pragma once

#include <string>
#include <string_view>

namespace chop::report {

enum class Asset {
  kVega,         // vega.min.js (UMD)
  kVegaLite,     // vega-lite.min.js (UMD; needs vega)
  kVegaEmbed,    // vega-embed.min.js (UMD; needs vega and vega-lite)
  kReportJs,     // web/report.js: renders a page model (charts, notes, the trial table)
  kReportCss,    // web/report.css
  kRenderSvgJs,  // web/render_svg.js: node script, Vega-Lite specs -> standalone SVG files
};

/// The asset's full text (static storage; never empty in a correct build).
std::string_view asset_text(Asset a);

/// "vega 5.33.0, vega-lite 5.23.0, vega-embed 6.29.0": the pinned library versions.
std::string charting_libraries();

}  // namespace chop::report
