#!/usr/bin/python3
"""Optuna 3.1 (Debian's python3-optuna) on a chop study storage, for chop's interop tests.

  optuna_study.py dump URL STUDY         print the study as Optuna sees it (JSON on stdout)
  optuna_study.py write URL STUDY N SEED  create STUDY with Optuna and run N trials over the
                                          tests' search space (x, k, c), ending with one FAIL
  optuna_study.py append URL STUDY N SEED load STUDY and run N more Optuna trials
  optuna_study.py write_like SRC_URL SRC_STUDY URL STUDY N SEED
                                          create STUDY with SRC_STUDY's directions and run N
                                          random trials over the distributions of its first
                                          trial (a study Optuna wrote over a chop search space)
URL is an SQLAlchemy URL (sqlite:///path.db, postgresql://user:pw@host:port/db).
"""
import json
import math
import random
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def number(v):
    if v is None:
        return None
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def dump(url, name):
    study = optuna.load_study(study_name=name, storage=url)
    out = {
        "directions": [d.name for d in study.directions],
        "user_attrs": study.user_attrs,
        "trials": [],
    }
    for t in study.get_trials(deepcopy=False):
        out["trials"].append({
            "number": t.number,
            "state": t.state.name,
            "values": None if t.values is None else [number(v) for v in t.values],
            "params": t.params,
            "distributions": {k: json.loads(optuna.distributions.distribution_to_json(d))
                              for k, d in t.distributions.items()},
            "intermediate_values": {str(k): number(v) for k, v in t.intermediate_values.items()},
            "user_attrs": t.user_attrs,
            "has_start": t.datetime_start is not None,
            "has_complete": t.datetime_complete is not None,
        })
    print(json.dumps(out, sort_keys=True))


def objective(trial):
    x = trial.suggest_float("x", -3, 3)
    k = trial.suggest_int("k", 1, 64, log=True)
    c = trial.suggest_categorical("c", ["relu", None, 4])
    for step in range(3):
        trial.report(x * x / (step + 1), step)
    trial.set_user_attr("sampled_config", {"k": k, "c": c})
    return x * x + k


def run(url, name, n, seed, create):
    sampler = optuna.samplers.RandomSampler(seed=seed)
    if create:
        study = optuna.create_study(study_name=name, storage=url, sampler=sampler)
        study.set_user_attr("written_by", "optuna")
    else:
        study = optuna.load_study(study_name=name, storage=url, sampler=sampler)
    study.optimize(objective, n_trials=n)
    if create:
        failed = study.ask()
        failed.suggest_float("x", -3, 3)
        study.tell(failed, state=optuna.trial.TrialState.FAIL)
    print(len(study.trials))


def write_like(src_url, src_name, url, name, n, seed):
    src = optuna.load_study(study_name=src_name, storage=src_url)
    dists = src.trials[0].distributions
    rng = random.Random(seed)
    study = optuna.create_study(study_name=name, storage=url, directions=src.directions,
                                sampler=optuna.samplers.RandomSampler(seed=seed))
    for _ in range(n):
        trial = study.ask(dists)
        study.tell(trial, [rng.random() for _ in src.directions])
    print(len(study.trials))


def main(argv):
    if len(argv) >= 3 and argv[0] == "dump":
        dump(argv[1], argv[2])
    elif len(argv) >= 7 and argv[0] == "write_like":
        write_like(argv[1], argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    elif len(argv) >= 5 and argv[0] in ("write", "append"):
        run(argv[1], argv[2], int(argv[3]), int(argv[4]), argv[0] == "write")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
