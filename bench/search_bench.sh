#!/bin/bash
# Search throughput, chop vs the MASE-style PyTorch + Optuna peer (../shared/peers/mase_peer.py):
# ptq-search (issue 5 item 7a, target >= 20x) and nas-search (issue 6 item 7, target >= 3x) on the
# same data (chop's synthetic JSC, exported as .npy for the peer), model, search space, sampler,
# seed, trials, num_samples and epochs; one thread each. Results: docs/benchmarks.md.
#   bench/search_bench.sh [ptq|nas|all]          (default all; run bench/setup.sh first: the
#   peer runs on OpenBLAS and each peer line names its BLAS)
# Env: CHOP (chop binary; default build/chop, build it with scripts/build.sh), PEER, JSC_SIZE
#   (synthetic JSC rows before the 80/20 split, 200000), SEED (0), NUM_SAMPLES (512), PTQ_EPOCHS
#   (1), NAS_EPOCHS (1), STORAGE (ptq: chop's study storage, sqlite = study.db committed every
#   trial, the default; memory = in-process like the peer's Optuna), REPEATS (1; the fastest
#   run of each side counts), KEEP=1 keeps the
#   work folder, PTQ_CASES ("model:sampler:trials[:num_samples|all] ..."; num_samples defaults
#   to NUM_SAMPLES, "all" is the peer's own default: the whole validation split), NAS_CASES
#   ("sampler:trials ..."),
#   CPU_DIFF (0; 1 also runs each side with 1 trial to estimate CPU ms per trial by difference:
#   only meaningful for loops of several CPU seconds, see below).
#
# Two rates per case, both printed:
#   search loop  trials / time inside the search loop only: the peer's own search_s (around
#                study.optimize) vs chop's own optimize() time ("Search finished: ..., X s", ms
#                precision). No process start, data loading or base-model training.
#   end to end   trials / wall time of the whole workload as a user runs it: the peer's one python
#                process (interpreter + torch/optuna import, data, training, search) vs chop's
#                one process (ptq: `chop search --train-base`; nas: `chop search`), startup,
#                data generation and training included. ptq also prints chop's two-process
#                figure (`chop train` + `chop search --load best.ckpt`, labelled "2 processes").
#   CPU/trial    (CPU_DIFF=1) CPU ms per trial in the loop, the same way for both sides: by
#                difference with a 1-trial run. Not counting time spent waiting for a core, but
#                a process's CPU time varies by ~0.2-0.7 s from run to run here, so it is only
#                usable for loops of several CPU seconds (the peer's TPE runs, NAS).
# CPU seconds (user + sys) of the whole workload are printed too.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHOP=${CHOP:-$ROOT/build/chop}
PEER=${PEER:-$ROOT/../shared/peers/mase_peer.py}
JSC_SIZE=${JSC_SIZE:-200000}
SEED=${SEED:-0}
NUM_SAMPLES=${NUM_SAMPLES:-512}
STORAGE=${STORAGE:-sqlite}
PTQ_EPOCHS=${PTQ_EPOCHS:-1}
NAS_EPOCHS=${NAS_EPOCHS:-1}
REPEATS=${REPEATS:-1}
CPU_DIFF=${CPU_DIFF:-0}
# jsc-tiny has 18 configurations: tpe:20:all is the peer's defaults exactly (num_samples: the whole
# validation split), tpe:20 the same with num_samples = NUM_SAMPLES (chop reuses the stored
# result of a repeated configuration, the peer evaluates it again), bruteforce:18 visits each
# configuration once on both sides; jsc-toy (5,832 configurations) shows the steady state.
PTQ_CASES=${PTQ_CASES:-"jsc-tiny:tpe:20:all jsc-tiny:tpe:20 jsc-tiny:bruteforce:18 jsc-toy:tpe:100"}
NAS_CASES=${NAS_CASES:-"bruteforce:16 tpe:20"}
WHAT=${1:-all}
case "$WHAT" in ptq | nas | all) ;; *)
  echo "usage: $0 [ptq|nas|all]" >&2
  exit 2
  ;;
esac
[ -x "$CHOP" ] || {
  echo "no chop binary at $CHOP: run scripts/build.sh or set CHOP=/path/to/chop" >&2
  exit 2
}
[ -f "$PEER" ] || {
  echo "no peer script at $PEER: set PEER=/path/to/mase_peer.py" >&2
  exit 2
}
WORK=$(mktemp -d)
if [ "${KEEP:-0}" = 1 ]; then echo "work folder: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# timed LOG CMD...: runs CMD with stdout+stderr to LOG; sets WALL_S and CPU_S.
timed() {
  local log=$1
  shift
  if ! /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" "$@" >"$log" 2>&1; then
    echo "FAILED: $*" >&2
    tail -n 20 "$log" >&2
    return 1
  fi
  read -r WALL_S user sys <"$WORK/time.txt"
  CPU_S=$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')
}

