#!/bin/bash
# Search throughput, chop vs the MASE-style PyTorch + Optuna peer (../shared/peers/mase_peer.py):
# ptq-search (issue 5 item 7a, target >= 20x) and nas-search (issue 6 item 7, target >= 3x) on the
# same data (chop's synthetic JSC, exported as .npy for the peer), model, search space, sampler,
# seed, trials, num_samples and epochs; one thread each. Results: docs/benchmarks.md.
#   bench/search_bench.sh [ptq|nas|all]          (default all)
# Env: CHOP (chop binary; default build/chop, build it with scripts/build.sh), PEER, JSC_SIZE
#   (synthetic JSC rows before the 80/20 split, 200000), SEED (0), NUM_SAMPLES (512), PTQ_EPOCHS
#   (1), NAS_EPOCHS (1), REPEATS (1; the fastest run of each side counts), KEEP=1 keeps the
#   work folder, PTQ_CASES ("model:sampler:trials ..."), NAS_CASES ("sampler:trials ...").
#
# Two rates per case, both printed:
#   search loop  trials / time inside the search loop only: the peer's own search_s (around
#                study.optimize) vs chop's trial span (first trial start to last trial end, ms
#                timestamps in log.json). No process start, data loading or base-model training.
#   end to end   trials / wall time of the whole workload as a user runs it: the peer's one python
#                process (interpreter + torch/optuna import, data, training, search) vs chop's
#                processes (ptq: `chop train` + `chop search`; nas: `chop search`), startup,
#                data generation and training included.
# CPU seconds (user + sys) are printed too: on a shared machine they are steadier than wall time.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHOP=${CHOP:-$ROOT/build/chop}
PEER=${PEER:-$ROOT/../shared/peers/mase_peer.py}
JSC_SIZE=${JSC_SIZE:-200000}
SEED=${SEED:-0}
NUM_SAMPLES=${NUM_SAMPLES:-512}
PTQ_EPOCHS=${PTQ_EPOCHS:-1}
NAS_EPOCHS=${NAS_EPOCHS:-1}
REPEATS=${REPEATS:-1}
# jsc-tiny has 18 configurations: tpe:20 is the peer's default budget (chop reuses the stored
# result of a repeated configuration, the peer evaluates it again), bruteforce:18 visits each
# configuration once on both sides; jsc-toy (5,832 configurations) shows the steady state.
PTQ_CASES=${PTQ_CASES:-"jsc-tiny:tpe:20 jsc-tiny:bruteforce:18 jsc-toy:tpe:100"}
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

# fill TEMPLATE OUT KEY=VALUE...: substitutes @KEY@ placeholders.
fill() {
  local tpl=$1 out=$2
  shift 2
  local args=()
  for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${args[@]}" "$tpl" >"$out"
}

# chop_search_stats DIR: prints "span_s n_trials n_reused best_accuracy summary_s" from a search
# run (summary_s: chop's own "Search finished: ..., X s", whole optimize() call, 10 ms precision).
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
print(f"{span_s:.3f} {len(rows)} {m.group(1) if m else 0} {max(accs) if accs else 'nan'} "
      f"{summary.group(1) if summary else 'nan'}")
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

ptq_case() {  # model sampler trials rep
  local model=$1 sampler=$2 trials=$3 rep=$4 name="ptq-$1-$2-$3-r$4"
  local p="$WORK/$name-peer.log" dir="$WORK/out/$name"
  timed "$p" /usr/bin/python3 "$PEER" ptq-search --data "$DATA" --model "$model" --epochs "$PTQ_EPOCHS" \
    --batch-size 256 --lr 1e-3 --trials "$trials" --sampler "$sampler" --num-samples "$NUM_SAMPLES" \
    --seed "$SEED" --threads 1
  local pw=$WALL_S pc=$CPU_S
  printf "ptq\t%s\tpeer\t%s\t%s\t%s\t%s\t0\t%s\n" "$model:$sampler:$trials" "$pw" "$pc" \
    "$(peer_field "$p" search_s)" "$(peer_field "$p" trials)" "$(peer_field "$p" best_quant_accuracy)" >>"$RESULTS"
  # chop: train the base model as the peer does (same epochs, batch, optimizer, lr), then search.
  timed "$WORK/$name-train.log" "$CHOP" train "$model" jsc "${COMMON[@]}" --max-epochs "$PTQ_EPOCHS" \
    --learning-rate 1e-3 --training-optimizer adam --project "$name-base"
  local tw=$WALL_S tc=$CPU_S
  fill "$ROOT/bench/search_ptq.toml.in" "$WORK/$name.toml" MODEL="$model" SEED="$SEED" PROJECT="$name" \
    NUM_SAMPLES="$NUM_SAMPLES" TRIALS="$trials" SAMPLER="$sampler"
  mkdir -p "$dir"
  timed "$dir/search.log" "$CHOP" search "$model" jsc --config "$WORK/$name.toml" "${COMMON[@]}" \
    --load "$WORK/out/$name-base/software/training_ckpts/best.ckpt"
  local sw=$WALL_S sc=$CPU_S
  read -r span n reused best summary <<<"$(chop_search_stats "$dir")"
  printf "ptq\t%s\tchop\t%s\t%s\t%s\t%s\t%s\t%s\n" "$model:$sampler:$trials" \
    "$(awk -v a="$tw" -v b="$sw" 'BEGIN {print a + b}')" "$(awk -v a="$tc" -v b="$sc" 'BEGIN {print a + b}')" \
    "$span" "$n" "$reused" "$best" >>"$RESULTS"
  echo "  $name: peer ${pw}s wall (${pc}s cpu); chop train ${tw}s + search ${sw}s wall (${tc}s + ${sc}s cpu), loop ${span}s (optimize() ${summary}s), $reused reused"
}

