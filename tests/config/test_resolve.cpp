// Configuration: NA -> null, default < TOML < CLI, and errors that point at file:line:col.
#include <gtest/gtest.h>

#include "config/resolve.h"
#include "core/error.h"

namespace chop::config {

TEST(Toml, NaBecomesNullAtAnyDepth) {
  auto doc = parse_toml_string(
      "[search.search_space.seed.default.config]\nname = [\"NA\"]\nx = \"NA\"\n", "t.toml");
  const Json* cfg = find_path(doc.root, "search.search_space.seed.default.config");
  ASSERT_TRUE(cfg);
  EXPECT_TRUE((*cfg)["name"][0].is_null());
  EXPECT_TRUE((*cfg)["x"].is_null());
  EXPECT_EQ(doc.where("search.search_space.seed.default.config.x"), "t.toml:3:5");
}

TEST(Resolve, PrecedenceDefaultTomlCli) {
  auto doc = parse_toml_string("batch_size = 512\nmax_epochs = 5\n", "c.toml");
  Json cli = {{"max_epochs", 20}};  // explicit CLI value equal to the default still wins
  RunConfig rc = resolve(cli, doc);
  EXPECT_EQ(rc.integer("batch_size"), 512);
  EXPECT_EQ(rc.integer("max_epochs"), 20);
  EXPECT_EQ(rc.str("training_optimizer"), "adam");
  std::string table = rc.render_table();
  EXPECT_NE(table.find("Config. File"), std::string::npos);
  EXPECT_NE(table.find("Manual Override"), std::string::npos);
}

TEST(Resolve, NoTomlDropsConfigColumn) {
  RunConfig rc = resolve(Json::object(), std::nullopt);
  EXPECT_EQ(rc.render_table().find("Config. File"), std::string::npos);
  EXPECT_EQ(rc.integer("batch_size"), 128);
}

TEST(Resolve, UnknownKeyNamesFileLineAndSuggests) {
  auto doc = parse_toml_string("model = \"jsc-tiny\"\nbatch_sise = 3\n", "c.toml");
  try {
    resolve(Json::object(), doc);
    FAIL();
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("c.toml:2:"), std::string::npos) << m;
    EXPECT_NE(m.find("batch_size"), std::string::npos) << m;
  }
}

TEST(Resolve, WrongTypeAndBadChoice) {
  EXPECT_THROW(resolve(Json::object(), parse_toml_string("batch_size = \"big\"\n", "c.toml")),
               ConfigError);
  EXPECT_THROW(resolve(Json::object(), parse_toml_string("training_optimizer = \"adum\"\n", "c")),
               ConfigError);
  EXPECT_THROW(parse_cli_value(*find_option_by_dest("batch_size"), "12x"), UserError);
  EXPECT_EQ(parse_cli_value(*find_option_by_dest("learning_rate"), "1e-3"), 1e-3);
}

TEST(Toml, SyntaxErrorHasLocation) {
  try {
    parse_toml_string("a = [1,\n", "bad.toml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.toml:"), std::string::npos);
  }
}

}  // namespace chop::config