# fill TEMPLATE OUT KEY=VALUE...: substitutes @KEY@ placeholders (a later KEY wins).
fill() {
  local tpl=$1 out=$2
  shift 2
  local -A value=()
  for kv in "$@"; do value[${kv%%=*}]=${kv#*=}; done
  local args=()
  for k in "${!value[@]}"; do args+=(-e "s|@${k}@|${value[$k]}|g"); done
  sed "${args[@]}" "$tpl" >"$out"
  if grep -q '@[A-Z_]*@' "$out"; then
    echo "internal: unfilled placeholder in $out: $(grep -o '@[A-Z_]*@' "$out" | head -n 1)" >&2
    return 1
  fi
}

# chop_search_stats DIR: prints "loop_s n_trials n_reused best_accuracy span_s" from a search run.
# loop_s: chop's own "Search finished: ..., X s", the whole optimize() call (0.1 ms precision since 2026-12-05), as
# the peer's search_s wraps study.optimize: every ask, sampler, trial, commit and results save.
# span_s: first trial start to last trial end from log.json (ms timestamps), for reference.
chop_search_stats() {
  /usr/bin/python3 - "$1" <<'EOF'
import json, re, sys
d = sys.argv[1]
log = json.load(open(d + "/software/search_ckpts/log.json"))
rows = list(log.values()) if isinstance(log, dict) else log
span_s = (max(r["datetime_complete"] for r in rows) - min(r["datetime_start"] for r in rows)) / 1e3
text = open(d + "/search.log").read()
m = re.search(r"(\d+) repeated configurations reused", text)
summary = re.search(r"Search finished: .*, ([0-9.]+) s$", text, re.M)
best = json.load(open(d + "/software/search_ckpts/best.json"))
accs = [r["software_metrics"]["accuracy"] for r in best.values()] if isinstance(best, dict) else []
loop_s = summary.group(1) if summary else "nan"
print(f"{loop_s} {len(rows)} {m.group(1) if m else 0} {max(accs) if accs else 'nan'} {span_s:.3f}")
EOF
}

peer_field() { /usr/bin/python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]])" "$1" "$2"; }

echo "exporting chop's synthetic JSC ($JSC_SIZE rows) for the peer"
"$CHOP" dataset export jsc --dataset-size "$JSC_SIZE" --out "$WORK/jsc" >"$WORK/export.log" 2>&1 || {
  cat "$WORK/export.log" >&2
  exit 1
}
DATA="npy:$WORK/jsc"
COMMON=(--dataset-size "$JSC_SIZE" --batch-size 256 --seed "$SEED" --num-workers 1 --project-dir "$WORK/out")

# peer_run LOG WORKLOAD TRIALS ARGS...: one peer process; sets PEER_WALL, PEER_CPU.
peer_run() {
  local log=$1 workload=$2 trials=$3
  shift 3
  timed "$log" /usr/bin/python3 "$PEER" "$workload" --data "$DATA" --batch-size 256 --lr 1e-3 \
    --trials "$trials" --seed "$SEED" --threads 1 "$@"
  PEER_WALL=$WALL_S PEER_CPU=$CPU_S
}

