// The one config-table reader: unknown keys with did-you-mean at file:line:col, typed reads,
// "NA" as unset, defaults and required keys.
#include <gtest/gtest.h>

#include "config/table_reader.h"
#include "core/error.h"

namespace chop::config {
namespace {

const TableDoc& doc() {
  static const TableDoc d{"search.strategy.setup",
                          "test table",
                          {{"n_trials", "int", 20, false, "trials"},
                           {"sampler", "string", nullptr, true, "a sampler"},
                           {"timeout", "number", 0.0, false, "seconds"},
                           {"resume", "bool", true, false, "resume"},
                           {"max_resource", "number|auto", "auto", false, "budget"}}};
  return d;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(TableReader, UnknownKeyNamesFileLineColAndSuggests) {
  TomlDocument toml =
      parse_toml_string("[search.strategy.setup]\nsampler = \"tpe\"\nn_trial = 3\n", "s.toml");
  const Json& t = toml.root["search"]["strategy"]["setup"];
  const std::string m =
      error_of([&] { TableReader r(t, doc(), locate_in(&toml, "search.strategy.setup")); });
  EXPECT_NE(m.find("s.toml:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key 'n_trial'"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'n_trials'"), std::string::npos) << m;
  EXPECT_NE(m.find("search.strategy.setup.n_trial"), std::string::npos) << m;
}

TEST(TableReader, TypedReadsDefaultsAndNa) {
  const Json t = {{"sampler", "tpe"}, {"n_trials", 7}, {"timeout", nullptr}, {"max_resource", 9}};
  TableReader r(t, doc(), nullptr);
  EXPECT_EQ(r.get_int("n_trials", 20, 1), 7);
  EXPECT_EQ(r.get_double("timeout", 1.5), 1.5);  // "NA" = unset
  EXPECT_FALSE(r.has("timeout"));
  EXPECT_TRUE(r.get_bool("resume", true));
  EXPECT_EQ(r.get_auto_double("max_resource", std::nullopt), 9.0);
  const Json resolved = r.resolved();
  EXPECT_EQ(resolved["resume"], true);
  EXPECT_EQ(resolved["n_trials"], 7);
}

TEST(TableReader, WrongTypesRangesAndRequiredKeysAreConfigErrors) {
  EXPECT_NE(error_of([] {
              TableReader(Json{{"n_trials", "many"}}, doc(), nullptr).get_int("n_trials", 1);
            }).find("'n_trials' must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              TableReader(Json{{"n_trials", 0}}, doc(), nullptr).get_int("n_trials", 1, 1);
            }).find("at least 1"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              TableReader(Json::object(), doc(), nullptr).resolved();
            }).find("needs 'sampler'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              TableReader(Json{{"sampler", "tpe"}}, doc(), nullptr)
                  .get_string("sampler", "", {"random", "tpee"});
            }).find("did you mean 'tpee'"),
            std::string::npos);
  EXPECT_NE(error_of([] { TableReader(Json(3), doc(), nullptr); }).find("expected a table"),
            std::string::npos);
}

TEST(TableReader, ReadingAnUndocumentedKeyIsAnInternalError) {
  TableReader r(Json::object(), doc(), nullptr);
  EXPECT_THROW(r.get_int("undocumented", 0), InternalError);
}

}  // namespace
}  // namespace chop::config
