// Search results in MASE's shapes: log.json (trials_dataframe, orient=index), best.json, and the
// "Best trial(s)" table with metric dicts rounded to 3 decimals.
#pragma once

#include <string>
#include <vector>

#include "search/trial.h"

namespace chop::strategy {

/// log.json: {"0": {number, value | values_i, user_attrs_*, state, datetime_*, duration}, ...}.
std::string render_log_json(const std::vector<search::FrozenTrial>& trials, bool multi_objective);
/// One trial's log.json row.
nlohmann::ordered_json log_row(const search::FrozenTrial& t, bool multi_objective);
/// The same row as text, placed for json_object_text (= indented_member(log_row(t, multi))).
std::string render_log_row(const search::FrozenTrial& t, bool multi_objective);
/// `value` dumped with 4-space indents as a member of a top-level object (one level deeper).
std::string indented_member(const nlohmann::ordered_json& value);
/// {"0": members[0], "1": ...} from members rendered by indented_member, as dump(4) writes it.
std::string json_object_text(const std::vector<const std::string*>& members);
/// best.json: {"0": {number, value, software_metrics, hardware_metrics, scaled_metrics,
/// sampled_config}, ...} for the best trial or the Pareto front.
std::string render_best_json(const std::vector<search::FrozenTrial>& best, bool multi_objective);
/// MASE's org-mode table: | | number | software_metrics | hardware_metrics | scaled_metrics |.
std::string render_best_table(const std::vector<search::FrozenTrial>& best);
/// {'loss': 0.668, 'accuracy': 0.668} as MASE beautifies a metric dict.
std::string beautify(const nlohmann::ordered_json& metrics);

}  // namespace chop::strategy