# chop_run DIR TEMPLATE MODEL TRIALS [KEY=VALUE...] -- [chop args]: one `chop search` process
# into DIR (its project folder); sets CHOP_WALL, CHOP_CPU.
chop_run() {
  local dir=$1 tpl=$2 model=$3 trials=$4 name
  shift 4
  name=$(basename "$dir")
  local subst=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do subst+=("$1") && shift; done
  [ $# -gt 0 ] && shift
  fill "$tpl" "$WORK/$name.toml" MODEL="$model" SEED="$SEED" PROJECT="$name" TRIALS="$trials" \
    "${subst[@]}"
  mkdir -p "$dir"
  timed "$dir/search.log" "$CHOP" search "$model" jsc --config "$WORK/$name.toml" "${COMMON[@]}" "$@"
  CHOP_WALL=$WALL_S CHOP_CPU=$CPU_S
}

# CPU ms per trial inside the loop, the same way for both sides: (CPU of the N-trial run - CPU
# of a 1-trial run) / (N - 1). Startup, data and training cancel out, and unlike wall-clock loop
# times it does not count time spent waiting for a core on a shared machine. The 1-trial run
# uses the random sampler on both sides (its one trial costs what any sampler's first trial
# costs; Optuna's BruteForceSampler leaves WAITING trials behind after a partial run, which the
# peer's result code does not expect).
# A difference under 0.5 s is within the run-to-run noise of a process's CPU time (page faults,
# caches; ~0.2 s seen here): reported as nan.
per_trial_cpu_ms() {
  awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {
    if (n > 1 && a - b >= 0.5) printf "%.3f", 1e3 * (a - b) / (n - 1); else printf "nan" }'
}

# record KIND CASE SIDE WALL CPU LOOP_S TRIALS REUSED BEST CPU_MS_PER_TRIAL
record() { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$@" >>"$RESULTS"; }

ptq_case() {  # model sampler trials rep [num_samples: a number, or "all"; default NUM_SAMPLES]
  local model=$1 sampler=$2 trials=$3 rep=$4 samples=${5:-$NUM_SAMPLES}
  local name="ptq-$1-$2-$3${5:+-$5}-r$4" cpu_peer=nan cpu_chop=nan
  local peer_args=(--model "$model" --epochs "$PTQ_EPOCHS" --sampler "$sampler")
  local subst=(NUM_SAMPLES="$samples" SAMPLER="$sampler" STORAGE="$STORAGE")
  if [ "$samples" = all ]; then
    # The peer's own default (num_samples None: the whole validation split); chop caps a larger
    # num_samples at the split the same way (MASE's ceil(num_samples / batch_size) batches).
    subst=(NUM_SAMPLES=1000000000 SAMPLER="$sampler" STORAGE="$STORAGE")
  else
    peer_args+=(--num-samples "$samples")
  fi
  peer_run "$WORK/$name-peer.log" ptq-search "$trials" "${peer_args[@]}"
  local pw=$PEER_WALL pc=$PEER_CPU p="$WORK/$name-peer.log"
  # chop: train the base model as the peer does (same epochs, batch, optimizer, lr), then search.
  timed "$WORK/$name-train.log" "$CHOP" train "$model" jsc "${COMMON[@]}" --max-epochs "$PTQ_EPOCHS" \
    --learning-rate 1e-3 --training-optimizer adam --project "$name-base"
  local tw=$WALL_S tc=$CPU_S ckpt="$WORK/out/$name-base/software/training_ckpts/best.ckpt"
  chop_run "$WORK/out/$name" "$ROOT/bench/search_ptq.toml.in" "$model" "$trials" "${subst[@]}" -- --load "$ckpt"
  local sw=$CHOP_WALL sc=$CHOP_CPU
  # chop in one process as the peer: `chop search --train-base` trains the same base model
  # (same options, same checkpoint) and searches on it.
  chop_run "$WORK/out/$name-one" "$ROOT/bench/search_ptq.toml.in" "$model" "$trials" "${subst[@]}" -- \
    --train-base --max-epochs "$PTQ_EPOCHS" --learning-rate 1e-3 --training-optimizer adam
  local ow=$CHOP_WALL oc=$CHOP_CPU
  if [ "$CPU_DIFF" = 1 ]; then
    peer_run "$WORK/$name-peer1.log" ptq-search 1 "${peer_args[@]}" --sampler random
    cpu_peer=$(per_trial_cpu_ms "$pc" "$PEER_CPU" "$trials")
    chop_run "$WORK/out/$name-1" "$ROOT/bench/search_ptq.toml.in" "$model" 1 "${subst[@]}" SAMPLER=random \
      -- --load "$ckpt"
    cpu_chop=$(per_trial_cpu_ms "$sc" "$CHOP_CPU" "$trials")
  fi
  record ptq "$model:$sampler:$trials${5:+:$5}" peer "$pw" "$pc" "$(peer_field "$p" search_s)" \
    "$(peer_field "$p" trials)" 0 "$(peer_field "$p" best_quant_accuracy)" "$cpu_peer"
  read -r loop n reused best span <<<"$(chop_search_stats "$WORK/out/$name-one")"
  record ptq "$model:$sampler:$trials${5:+:$5}" chop "$ow" "$oc" "$loop" "$n" "$reused" "$best" "$cpu_chop"
  local loop2 n2 reused2 best2 span2
  read -r loop2 n2 reused2 best2 span2 <<<"$(chop_search_stats "$WORK/out/$name")"
  [ "$best2" = "$best" ] || echo "  WARNING: $name: --train-base best $best, train + search --load best $best2" >&2
  record ptq "$model:$sampler:$trials${5:+:$5}" chop-2proc "$(awk -v a="$tw" -v b="$sw" 'BEGIN {print a + b}')" \
    "$(awk -v a="$tc" -v b="$sc" 'BEGIN {print a + b}')" "$loop2" "$n2" "$reused2" "$best2" nan
  echo "  $name: peer (BLAS $(peer_field "$p" blas)) ${pw}s wall (${pc}s cpu); chop search --train-base ${ow}s wall (${oc}s cpu), loop ${loop}s (trial span ${span}s), $reused reused; two processes: chop train ${tw}s + search --load ${sw}s wall (${tc}s + ${sc}s cpu), loop ${loop2}s; CPU ms/trial peer $cpu_peer chop $cpu_chop"
}

nas_case() {  # sampler trials rep
  local sampler=$1 trials=$2 rep=$3 name="nas-$1-$2-r$3" sched=constant cpu_peer=nan cpu_chop=nan
  [ "$NAS_EPOCHS" = 1 ] || sched=cosine
  local subst=(EPOCHS="$NAS_EPOCHS" LR_SCHEDULER="$sched" SAMPLER="$sampler")
  local model=jsc-three-linear-layers peer_args=(--epochs "$NAS_EPOCHS" --sampler "$sampler")
  peer_run "$WORK/$name-peer.log" nas-search "$trials" "${peer_args[@]}"
  local pw=$PEER_WALL pc=$PEER_CPU p="$WORK/$name-peer.log"
  chop_run "$WORK/out/$name" "$ROOT/bench/search_nas.toml.in" "$model" "$trials" "${subst[@]}"
  local sw=$CHOP_WALL sc=$CHOP_CPU
  if [ "$CPU_DIFF" = 1 ]; then
    peer_run "$WORK/$name-peer1.log" nas-search 1 "${peer_args[@]}" --sampler random
    cpu_peer=$(per_trial_cpu_ms "$pc" "$PEER_CPU" "$trials")
    chop_run "$WORK/out/$name-1" "$ROOT/bench/search_nas.toml.in" "$model" 1 "${subst[@]}" SAMPLER=random
    cpu_chop=$(per_trial_cpu_ms "$sc" "$CHOP_CPU" "$trials")
  fi
  record nas "$sampler:$trials" peer "$pw" "$pc" "$(peer_field "$p" search_s)" \
    "$(peer_field "$p" trials)" 0 "$(peer_field "$p" best_accuracy)" "$cpu_peer"
  read -r loop n reused best span <<<"$(chop_search_stats "$WORK/out/$name")"
  record nas "$sampler:$trials" chop "$sw" "$sc" "$loop" "$n" "$reused" "$best" "$cpu_chop"
  echo "  $name: peer (BLAS $(peer_field "$p" blas)) ${pw}s wall (${pc}s cpu); chop search ${sw}s wall (${sc}s cpu), loop ${loop}s (trial span ${span}s), $reused reused; CPU ms/trial peer $cpu_peer chop $cpu_chop"
}

echo "chop: $CHOP ($("$CHOP" --version 2>&1 | head -n 1); checkout at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?), the binary may be older); peer: $PEER"
echo "python $(/usr/bin/python3 -c 'import platform, torch, optuna; print(platform.python_version(), "torch", torch.__version__, "optuna", optuna.__version__)')"
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "1 thread each (OMP_NUM_THREADS=1, peer --threads 1, chop --num-workers 1, n_jobs 1), seed $SEED, JSC $JSC_SIZE rows"

if [ "$WHAT" != nas ]; then
  echo "ptq-search: num_samples $NUM_SAMPLES (cases :all: the whole split), chop storage $STORAGE, base model trained $PTQ_EPOCHS epoch(s) (Adam lr 1e-3, batch 256)"
  for rep in $(seq "$REPEATS"); do
    for c in $PTQ_CASES; do IFS=: read -r m s t ns <<<"$c" && ptq_case "$m" "$s" "$t" "$rep" "$ns"; done
  done
fi
if [ "$WHAT" != ptq ]; then
  # The NAS space (graph/architecture/channel_multiplier) is issue 6's work: probe it with one
  # trial on a small data set; a chop built without it cannot run this part.
  fill "$ROOT/bench/search_nas.toml.in" "$WORK/probe.toml" MODEL=jsc-three-linear-layers SEED="$SEED" \
    PROJECT=probe TRIALS=1 EPOCHS=1 LR_SCHEDULER=constant SAMPLER=random
  if "$CHOP" search jsc-three-linear-layers jsc --config "$WORK/probe.toml" --dataset-size 2000 \
    --num-workers 1 --project-dir "$WORK/probe" >"$WORK/probe.log" 2>&1; then
    echo "nas-search: jsc-three-linear-layers, multipliers [1, 2, 3, 4] x 2 layers, $NAS_EPOCHS epoch(s) per trial"
    for rep in $(seq "$REPEATS"); do
      for c in $NAS_CASES; do IFS=: read -r s t <<<"$c" && nas_case "$s" "$t" "$rep"; done
    done
  else
    echo "nas-search: PENDING: this chop cannot run graph/architecture/channel_multiplier:"
    grep -m 1 '^error' "$WORK/probe.log" || tail -n 1 "$WORK/probe.log"
  fi
fi

/usr/bin/python3 - "$RESULTS" <<'EOF'
import collections, math, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    kind, case, side, wall, cpu, loop, n, reused, best, cpu_ms = line.rstrip("\n").split("\t")
    rows[(kind, case, side)].append((float(wall), float(cpu), float(loop), int(n), int(reused), best,
                                     float(cpu_ms)))
order = []
for k, c, _ in rows:
    if (k, c) not in order:
        order.append((k, c))
print()
print("| workload | case | side | trials | reused | search loop s | ms/trial | trials/s (loop) | "
      "CPU ms/trial | end-to-end wall s | trials/s (e2e) | CPU s (e2e) | best acc |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
summary = []
for kind, case in order:
    r = {}
    for side in ("peer", "chop", "chop-2proc"):
        runs = rows.get((kind, case, side))
        if not runs:
            continue
        wall, cpu, loop = (min(x[i] for x in runs) for i in range(3))
        cpu_ms = min((x[6] for x in runs if not math.isnan(x[6])), default=math.nan)
        n, reused, best = runs[0][3], runs[0][4], runs[0][5]
        r[side] = (wall, cpu, loop, n, cpu_ms)
        label = "chop (train + search, 2 processes)" if side == "chop-2proc" else side
        best = f"{float(best):.4f}" if best not in ("nan", "") else best
        cpu_txt = "" if math.isnan(cpu_ms) else f"{cpu_ms:.2f}"
        print(f"| {kind}-search | {case} | {label} | {n} | {reused} | {loop:.3f} | {1e3 * loop / n:.2f} | "
              f"{n / loop:,.1f} | {cpu_txt} | {wall:.2f} | {n / wall:.2f} | {cpu:.2f} | {best} |")
    if "peer" in r and "chop" in r:
        (pw, pc, pl, pn, pm), (cw, cc, cl, cn, cm) = r["peer"], r["chop"]
        line = f"{kind}-search {case}: loop {cn / cl / (pn / pl):.1f}x"
        if not math.isnan(pm) and not math.isnan(cm) and cm > 0:
            line += f", CPU/trial {pm / cm:.1f}x"
        line += f", end-to-end {cn / cw / (pn / pw):.2f}x (wall), {pc / cc:.2f}x (CPU s)"
        # Runs of the two sides alternate, so each repeat is a back-to-back pair; the median of
        # the pair ratios is steadier than best/best when other work shares the machine.
        pairs = list(zip(rows[(kind, case, "peer")], rows[(kind, case, "chop")]))
        if len(pairs) > 1:
            loop_r = statistics.median((c[3] / c[2]) / (p[3] / p[2]) for p, c in pairs)
            wall_r = statistics.median(p[0] / c[0] for p, c in pairs)
            line += f"; median of {len(pairs)} pairs: loop {loop_r:.1f}x, end-to-end {wall_r:.2f}x"
        if "chop-2proc" in r:
            tw, tc = r["chop-2proc"][0], r["chop-2proc"][1]
            line += f"; two processes (chop train + chop search --load): end-to-end {pw / tw:.2f}x (wall)"
            pairs2 = list(zip(rows[(kind, case, "peer")], rows[(kind, case, "chop-2proc")]))
            if len(pairs2) > 1:
                line += f", median pair {statistics.median(p[0] / c[0] for p, c in pairs2):.2f}x"
        summary.append(line)
print()
print("ratios chop/peer in trials/s (best of REPEATS for each side, and median of the pairs):")
for s in summary:
    print("  " + s)
EOF
