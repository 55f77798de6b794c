// hw runner "average_bitwidth" (+ memory_density), via the average_bitwidth pass.
#include "core/error.h"
#include "passes/registry.h"
#include "runners/runner.h"

namespace chop::runners {
namespace {

class AverageBitwidth : public Runner {
 public:
  explicit AverageBitwidth(double compare_to) : compare_to_(compare_to) {}
  Json run(graph::Graph& g, RunnerEnv& env) override {
    passes::PassContext ctx;
    ctx.seed = env.seed;
    auto r = passes::run_pass("average_bitwidth", g, Json{{"compare_to", compare_to_}}, ctx);
    return Json{{"average_bitwidth", r.info["average_bitwidth"]},
                {"memory_density", r.info["memory_density"]}};
  }

 private:
  double compare_to_;
};

}  // namespace

std::unique_ptr<Runner> make_average_bitwidth(const config::TableReader& o) {
  o.require("compare_to");
  const double c = o.get_double("compare_to", 32.0);
  if (c <= 0) throw ConfigError(o.locate("compare_to"), "compare_to must be positive");
  return std::make_unique<AverageBitwidth>(c);
}

}  // namespace chop::runners
