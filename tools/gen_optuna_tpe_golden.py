#!/usr/bin/env python3
"""Reference ("golden") values of Optuna 3.1's TPE / NSGA-II internals, as JSON.

Extends shared/tools/gen_optuna_tpe_golden.py (same cases, plus log-densities, splits,
multi-objective weights, hypervolumes and crowding distances) and writes machine-readable
output for chop's tests:

    /usr/bin/python3 tools/gen_optuna_tpe_golden.py > tests/search/golden/optuna_tpe_golden.json

Needs Optuna 3.1.x (Debian's python3-optuna 3.1.0): it calls private APIs.
Log-densities are given twice: "v31" is Optuna 3.1 as shipped (its truncated-normal logpdf
omits -log(sigma)); "fixed" patches in the -log(sigma) term as Optuna >= 3.2 does.
"""
import json
import math
import warnings

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import (
    _calculate_nondomination_rank,
    _calculate_weights_below_for_multi_objective,
    _split_observation_pairs,
    default_gamma,
    default_weights,
    hyperopt_default_gamma,
)

warnings.filterwarnings("ignore")
optuna.logging.set_verbosity(optuna.logging.WARNING)

_orig_logpdf = _truncnorm.logpdf


def _fixed_logpdf(x, a, b, loc=0, scale=1):
    return _orig_logpdf(x, a, b, loc=loc, scale=scale) - np.log(scale)


