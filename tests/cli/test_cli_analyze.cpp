// `chop analyze` end to end: MASE's parameter counts and float32 sizes for the zoo.
#include <gtest/gtest.h>

#include "common/run_chop.h"

namespace chop {

TEST(CliAnalyze, ReportsParametersAndSize) {
  struct Case {
    const char* model;
    const char* params;
    const char* bytes;
  };
  for (const Case& c : {Case{"jsc-tiny", "117", "468"}, Case{"jsc-toy", "327", "1,308"},
                        Case{"jsc-s", "5,615", "22,460"}, Case{"vgg7", "14,029,450", "56,117,800"}}) {
    auto r = testing::run_chop(std::string("analyze ") + c.model);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find(std::string("Parameters: ") + c.params), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(std::string("Model size: ") + c.bytes + " bytes"), std::string::npos)
        << r.output;
  }
}

TEST(CliAnalyze, ForwardBackwardReachesEveryParameter) {
  auto r = testing::run_chop("analyze jsc-s --forward-backward --batch-size 64");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("16/16 parameter tensors received a non-zero gradient"),
            std::string::npos)
      << r.output;
}

TEST(CliAnalyze, GraphTextUsesFxNames) {
  auto r = testing::run_chop("analyze jsc-tiny --graph");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("%seq_blocks_2 = call_module[linear/module_related_func](%seq_blocks_1)"),
            std::string::npos)
      << r.output;
}

}  // namespace chop
