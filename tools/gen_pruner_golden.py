#!/usr/bin/python3
"""Reference pruning decisions from Optuna 3.x (Debian python3-optuna) on synthetic learning
curves, for tests/search/test_pruners.cpp.

Usage: /usr/bin/python3 tools/gen_pruner_golden.py > tests/search/golden/pruner_decisions.json

Each case runs a sequential Optuna study whose trial n reports curves[n][step] for every step and
asks should_prune() after each report; the golden records the step at which each trial was
pruned (-1: it completed). The curves are written out, so the C++ test needs no RNG of numpy.
"""
import json
import math
import sys

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def make_curves(seed, n_trials, n_steps, maximize, nan_trial=None):
    rng = np.random.RandomState(seed)
    curves = []
    for i in range(n_trials):
        a = rng.uniform(0.5, 2.0)
        b = rng.uniform(0.05, 0.4)
        c = rng.uniform(0.0, 1.0)
        noise = rng.normal(0.0, 0.03, size=n_steps)
        loss = [float(round(a * math.exp(-b * s) + c + noise[s], 6)) for s in range(n_steps)]
        if maximize:
            loss = [float(round(3.0 - v, 6)) for v in loss]
        if nan_trial is not None and i == nan_trial:
            loss[n_steps // 3] = float("nan")
        curves.append(loss)
    return curves


def run_case(name, pruner_name, options, direction, curves, study_name="golden"):
    pruners = {
        "median": optuna.pruners.MedianPruner,
        "percentile": optuna.pruners.PercentilePruner,
        "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
        "hyperband": optuna.pruners.HyperbandPruner,
    }
    pruner = pruners[pruner_name](**options)
    study = optuna.create_study(
        study_name=study_name,
        direction=direction,
        pruner=pruner,
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    pruned_at = []

    def objective(trial):
        curve = curves[trial.number]
        for step, value in enumerate(curve):
            trial.report(value, step)
            if trial.should_prune():
                pruned_at.append(step)
                raise optuna.TrialPruned()
        pruned_at.append(-1)
        return curve[-1]

    study.optimize(objective, n_trials=len(curves))
    return {
        "name": name,
        "pruner": pruner_name,
        "options": options,
        "direction": direction,
        "study_name": study_name,
        "curves": [[None if math.isnan(v) else v for v in c] for c in curves],
        "pruned_at": pruned_at,
    }


def main():
    cases = []
    cases.append(run_case("median_default", "median", {}, "minimize",
                          make_curves(1, 30, 20, False, nan_trial=12)))
    cases.append(run_case("median_warmup_interval_max", "median",
                          {"n_startup_trials": 2, "n_warmup_steps": 3, "interval_steps": 2},
                          "maximize", make_curves(2, 30, 20, True)))
    cases.append(run_case("percentile_25_min_trials", "percentile",
                          {"percentile": 25.0, "n_startup_trials": 3, "n_min_trials": 3},
                          "minimize", make_curves(3, 30, 15, False)))
    cases.append(run_case("percentile_75_max", "percentile", {"percentile": 75.0},
                          "maximize", make_curves(4, 25, 15, True)))
    cases.append(run_case("sha_auto", "successive_halving", {}, "minimize",
                          make_curves(5, 40, 30, False, nan_trial=20)))
    cases.append(run_case("sha_rf2_rate1", "successive_halving",
                          {"min_resource": 1, "reduction_factor": 2, "min_early_stopping_rate": 1},
                          "minimize", make_curves(6, 40, 30, False)))
    cases.append(run_case("sha_bootstrap_max", "successive_halving",
                          {"min_resource": 2, "reduction_factor": 3, "bootstrap_count": 2},
                          "maximize", make_curves(7, 40, 30, True)))
    cases.append(run_case("hyperband_auto", "hyperband", {}, "minimize",
                          make_curves(8, 60, 27, False)))
    cases.append(run_case("hyperband_27_max", "hyperband",
                          {"min_resource": 1, "max_resource": 27, "reduction_factor": 3},
                          "maximize", make_curves(9, 60, 27, True), study_name="hb-study"))
    cases.append(run_case("hyperband_rf2", "hyperband",
                          {"min_resource": 2, "max_resource": 32, "reduction_factor": 2},
                          "minimize", make_curves(10, 60, 32, False)))
    out = {
        "generated_by": "tools/gen_pruner_golden.py, do not edit",
        "optuna_version": optuna.__version__,
        "numpy_version": np.__version__,
        "cases": cases,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
