// Table rendering; see table.h.
#include "core/table.h"

#include <algorithm>
#include <sstream>

namespace chop {
namespace {

// Cells may hold several lines ('\n'); each line wraps at `width` (0: no wrapping).
std::vector<std::string> wrap(const std::string& cell, size_t width) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    size_t nl = cell.find('\n', start);
    std::string part = cell.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (width == 0 || part.size() <= width) {
      lines.push_back(part);
    } else {
      for (size_t i = 0; i < part.size(); i += width) lines.push_back(part.substr(i, width));
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::string pad(const std::string& s, size_t w, bool center) {
  if (s.size() >= w) return s;
  size_t extra = w - s.size();
  if (!center) return s + std::string(extra, ' ');
  size_t left = extra / 2;
  return std::string(left, ' ') + s + std::string(extra - left, ' ');
}

}  // namespace

std::string Table::render(TableStyle style) const {
  size_t ncol = header.size();
  for (const auto& r : rows) ncol = std::max(ncol, r.size());
  auto cell_lines = [&](const std::vector<std::string>& row, size_t c) {
    std::string v = c < row.size() ? row[c] : "";
    size_t mw = c < max_col_widths.size() ? max_col_widths[c] : 0;
    return wrap(v, mw);
  };
  std::vector<size_t> width(ncol, 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < ncol; ++c)
      for (const auto& l : cell_lines(row, c)) width[c] = std::max(width[c], l.size());
  };
  measure(header);
  for (const auto& r : rows) measure(r);

  std::ostringstream os;
  auto rule = [&](char fill, char joint) {
    if (style == TableStyle::kMarkdown) return;
    os << joint;
    for (size_t c = 0; c < ncol; ++c) os << std::string(width[c] + 2, fill) << joint;
    os << '\n';
  };
  auto line = [&](const std::vector<std::string>& row, bool is_header) {
    std::vector<std::vector<std::string>> cells(ncol);
    size_t height = 1;
    for (size_t c = 0; c < ncol; ++c) {
      cells[c] = cell_lines(row, c);
      height = std::max(height, cells[c].size());
    }
    for (size_t h = 0; h < height; ++h) {
      os << '|';
      for (size_t c = 0; c < ncol; ++c) {
        std::string v = h < cells[c].size() ? cells[c][h] : "";
        bool center = style == TableStyle::kPretty && (is_header || c > 0);
        os << ' ' << pad(v, width[c], center) << " |";
      }
      os << '\n';
    }
  };
  rule('-', '+');
  line(header, true);
  if (style == TableStyle::kMarkdown) {
    os << '|';
    for (size_t c = 0; c < ncol; ++c) os << std::string(width[c] + 2, '-') << '|';
    os << '\n';
  } else {
    rule(style == TableStyle::kGrid ? '=' : '-', '+');
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    line(rows[r], false);
    if (style == TableStyle::kGrid && r + 1 < rows.size()) rule('-', '+');
  }
  rule('-', '+');
  return os.str();
}

std::string Table::to_csv() const {
  auto quote = [](const std::string& v) {
    if (v.find_first_of(",\"\n") == std::string::npos) return v;
    std::string q = "\"";
    for (char c : v) q += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::ostringstream os;
  auto emit = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) os << (c ? "," : "") << quote(row[c]);
    os << '\n';
  };
  emit(header);
  for (const auto& r : rows) emit(r);
  return os.str();
}

}  // namespace chop
