// Tests for core/strings.
#include "core/strings.h"

#include <gtest/gtest.h>

namespace chop {

TEST(Strings, ThousandsSeparators) {
  EXPECT_EQ(with_thousands(14029450), "14,029,450");
  EXPECT_EQ(with_thousands(117), "117");
  EXPECT_EQ(with_thousands(-1000), "-1,000");
}

TEST(Strings, FormatDoubleRoundTrips) {
  EXPECT_EQ(format_double(0.1), "0.1");
  EXPECT_EQ(format_double(1e-5), "1e-05");
  EXPECT_EQ(format_double(3.0), "3");
}

TEST(Strings, DidYouMeanFindsCloseWord) {
  EXPECT_EQ(did_you_mean("jsc-tny", {"jsc-tiny", "vgg7"}), " (did you mean 'jsc-tiny'?)");
  EXPECT_EQ(did_you_mean("zzzzzzzz", {"jsc-tiny", "vgg7"}), "");
}

TEST(Strings, SplitJoin) {
  auto p = split("a,b,,c", ',');
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(join(p, "|"), "a|b||c");
  EXPECT_EQ(trim("  x \n"), "x");
}

}  // namespace chop
