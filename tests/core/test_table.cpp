// Tests for core/table rendering.
#include "core/table.h"

#include <gtest/gtest.h>

namespace chop {

TEST(Table, PrettyCentersAllButFirstColumn) {
  Table t{{"Name", "Value"}, {{"batch_size", "128"}}, {}};
  EXPECT_EQ(t.render(TableStyle::kPretty),
            "+------------+-------+\n"
            "|    Name    | Value |\n"
            "+------------+-------+\n"
            "| batch_size |  128  |\n"
            "+------------+-------+\n");
}

TEST(Table, CsvQuotesCommas) {
  Table t{{"a", "b"}, {{"x,y", "z"}}, {}};
  EXPECT_EQ(t.to_csv(), "a,b\n\"x,y\",z\n");
}

TEST(Table, WrapsLongCells) {
  Table t{{"k"}, {{"abcdef"}}, {3}};
  EXPECT_NE(t.render().find("| abc |\n| def |"), std::string::npos);
}

}  // namespace chop
