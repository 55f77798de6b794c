// profile_statistics: each stat against MASE's formulas evaluated by tools/gen_profile_golden.py,
// and the pass on jsc-tiny with lab 2's configuration (metadata layout, counts, errors).
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/files.h"
#include "passes/analysis/stats.h"
#include "passes/common.h"
#include "passes/registry.h"

namespace chop::passes {
namespace {

using testing::context;
using testing::zoo;

const Json& golden() {
  static const Json g = Json::parse(
      read_file(std::string(CHOP_SOURCE_DIR) + "/tests/passes/golden/profile_golden.json"));
  return g;
}

at::Tensor tensor_from(const Json& rows) {
  std::vector<double> flat;
  for (const auto& r : rows)
    for (const auto& v : r) flat.push_back(v.get<double>());
  return at::tensor(flat, at::kDouble)
      .reshape({static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())})
      .to(at::kFloat);
}

void expect_near_json(const Json& got, const Json& want, const std::string& what) {
  if (want.is_array()) {
    ASSERT_TRUE(got.is_array()) << what << ": " << got.dump();
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); ++i) expect_near_json(got[i], want[i], what);
  } else if (want.is_number()) {
    ASSERT_TRUE(got.is_number()) << what << ": " << got.dump();
    EXPECT_NEAR(got.get<double>(), want.get<double>(), 1e-5 * (1 + std::abs(want.get<double>())))
        << what;
  } else {
    EXPECT_EQ(got, want) << what;
  }
}

void check(const std::string& stat, const Json& kwargs, const at::Tensor& data, bool as_weight,
           const Json& want) {
  auto s = make_stat(stat, kwargs, "test");
  if (as_weight)
    s->update_sample(data);
  else
    s->update_batch(data);
  Json got = s->compute();
  for (auto it = want.begin(); it != want.end(); ++it)
    expect_near_json(got[it.key()], it.value(), stat + "." + it.key());
}

TEST(Stats, ActivationStatsMatchMaseFormulas) {
  const Json& g = golden();
  at::Tensor b = tensor_from(g["batch"]);
  const Json& a = g["activation"];
  check("variance_online", Json::object(), b, false, a["variance_online"]);
  check("variance_online", Json{{"dims", nullptr}}, b, false, a["variance_online_dims_none"]);
  check("variance_precise", Json{{"dims", "all"}, {"device", "cpu"}}, b, false,
        a["variance_precise"]);
  check("range_min_max", Json::object(), b, false, a["range_min_max"]);
  check("range_min_max", Json{{"abs", true}}, b, false, a["range_min_max_abs"]);
  check("range_quantile", Json{{"quantile", 0.97}}, b, false, a["range_quantile"]);
  check("range_quantile", Json{{"quantile", 0.8}, {"dims", nullptr}}, b, false,
        a["range_quantile_dims_none"]);
  check("range_n_sigma", Json{{"num_sigma", 3}}, b, false, a["range_n_sigma"]);
  check("abs_mean", Json::object(), b, false, a["abs_mean"]);
}

TEST(Stats, WeightIsOneSample) {
  const Json& g = golden();
  at::Tensor w = tensor_from(g["weight"]);
  for (auto it = g["weight_stats"].begin(); it != g["weight_stats"].end(); ++it)
    check(it.key(), Json::object(), w, true, it.value());
}

TEST(Stats, NotEnoughValuesGiveNA) {
  auto s = make_stat("variance_online", Json{{"dims", nullptr}}, "t");
  s->update_sample(at::ones({1, 3}));
  EXPECT_EQ(s->compute()["mean"], "NA");
  auto a = make_stat("abs_mean", Json::object(), "t");
  a->update_sample(at::ones({1}));
  EXPECT_EQ(a->compute()["abs_mean"], "NA");
}

TEST(Stats, UnknownStatOrArgument) {
  EXPECT_THROW(make_stat("range_quantiles", Json::object(), "t"), ConfigError);
  EXPECT_THROW(make_stat("range_quantile", Json{{"quantil", 0.9}}, "t"), ConfigError);
  EXPECT_THROW(make_stat("range_n_sigma", Json{{"var_mode", "exact"}}, "t"), ConfigError);
}

TEST(ProfileStatistics, Lab2ConfigOnJscTiny) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  Json opts = Json::parse(R"({
    "by": "type", "target_weight_nodes": ["linear"], "target_activation_nodes": ["relu"],
    "weight_statistics": {"variance_precise": {"device": "cpu", "dims": "all"}},
    "activation_statistics": {"range_quantile": {"device": "cpu", "dims": "all",
                                                 "quantile": 0.97}},
    "num_samples": 32})");
  // Feed known batches so the activation stats can be checked.
  std::vector<at::Tensor> fed;
  ctx.input_batch = [&](int64_t i) {
    at::manual_seed(100 + i);
    fed.push_back(at::randn({8, 16}));
    return fed.back();
  };
  PassResult r = run_pass("profile_statistics", g, opts, ctx);
  EXPECT_EQ(r.info["n_batches"], 4);
  ASSERT_EQ(fed.size(), 4u);
  const Json& sw = g.node("seq_blocks_2").meta["software"]["args"];
  const at::Tensor& w = *g.node("seq_blocks_2").param("weight");
  EXPECT_NEAR(sw["weight"]["stat"]["variance_precise"]["variance"].get<double>(),
              w.var().item<double>(), 1e-6);
  EXPECT_EQ(sw["weight"]["stat"]["variance_precise"]["count"], 80);
  EXPECT_EQ(sw["bias"]["stat"]["variance_precise"]["count"], 5);
  EXPECT_TRUE(sw["data_in_0"]["stat"].empty());
  // seq_blocks_1's input is the BatchNorm output of the fed batches.
  const Json& q =
      g.node("seq_blocks_1").meta["software"]["args"]["data_in_0"]["stat"]["range_quantile"];
  EXPECT_EQ(q["count"], 32 * 16);
  graph::Node& bn = g.node("seq_blocks_0");
  at::Tensor all =
      at::batch_norm(at::cat(fed), *bn.param("weight"), *bn.param("bias"), bn.buffers[0].second,
                     bn.buffers[1].second, false, 0.1, 1e-5, false)
          .detach()
          .to(at::kDouble);
  EXPECT_NEAR(q["max"].get<double>(), at::quantile(all.flatten(), 0.97).item<double>(), 1e-5);
  EXPECT_NEAR(q["min"].get<double>(), at::quantile(all.flatten(), 0.03).item<double>(), 1e-5);
  EXPECT_EQ(g.node("seq_blocks_3")
                .meta["software"]["args"]["data_in_0"]["stat"]["range_quantile"]["count"],
            32 * 5);
}

TEST(ProfileStatistics, UnknownTargetIsAConfigError) {
  graph::Graph g = zoo("jsc-tiny");
  PassContext ctx = context(8);
  EXPECT_THROW(run_pass("profile_statistics", g,
                        Json{{"by", "name"}, {"target_activation_nodes", {"seq_blocks_7"}}}, ctx),
               ConfigError);
}

}  // namespace
}  // namespace chop::passes
