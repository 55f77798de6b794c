// Tests for core/limits: checked size arithmetic, the memory budget and its refusals, strict
// number parsing.
#include "core/limits.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/error.h"

namespace chop {

TEST(Limits, CheckedArithmeticDetectsOverflow) {
  EXPECT_EQ(checked_mul(1ull << 31, 1ull << 31), 1ull << 62);
  EXPECT_FALSE(checked_mul(1ull << 32, 1ull << 32));
  EXPECT_FALSE(checked_add(~0ull, 1));
  EXPECT_EQ(element_count({5, 16}), 80u);
  EXPECT_EQ(element_count({}), 1u);
  EXPECT_EQ(element_count({0, 1ll << 62}), 0u);
  EXPECT_FALSE(element_count({-1, 4}));
  // 2^62 x 4 wraps to 0 in 64 bits: must be refused, not reported as an empty tensor.
  EXPECT_FALSE(element_count({1ll << 62, 4}));
  EXPECT_FALSE(tensor_bytes({1ll << 61, 1}, 8));
}

TEST(Limits, BudgetRefusesWithSizeAndOrigin) {
  setenv("CHOP_MAX_MEMORY_MB", "64", 1);
  EXPECT_EQ(memory_budget_bytes(), 64ull << 20);
  EXPECT_FALSE(memory_refusal(1u << 20, "x"));
  auto m = memory_refusal(1ull << 30, "the weights");
  ASSERT_TRUE(m);
  EXPECT_NE(m->find("the weights needs 1.0 GiB"), std::string::npos) << *m;
  EXPECT_NE(m->find("64 MiB"), std::string::npos) << *m;
  EXPECT_TRUE(memory_refusal(std::nullopt, "overflowing sizes"));
  EXPECT_THROW(check_file_memory("f.bin", 1ull << 40, "x"), DataError);
  EXPECT_THROW(check_flag_memory("--batch-size", 1ull << 40, "x"), UserError);
  unsetenv("CHOP_MAX_MEMORY_MB");
  EXPECT_GT(memory_budget_bytes(), 64ull << 20);
}

TEST(Limits, ThreadCapIsAMultipleOfTheCores) {
  EXPECT_GE(max_threads(), 8);
  EXPECT_EQ(max_threads() % 8, 0);
}

TEST(Limits, StrictNumberParsing) {
  EXPECT_EQ(parse_int64("42"), 42);
  EXPECT_EQ(parse_int64("-3"), -3);
  EXPECT_FALSE(parse_int64("99999999999999999999"));
  EXPECT_FALSE(parse_int64("4x"));
  EXPECT_FALSE(parse_int64(" 4"));
  EXPECT_FALSE(parse_int64(""));
  EXPECT_EQ(parse_finite_double("1e-5"), 1e-5);
  EXPECT_FALSE(parse_finite_double("1e999"));
  EXPECT_FALSE(parse_finite_double("nan"));
  EXPECT_FALSE(parse_finite_double("inf"));
  EXPECT_FALSE(parse_finite_double("1.0abc"));
}

}  // namespace chop
