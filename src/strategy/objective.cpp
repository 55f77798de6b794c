// The per-trial objective; see objective.h. Trial attributes follow MASE's search (sampled
// config, software/hardware/scaled metrics) plus chop's constraint bookkeeping.
#include "strategy/objective.h"

#include <ATen/ATen.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <optional>

#include "passes/pass.h"
#include "space/constraints.h"
#include "strategy/study_setup.h"

namespace chop::strategy {

search::Objective make_objective(const ObjectiveInputs& in) {
  // Runners are thread-safe: basic_train trains each candidate on its own fused engine (and
  // serialises its LibTorch fallback itself), so parallel trials (n_jobs > 1) train
  // concurrently.
  return [in](search::Trial& trial) -> std::vector<double> {
    const StrategyConfig& strategy = *in.strategy;
    trial.set_repeat_by_return(true);  // a repeat ends here, without an exception per repeat
    std::map<std::string, Json> sampled;
    for (const auto& p : in.space->params()) {
      if (strategy.categorical) {
        sampled[p.key] = trial.suggest_categorical(p.key, p.choices);
      } else {
        int64_t idx = trial.suggest_int(p.key, 0, static_cast<int64_t>(p.choices.size()) - 1);
        sampled[p.key] = p.choices[static_cast<size_t>(idx)];
      }
    }
    if (trial.repeat_of()) return {};  // the study reuses the earlier trial's result
    // Recorded before anything is evaluated (this also claims the configuration in a shared
    // study): repeats are matched on these values, never on indices (study_setup.h).
    Json config = Json::object();
    for (const auto& [key, value] : sampled) config[key] = value;
    trial.set_system_attr(kConfigAttr, config);
    runners::RunnerEnv env;
    env.data = in.data;
    env.batch_size = in.batch_size;
    env.device = in.device;
    env.seed = in.seed + static_cast<uint64_t>(trial.number());
    // Parallel trials share the cores: one thread each (results do not depend on it).
    env.n_threads = strategy.n_jobs == 1 ? 0 : 1;
    env.trial = &trial;
    space::Candidate cand = in.space->build_for_trial(sampled, env.seed);
    Json sw = Json::object(), hw = Json::object();
    // A-priori constraints: an over-budget candidate is recorded PRUNED (infeasible) and never
    // reaches the runners, so it is never trained (docs/nas.md).
    if (!strategy.constraints.empty()) {
      at::NoGradGuard no_grad;
      passes::PassContext pctx;
      pctx.seed = env.seed;
      pctx.batch_size = env.batch_size;
      pctx.device = in.device.str();
      if (in.data->val.size() > 0)
        pctx.dummy_input =
            in.data->val.x.narrow(0, 0, std::min(env.batch_size, in.data->val.size()));
      space::ConstraintCheck check =
          space::check_hardware_constraints(cand.graph, strategy.constraints, pctx);
      trial.set_system_attr("constraints", check.values);
      trial.set_user_attr("constraint_metrics", check.metrics);
      if (!check.feasible()) {
        trial.set_user_attr("infeasible", true);
        trial.set_user_attr("violated_constraints", check.violated);
        trial.set_user_attr("sampled_config", cand.sampled_config);
        throw search::TrialPruned();
      }
    }
    // Hardware metrics do not depend on training: they run first, so a multi-objective study's
    // dominance pruner knows the exact hardware objectives while the candidate trains.
    for (auto& r : strategy.hw_runners) {
      at::NoGradGuard no_grad;
      Json m = r.runner->run(cand.graph, env);
      for (auto it = m.begin(); it != m.end(); ++it) hw[it.key()] = it.value();
    }
    trial.set_user_attr("hardware_metrics", hw);
    trial.set_user_attr("sampled_config", cand.sampled_config);
    if (!strategy.sum_scaled_metrics && strategy.metrics.size() > 1) {
      std::map<int, double> exact;
      for (size_t k = 0; k < strategy.metrics.size(); ++k) {
        const auto& m = strategy.metrics[k];
        if (hw.contains(m.name) && hw[m.name].is_number())
          exact[static_cast<int>(k)] = m.scale * hw[m.name].get<double>();
      }
      if (!exact.empty()) trial.set_exact_objectives(exact);
    }
    for (auto& r : strategy.sw_runners) {
      at::NoGradGuard no_grad;
      std::optional<at::AutoGradMode> grad_on;
      if (r.entry->needs_grad) grad_on.emplace(true);
      Json m = r.runner->run(cand.graph, env);
      for (auto it = m.begin(); it != m.end(); ++it) sw[it.key()] = it.value();
    }
    Json scaled = Json::object();
    std::vector<double> values;
    double sum = 0;
    for (const auto& m : strategy.metrics) {
      const Json& v = sw.contains(m.name) ? sw[m.name] : hw[m.name];
      double x = v.is_number() ? v.get<double>() : std::nan("");
      scaled[m.name] = m.scale * x;
      values.push_back(m.scale * x);
      sum += m.scale * x;
    }
    trial.set_user_attr("software_metrics", sw);
    trial.set_user_attr("scaled_metrics", scaled);
    if (in.keep_candidate) in.keep_candidate(trial.number(), std::move(cand.graph));
    if (strategy.sum_scaled_metrics) return {sum};
    return values;
  };
}

}  // namespace chop::strategy
