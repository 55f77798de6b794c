// The report's trial table: MASE's log.json columns (number, values, software/hardware/scaled
// metrics, sampled_config, state, start, duration) with the metrics spread into one sortable
// column each, plus the parameters and why a trial failed or was infeasible.
#pragma once

#include "report/figures.h"

namespace chop::report {

/// {"columns": [{"title", "type": "number"|"text"}], "rows": [[cell, ...], ...]} in number
/// order; numbers stay numbers (the page sorts numerically), missing cells are null.
Json trial_table(const ReportContext& ctx);

/// Local "YYYY-MM-DD HH:MM:SS" of a Unix time in ms ("" for 0).
std::string format_local_time(int64_t ms);

}  // namespace chop::report