nas_case() {  # sampler trials rep
  local sampler=$1 trials=$2 rep=$3 name="nas-$1-$2-r$3"
  local p="$WORK/$name-peer.log" dir="$WORK/out/$name" sched=constant
  [ "$NAS_EPOCHS" = 1 ] || sched=cosine
  timed "$p" /usr/bin/python3 "$PEER" nas-search --data "$DATA" --epochs "$NAS_EPOCHS" --batch-size 256 \
    --lr 1e-3 --trials "$trials" --sampler "$sampler" --seed "$SEED" --threads 1
  local pw=$WALL_S pc=$CPU_S
  printf "nas\t%s\tpeer\t%s\t%s\t%s\t%s\t0\t%s\n" "$sampler:$trials" "$pw" "$pc" \
    "$(peer_field "$p" search_s)" "$(peer_field "$p" trials)" "$(peer_field "$p" best_accuracy)" >>"$RESULTS"
  fill "$ROOT/bench/search_nas.toml.in" "$WORK/$name.toml" SEED="$SEED" PROJECT="$name" \
    EPOCHS="$NAS_EPOCHS" LR_SCHEDULER="$sched" TRIALS="$trials" SAMPLER="$sampler"
  mkdir -p "$dir"
  timed "$dir/search.log" "$CHOP" search jsc-three-linear-layers jsc --config "$WORK/$name.toml" "${COMMON[@]}"
  local sw=$WALL_S sc=$CPU_S
  read -r span n reused best summary <<<"$(chop_search_stats "$dir")"
  printf "nas\t%s\tchop\t%s\t%s\t%s\t%s\t%s\t%s\n" "$sampler:$trials" "$sw" "$sc" "$span" "$n" "$reused" \
    "$best" >>"$RESULTS"
  echo "  $name: peer ${pw}s wall (${pc}s cpu); chop search ${sw}s wall (${sc}s cpu), loop ${span}s (optimize() ${summary}s), $reused reused"
}

echo "chop: $CHOP ($("$CHOP" --version 2>&1 | head -n 1), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo ?)); peer: $PEER"
echo "python $(/usr/bin/python3 -c 'import platform, torch, optuna; print(platform.python_version(), "torch", torch.__version__, "optuna", optuna.__version__)')"
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "1 thread each (OMP_NUM_THREADS=1, peer --threads 1, chop --num-workers 1, n_jobs 1), seed $SEED, JSC $JSC_SIZE rows"

if [ "$WHAT" != nas ]; then
  echo "ptq-search: num_samples $NUM_SAMPLES, base model trained $PTQ_EPOCHS epoch(s) (Adam lr 1e-3, batch 256)"
  for rep in $(seq "$REPEATS"); do
    for c in $PTQ_CASES; do IFS=: read -r m s t <<<"$c" && ptq_case "$m" "$s" "$t" "$rep"; done
  done
fi
if [ "$WHAT" != ptq ]; then
  # The NAS space (graph/architecture/channel_multiplier) is issue 6's work; a chop built
  # without it cannot run this part.
  if grep -aq "graph/architecture/channel_multiplier" "$CHOP"; then
    echo "nas-search: jsc-three-linear-layers, multipliers [1, 2, 3, 4] x 2 layers, $NAS_EPOCHS epoch(s) per trial"
    for rep in $(seq "$REPEATS"); do
      for c in $NAS_CASES; do IFS=: read -r s t <<<"$c" && nas_case "$s" "$t" "$rep"; done
    done
  else
    echo "nas-search: PENDING: this chop has no graph/architecture/channel_multiplier space"
  fi
fi

/usr/bin/python3 - "$RESULTS" <<'EOF'
import collections, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    kind, case, side, wall, cpu, loop, n, reused, best = line.rstrip("\n").split("\t")
    rows[(kind, case, side)].append((float(wall), float(cpu), float(loop), int(n), int(reused), best))
cases = sorted({(k, c) for k, c, _ in rows}, key=lambda kc: list(rows).index((kc[0], kc[1], "peer")))
print()
print("| workload | case | trials | side | search loop s | ms/trial | trials/s (loop) | "
      "end-to-end wall s | trials/s (e2e) | CPU s | reused | best acc |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
summary = []
for kind, case in cases:
    r = {}
    for side in ("peer", "chop"):
        runs = rows.get((kind, case, side))
        if not runs:
            continue
        wall = min(x[0] for x in runs); cpu = min(x[1] for x in runs); loop = min(x[2] for x in runs)
        n, reused, best = runs[0][3], runs[0][4], runs[0][5]
        r[side] = (wall, cpu, loop, n)
        best = f"{float(best):.4f}" if best not in ("nan", "") else best
        print(f"| {kind}-search | {case} | {n} | {side} | {loop:.3f} | {1e3 * loop / n:.2f} | "
              f"{n / loop:,.1f} | {wall:.2f} | "
              f"{n / wall:.2f} | {cpu:.2f} | {reused} | {best} |")
    if len(r) == 2:
        (pw, pc, pl, pn), (cw, cc, cl, cn) = r["peer"], r["chop"]
        summary.append(f"{kind}-search {case}: loop {cn / cl / (pn / pl):.1f}x, "
                       f"end-to-end {cn / cw / (pn / pw):.2f}x (wall), {pc / cc:.2f}x (CPU s)")
print()
print("ratios chop/peer (trials/s; REPEATS best):")
for s in summary:
    print("  " + s)
EOF
