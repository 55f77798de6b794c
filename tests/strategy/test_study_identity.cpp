// Choosing a search's study (strategy/study_identity.h): resume the study made for this
// search, adopt one without a definition, continue <name>-<k> made for it, start a new one on
// request, refuse otherwise — and never overwrite another run's definition.
#include <gtest/gtest.h>

#include "core/error.h"
#include "search/storage.h"
#include "strategy/study_definition.h"
#include "strategy/study_identity.h"

namespace chop::strategy {
namespace {

Json definition_with(std::vector<Json> widths) {
  StudyDefinitionParts p;
  p.params = {{"linear/weight_width", std::move(widths)}};
  p.model = {{"name", "jsc-tiny"}};
  return make_definition(p);
}

const search::ParamSpace kDeclared = {
    {"linear/weight_width", search::Distribution::make_int(0, 2)}};

void open_with(search::Storage& storage, const std::string& name, const Json& definition) {
  storage.create_or_load_study(name, {search::Direction::kMaximize}, true);
  record_definition(storage, name, definition);
}

TEST(StudyChoice, ResumesRefusesStartsAnewAndContinuesTheNewStudy) {
  auto storage = search::make_in_memory_storage();
  const Json a = definition_with({Json(2), Json(4), Json(8)});
  const Json b = definition_with({Json(8), Json(4), Json(2)});
  EXPECT_EQ(choose_study(*storage, "lab", a, kDeclared, false).name, "lab");  // absent: new
  open_with(*storage, "lab", a);
  StudyChoice same = choose_study(*storage, "lab", a, kDeclared, false);
  EXPECT_EQ(same.name, "lab");
  EXPECT_TRUE(same.note.empty());
  try {
    choose_study(*storage, "lab", b, kDeclared, false);
    FAIL() << "a changed search must be refused";
  } catch (const UserError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("study 'lab' in in-memory (0 trials) was made for another search: "
                     "parameter linear/weight_width choices [2, 4, 8] → [8, 4, 2]"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("--new-study"), std::string::npos) << m;
  }
  StudyChoice fresh = choose_study(*storage, "lab", b, kDeclared, true);
  EXPECT_EQ(fresh.name, "lab-2");
  EXPECT_TRUE(fresh.created_new);
  EXPECT_NE(fresh.note.find("study 'lab' in in-memory is kept"), std::string::npos) << fresh.note;
  open_with(*storage, "lab-2", b);
  StudyChoice again = choose_study(*storage, "lab", b, kDeclared, false);
  EXPECT_EQ(again.name, "lab-2");
  EXPECT_FALSE(again.created_new);
  EXPECT_EQ(choose_study(*storage, "lab", a, kDeclared, true).name, "lab-3");
}

TEST(StudyChoice, AStudyWithoutDefinitionIsAdoptedUnlessItsChoicesContradict) {
  auto storage = search::make_in_memory_storage();
  const Json a = definition_with({Json(2), Json(4), Json(8)});
  const int64_t id = storage->create_or_load_study("old", {search::Direction::kMaximize}, true);
  EXPECT_EQ(choose_study(*storage, "old", a, kDeclared, false).name, "old");
  // An older chop recorded its choice lists: another order is refused.
  storage->set_study_user_attr(id, "chop:param_choices", {{"linear/weight_width", {8, 4, 2}}});
  EXPECT_THROW(choose_study(*storage, "old", a, kDeclared, false), UserError);
  storage->set_study_user_attr(id, "chop:param_choices", {{"linear/weight_width", {2, 4, 8}}});
  EXPECT_EQ(choose_study(*storage, "old", a, kDeclared, false).name, "old");
}

TEST(StudyChoice, AnotherRunsDefinitionIsNeverOverwritten) {
  auto storage = search::make_in_memory_storage();
  open_with(*storage, "lab", definition_with({Json(2), Json(4)}));
  try {
    record_definition(*storage, "lab", definition_with({Json(4), Json(2)}));
    FAIL() << "the stored definition must stay";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("was just created for another search"), std::string::npos)
        << e.what();
  }
  const auto id = storage->study_id_from_name("lab");
  EXPECT_EQ(storage->study_user_attrs(*id)[kDefinitionAttr]["params"]["linear/weight_width"],
            Json({2, 4}));
}

}  // namespace
}  // namespace chop::strategy
