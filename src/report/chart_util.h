// Shared pieces of the Vega-Lite specs: the common look, the fixed colour of each trial
// category, safe field names, one data row per trial and its tooltip.
#pragma once

#include <string>
#include <vector>

#include "report/figures.h"

namespace chop::report {

/// A spec's common part: $schema, title, white background, fonts.
Json base_spec(const std::string& title);

/// Colour encoding of the `category` field with a fixed colour per category, so every chart
/// agrees; the legend lists `present` (categories in the data plus extra series such as
/// "best so far"), in the registry's order.
Json category_color(const std::vector<std::string>& present);
/// Shape encoding of `category` (same domain as category_color, so the legends merge).
Json category_shape(const std::vector<std::string>& present);
/// A number for labels and captions: 6 significant digits ("0.677587", "3.04751").
std::string short_number(double v);
/// Categories that occur among `rows` (trial_rows output), in legend order.
std::vector<std::string> categories_in(const Json& rows);

/// Field names inside specs never contain the user's names (dots and brackets are field-path
/// syntax in Vega): objective k is "o<k>", parameter j "p<j>".
std::string obj_field(size_t k);
std::string param_field(size_t j);

/// "accuracy (maximize)".
std::string objective_title(const StudyData& study, size_t k);

/// The parameter's value in `t` for charts: a number (int/float), the choice's text
/// (categorical) or null when the trial does not have it.
Json param_value(const ParamAxis& axis, const search::FrozenTrial& t);

/// A choice as text: strings as they are, other JSON compactly ("4", "null", "[1,2]").
std::string choice_text(const Json& choice);

/// One row per trial (`only_plottable`: trials with every objective value): number, state,
/// category, o<k>, p<j> and m<i> (ctx.metrics).
Json trial_rows(const ReportContext& ctx, bool only_plottable);

/// Tooltip: trial number, category, objectives, parameters and metrics under their real names.
Json trial_tooltip(const ReportContext& ctx);

/// An x or y encoding for parameter j (quantitative, log when the distribution is, or ordinal
/// in choice order).
Json param_encoding(const ReportContext& ctx, size_t j);

}  // namespace chop::report