def fl(v):
    """JSON-safe float (inf/nan as strings)."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def fls(a):
    return [fl(v) for v in np.asarray(a, dtype=float).ravel()]


def dist_json(d):
    if isinstance(d, CategoricalDistribution):
        return {"type": "categorical", "n_choices": len(d.choices)}
    kind = "float" if isinstance(d, FloatDistribution) else "int"
    return {"type": kind, "low": d.low, "high": d.high, "step": d.step or 0, "log": d.log}


def parzen_case(title, obs, space, points, multivariate=False, consider_prior=True,
                prior_weight=1.0, magic=True, endpoints=False, predetermined=None):
    p = _ParzenEstimatorParameters(consider_prior, prior_weight, magic, endpoints,
                                   default_weights, multivariate)
    obs_np = {k: np.asarray(v, dtype=float) for k, v in obs.items()}
    pw = None if predetermined is None else np.asarray(predetermined, dtype=float)
    est = _ParzenEstimator(obs_np, space, p, pw)
    dims = {}
    for name, dist in space.items():
        if isinstance(dist, CategoricalDistribution):
            dims[name] = {"probs": [fls(r) for r in est._categorical_weights[name]]}
        else:
            dims[name] = {"low": fl(est._low[name]), "high": fl(est._high[name]),
                          "q": fl(est._q[name] or 0), "mus": fls(est._mus[name]),
                          "sigmas": fls(est._sigmas[name])}
    pts = {k: np.asarray([pt[i] for pt in points], dtype=float) for i, k in enumerate(space)}
    # log_pdf converts categorical samples to int indices itself via fancy indexing.
    for k, d in space.items():
        if isinstance(d, CategoricalDistribution):
            pts[k] = pts[k].astype(int)
    v31 = est.log_pdf(dict(pts))
    _truncnorm.logpdf = _fixed_logpdf
    try:
        fixed = est.log_pdf(dict(pts))
    finally:
        _truncnorm.logpdf = _orig_logpdf
    return {
        "title": title,
        "space": [dict(name=k, **dist_json(d)) for k, d in space.items()],
        "obs": {k: fls(v) for k, v in obs.items()},
        "options": {"multivariate": multivariate, "consider_prior": consider_prior,
                    "prior_weight": prior_weight, "consider_magic_clip": magic,
                    "consider_endpoints": endpoints},
        "predetermined_weights": None if pw is None else fls(pw),
        "weights": fls(est._weights),
        "dims": dims,
        "points": [[fl(v) for v in pt] for pt in points],
        "log_pdf_v31": fls(v31),
        "log_pdf_fixed": fls(fixed),
    }


def parzen_cases():
    rs = np.random.RandomState(7)
    F = FloatDistribution
    cases = [
        parzen_case("float [0,10], obs 1,2,5, univariate", {"x": [1, 2, 5]}, {"x": F(0, 10)},
                    [[0.0], [0.5], [1.0], [3.3], [5.0], [9.99], [10.0]]),
        parzen_case("float [0,10], obs 1,2,5, consider_endpoints=True", {"x": [1, 2, 5]},
                    {"x": F(0, 10)}, [[0.2], [4.0]], endpoints=True),
        parzen_case("float [0,10], obs 1,2,5, consider_magic_clip=False", {"x": [1, 2, 5]},
                    {"x": F(0, 10)}, [[0.2], [4.0]], magic=False),
        parzen_case("float [0,10], obs 1,2,5, consider_prior=False", {"x": [1, 2, 5]},
                    {"x": F(0, 10)}, [[0.2], [4.0]], consider_prior=False),
        parzen_case("float [0,10], obs 1,2,5, prior_weight=2.5", {"x": [1, 2, 5]},
                    {"x": F(0, 10)}, [[0.2], [4.0]], prior_weight=2.5),
        parzen_case("float [0,10], no observations", {"x": []}, {"x": F(0, 10)}, [[0.2], [5.0]]),
        parzen_case("float log [1e-4,1], obs 1e-3,1e-2", {"x": [1e-3, 1e-2]},
                    {"x": F(1e-4, 1, log=True)}, [[1e-4], [2e-3], [0.5], [1.0]]),
        parzen_case("int [1,10] step 1, obs 3,4,9", {"n": [3, 4, 9]}, {"n": IntDistribution(1, 10)},
                    [[1], [3], [4], [7], [10]]),
        parzen_case("int [0,20] step 4, obs 4,8,8", {"n": [4, 8, 8]},
                    {"n": IntDistribution(0, 20, step=4)}, [[0], [8], [20]]),
        parzen_case("int log [1,1024], obs 16,64", {"n": [16, 64]},
                    {"n": IntDistribution(1, 1024, log=True)}, [[1], [16], [100], [1024]]),
        parzen_case("float step 0.5 [0,5], obs 1.0,1.5", {"x": [1.0, 1.5]},
                    {"x": F(0, 5, step=0.5)}, [[0.0], [1.0], [2.5], [5.0]]),
        parzen_case("categorical 4 choices, obs idx 0,0,2", {"c": [0, 0, 2]},
                    {"c": CategoricalDistribution(["a", "b", "c", "d"])}, [[0], [1], [2], [3]]),
        parzen_case("categorical, no observations", {"c": []},
                    {"c": CategoricalDistribution(["a", "b", "c", "d"])}, [[0], [3]]),
        parzen_case("multivariate: 2 floats [0,10], 4 obs", {"x": [1, 2, 5, 7], "y": [3, 3, 8, 9]},
                    {"x": F(0, 10), "y": F(0, 10)}, [[1.0, 3.0], [6.0, 8.5], [0.0, 10.0]],
                    multivariate=True),
    ]
    # Larger cases: ramped weights (n >= 25), repeated values, mixed multivariate space.
    x40 = np.round(rs.uniform(-5, 5, size=40), 3)
    cases.append(parzen_case("float [-5,5], 40 random obs (ramp weights)", {"x": list(x40)},
                             {"x": F(-5, 5)}, [[-5.0], [-1.234], [0.0], [2.5], [5.0]]))
    n60 = rs.randint(0, 8, size=60) * 2
    cases.append(parzen_case("int [0,14] step 2, 60 obs with repeats", {"n": list(n60)},
                             {"n": IntDistribution(0, 14, step=2)}, [[0], [6], [14]]))
    c30 = rs.randint(0, 5, size=30)
    cases.append(parzen_case("categorical 5 choices, 30 obs", {"c": list(c30)},
                             {"c": CategoricalDistribution(list("abcde"))}, [[0], [2], [4]]))
    mixed_space = {"lr": F(1e-5, 1e-1, log=True), "bits": IntDistribution(2, 16),
                   "act": CategoricalDistribution(["relu", "gelu", "tanh"]), "drop": F(0, 0.5)}
    m = 12
    mixed_obs = {"lr": list(np.exp(rs.uniform(np.log(1e-5), np.log(1e-1), size=m))),
                 "bits": list(rs.randint(2, 17, size=m)), "act": list(rs.randint(0, 3, size=m)),
                 "drop": list(rs.uniform(0, 0.5, size=m))}
    pts = [[1e-3, 8, 0, 0.1], [5e-5, 2, 2, 0.45], [0.05, 16, 1, 0.0]]
    cases.append(parzen_case("multivariate mixed (log float, int, categorical, float), 12 obs",
                             mixed_obs, mixed_space, pts, multivariate=True))
    cases.append(parzen_case("univariate float with predetermined (MOTPE) weights",
                             {"x": [0.1, 0.4, 0.45, 0.9]}, {"x": F(0, 1)}, [[0.0], [0.42], [1.0]],
                             predetermined=[1.0, 0.25, 1e-12, 0.5]))
    return cases


def truncnorm_cases():
    out = {"log_ndtr": [], "log_gauss_mass": [], "ppf": [], "ndtri_exp": []}
    for a in [-40.0, -25.0, -20.0, -10.0, -3.0, -1.0, -0.5, 0.0, 0.3, 1.0, 5.0, 6.5, 10.0]:
        out["log_ndtr"].append([a, fl(_truncnorm._log_ndtr_single(a))])
    for a, b in [(-1, 1), (-50, 50), (-3, -2), (2, 3), (-0.5, 0.1), (-9, -8.9), (8.9, 9),
                 (-100, 0.2), (0.0, 1e-9), (-30, -29)]:
        v = _truncnorm._log_gauss_mass(np.asarray([a], float), np.asarray([b], float))[0]
        out["log_gauss_mass"].append([a, b, fl(v)])
    for q, a, b in [(0.5, -1, 1), (0.1, -1, 1), (0.999, -3, 0.5), (0.25, 2, 5), (0.7, -10, -8),
                    (0.01, -0.5, 100), (0.99, -100, 0.5), (1e-6, -2, 2), (0.3, -40, 40)]:
        v = _truncnorm.ppf(np.asarray([q], float), np.asarray([a], float),
                           np.asarray([b], float))[0]
        out["ppf"].append([q, a, b, fl(v)])
    for y in [-1e-10, -0.01, -0.69, -1.5, -2.6, -10.0, -100.0, -700.0, -1000.0]:
        out["ndtri_exp"].append([y, fl(_truncnorm._ndtri_exp_single(y))])
    return out


def split_case(title, scores, n_below, violations=None):
    below, above = _split_observation_pairs(scores, n_below, violations)
    return {"title": title, "steps": [fl(s) for s, _ in scores],
            "values": [[fl(x) for x in v] for _, v in scores], "n_below": n_below,
            "violations": None if violations is None else [fl(v) for v in violations],
            "below": [int(i) for i in below], "above": [int(i) for i in above]}


def split_cases():
    inf = float("inf")
    rs = np.random.RandomState(3)
    so = [(-inf, [3.0]), (-inf, [1.0]), (-5, [0.5]), (-inf, [1.0]), (-7, [9.0]), (1, [0.0]),
          (inf, [inf]), (-inf, [2.0]), (-5, [0.2]), (-inf, [-1.0])]
    cases = [split_case("single objective: complete, pruned, running", so, 3),
             split_case("single objective: n_below larger than completes", so, 7),
             split_case("single objective with constraints (feasible enough)", so[:6], 2,
                        [0.0, 0.0, 0.5, 0.0, 1.0, 0.0]),
             split_case("single objective with constraints (too few feasible)", so[:6], 3,
                        [0.7, 0.0, 0.5, 2.0, 1.0, 0.0])]
    mo2 = [(-inf, list(v)) for v in np.round(rs.uniform(0, 1, size=(30, 2)), 3)]
    cases.append(split_case("two objectives, 30 trials, n_below 3 (HSSP)", mo2, 3))
    cases.append(split_case("two objectives, 30 trials, n_below 9", mo2, 9))
    mo3 = [(-inf, list(v)) for v in np.round(rs.uniform(-1, 1, size=(25, 3)), 3)]
    cases.append(split_case("three objectives, 25 trials, n_below 3", mo3, 3))
    front = [(-inf, [i / 9.0, 1 - (i / 9.0) ** 0.5]) for i in range(10)]
    cases.append(split_case("two objectives, one front of 10, n_below 4", front, 4))
    return cases, mo2, mo3


def mo_weight_cases(mo2, mo3):
    out = []
    for title, scores, n_below, viol in [
        ("two objectives, below of 9", mo2, 9, None),
        ("three objectives, below of 6", mo3, 6, None),
        ("two objectives, below of 9, constraints", mo2, 9, [0.0 if i % 4 else 1.0
                                                            for i in range(len(mo2))]),
    ]:
        below, _ = _split_observation_pairs(scores, n_below, viol)
        w = _calculate_weights_below_for_multi_objective(scores, below, viol)
        out.append({"title": title, "values": [[fl(x) for x in v] for _, v in scores],
                    "violations": viol, "below": [int(i) for i in below], "weights": fls(w)})
    ranks = _calculate_nondomination_rank(np.asarray([v for _, v in mo2]))
    return out, [int(r) for r in ranks]


def hypervolume_cases():
    rs = np.random.RandomState(11)
    out = []
    for m, n in [(2, 10), (3, 12), (4, 10), (3, 1), (2, 1)]:
        pts = np.round(rs.uniform(0, 1, size=(n, m)), 4)
        ref = np.ones(m) * 1.1
        out.append({"points": [list(map(float, p)) for p in pts], "reference": list(ref),
                    "hv": optuna._hypervolume.WFG().compute(pts, ref)})
    return out


def nsga_cases():
    from optuna.samplers.nsgaii._sampler import _calc_crowding_distance
    from optuna.study import StudyDirection
    from optuna.trial import create_trial

    inf = float("inf")
    vals = [[1.0, 5.0], [2.0, 3.0], [3.0, 2.5], [4.0, 1.0], [2.0, 3.0], [inf, 0.5], [0.5, inf]]
    trials = [create_trial(values=v) for v in vals]
    for i, t in enumerate(trials):
        t.number = i
    cd = _calc_crowding_distance(list(trials))
    rs = np.random.RandomState(5)
    pop_vals = np.round(rs.uniform(0, 1, size=(20, 2)), 2)
    pop = [create_trial(values=list(v)) for v in pop_vals]
    for i, t in enumerate(pop):
        t.number = i
    sampler = optuna.samplers.NSGAIISampler()
    fronts = sampler._fast_non_dominated_sort(
        list(pop), [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE])
    rank = [0] * len(pop)
    for r, f in enumerate(fronts):
        for t in f:
            rank[t.number] = r
    return {"crowding": {"values": [[fl(x) for x in v] for v in vals],
                         "distance": [fl(cd[i]) for i in range(len(vals))]},
            "nondominated_sort": {"values": [list(map(float, v)) for v in pop_vals],
                                  "directions": ["minimize", "maximize"], "rank": rank}}


def toy_study():
    sampler = optuna.samplers.TPESampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1.0) ** 2, n_trials=30)
    return {"first_12_after_startup": [round(t.params["x"], 4) for t in study.trials[10:22]],
            "best_x": round(study.best_params["x"], 4), "best_value": study.best_value}


def main():
    ns = [0, 1, 5, 10, 11, 50, 100, 249, 250, 251, 1000, 10000]
    splits, mo2, mo3 = split_cases()
    mo_weights, ranks = mo_weight_cases(mo2, mo3)
    out = {
        "_comment": "generated by tools/gen_optuna_tpe_golden.py, do not edit",
        "optuna_version": optuna.__version__,
        "numpy_version": np.__version__,
        "default_gamma": [[n, default_gamma(n)] for n in ns],
        "hyperopt_default_gamma": [[n, hyperopt_default_gamma(n)] for n in ns],
        "default_weights": {str(n): fls(default_weights(n)) for n in [0, 5, 25, 26, 30, 100]},
        "parzen": parzen_cases(),
        "truncnorm": truncnorm_cases(),
        "split": splits,
        "mo_weights": mo_weights,
        "nondomination_rank_mo2": ranks,
        "hypervolume": hypervolume_cases(),
        "nsgaii": nsga_cases(),
        "toy_study_seed0": toy_study(),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
