// The registry template: one spelling rule, aliases, names, and the unknown-name message.
#include "core/registry.h"

#include <gtest/gtest.h>

namespace chop {
namespace {

struct Row {
  std::string name;
  std::vector<std::string> aliases;
  int value;
};

const Registry<Row>& rows() {
  static const Registry<Row> r{{"sampler", "samplers", "chop list samplers"},
                               {{"bruteforce", {"exhaustive"}, 1}, {"jsc-tiny", {}, 2}}};
  return r;
}

TEST(Registry, OneSpellingRuleForNamesAndAliases) {
  for (const char* n : {"bruteforce", "Brute-Force", "brute_force", "BRUTE FORCE", "exhaustive"})
    ASSERT_NE(rows().find(n), nullptr) << n;
  EXPECT_EQ(rows().find("jsc_tiny")->value, 2);
  EXPECT_EQ(rows().find("nope"), nullptr);
  EXPECT_EQ(rows().names(), (std::vector<std::string>{"bruteforce", "jsc-tiny"}));
}

TEST(Registry, UnknownNamesGetDidYouMeanAndTheList) {
  try {
    rows().get("brutefroce");
    FAIL();
  } catch (const UserError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("unknown sampler 'brutefroce'"), std::string::npos) << m;
    EXPECT_NE(m.find("did you mean 'bruteforce'"), std::string::npos) << m;
    EXPECT_NE(m.find("known samplers: bruteforce, jsc-tiny"), std::string::npos) << m;
    EXPECT_NE(m.find("chop list samplers"), std::string::npos) << m;
  }
  EXPECT_THROW(rows().get("x", "f.toml:1:1"), ConfigError);
}

TEST(Registry, CollidingSpellingsAreABug) {
  EXPECT_THROW((Registry<Row>{{"x", "xs", ""}, {{"a-b", {}, 1}, {"ab", {}, 2}}}), InternalError);
}

}  // namespace
}  // namespace chop
