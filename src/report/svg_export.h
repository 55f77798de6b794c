// Standalone SVG files from the report's Vega-Lite specs, drawn by the same vega/vega-lite
// bundles as the page, under node (Debian's nodejs): chop writes the bundles and
// web/render_svg.js to a temporary folder and runs `node render_svg.js`. Without node the
// HTML report is still written; the result says why there are no SVGs.
#pragma once

#include <string>
#include <vector>

#include "report/study_data.h"

namespace chop::report {

struct SvgJob {
  std::string path;  // the .svg file to write (replaced atomically)
  Json spec;         // Vega-Lite
};

struct SvgExportResult {
  bool ok = false;
  std::vector<std::string> written;
  std::string message;  // why not ok (no node, a failed render), with what to do
};

/// $CHOP_NODE if set, else `node` or `nodejs` on PATH; "" when none is found.
std::string find_node();

/// Renders every job with `node` (find_node() when empty). Never throws for a missing or
/// failing node: the result carries the message.
SvgExportResult export_svgs(const std::vector<SvgJob>& jobs, std::string node = "");

}  // namespace chop::report
