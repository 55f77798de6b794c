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

std::unique_ptr<Runner> make_average_bitwidth(
    const Json& o, const std::function<std::string(const std::string&)>& locate) {
  check_keys(o, {"compare_to"}, locate);
  if (!o.is_object() || !o.contains("compare_to"))
    throw ConfigError(locate("compare_to"), "average_bitwidth needs compare_to (e.g. 32)");
  double c = opt_number(o, "compare_to", 32.0, locate);
  if (c <= 0) throw ConfigError(locate("compare_to"), "compare_to must be positive");
  return std::make_unique<AverageBitwidth>(c);
}

}  // namespace chop::runners
