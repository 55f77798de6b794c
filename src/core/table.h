// Plain-text tables in the two styles MASE prints (tabulate "pretty" and "grid"), plus CSV.
#pragma once

#include <string>
#include <vector>

namespace chop {

enum class TableStyle { kPretty, kGrid, kMarkdown };

/// A table of strings; rows may be shorter than the header (missing cells print empty).
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  /// Optional per-column maximum width; longer cells wrap (MASE's maxcolwidths).
  std::vector<size_t> max_col_widths;

  std::string render(TableStyle style = TableStyle::kPretty) const;
  std::string to_csv() const;
};

}  // namespace chop
