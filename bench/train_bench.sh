#!/bin/bash
# Training throughput, chop vs the MASE-style PyTorch peer (../shared/peers/mase_peer.py), on the
# same data, model, batch size (256), optimizer (Adam + cosine), epochs, one thread each, with
# chop's GFLOP/s against this core's measured single-thread FMA peak (bench/fma_peak).
#   bench/train_bench.sh [BUILD_DIR]      (default: build; needs chop, train_bench, fma_peak)
# Run bench/setup.sh first (OpenBLAS for the peer; the peer prints the BLAS it used).
# Env: EPOCHS (2), JSC_SIZE (synthetic JSC rows before the 80/20 split, 200000), REPEATS (3),
#      ONLY (space-separated model names to run, e.g. "jsc-s").
# Per model: REPEATS back-to-back pairs (peer, then chop); printed: the best of each side, the
# best pair and the median pair (the pairs are robust to a machine busy with other work).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
PEER=${PEER:-$ROOT/../shared/peers/mase_peer.py}
MNIST=${MNIST:-$ROOT/../shared/data/mnist}
EPOCHS=${EPOCHS:-2}
JSC_SIZE=${JSC_SIZE:-200000}
REPEATS=${REPEATS:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$BUILD/chop" dataset export jsc --dataset-size "$JSC_SIZE" --out "$TMP/jsc" >/dev/null

field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

compare() {  # name data model
  local name=$1 data=$2 model=$3 best_peer=0 best_chop=0 ratios="" best_gflops=0 blas=""
  case " ${ONLY:-$model} " in *" $model "*) ;; *) return 0 ;; esac
  for _ in $(seq "$REPEATS"); do
    local p c sp sc
    p=$(/usr/bin/python3 "$PEER" train --data "$data" --model "$model" --epochs "$EPOCHS" \
          --batch-size 256 --lr 1e-3 --threads 1)
    c=$(OMP_NUM_THREADS=1 "$BUILD/bench/train_bench" --data "$data" --model "$model" \
          --epochs "$EPOCHS" --batch-size 256 --lr 1e-3 --threads 1)
    sp=$(echo "$p" | field samples_per_s)
    sc=$(echo "$c" | field samples_per_s)
    blas=$(echo "$p" | field blas)
    best_gflops=$(awk -v a="$(echo "$c" | field gflops)" -v b="$best_gflops" 'BEGIN {print (a > b) ? a : b}')
    best_peer=$(awk -v a="$sp" -v b="$best_peer" 'BEGIN {print (a > b) ? a : b}')
    best_chop=$(awk -v a="$sc" -v b="$best_chop" 'BEGIN {print (a > b) ? a : b}')
    ratios="$ratios $(awk -v a="$sc" -v b="$sp" 'BEGIN {printf "%.3f", a / b}')"
    echo "  peer: $p"
    echo "  chop: $c"
  done
  # Best of each side, and the median of the back-to-back pairs (robust to a busy machine).
  local median best_pair
  median=$(echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
  best_pair=$(echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -g | tail -n 1)
  awk -v n="$name" -v p="$best_peer" -v c="$best_chop" -v m="$median" -v bp="$best_pair" \
    -v g="$best_gflops" -v pk="$PEAK" -v blas="$blas" \
    'BEGIN {printf "%-28s peer (%s) %9.0f samples/s   chop %9.0f samples/s   best/best %.2fx   best pair %.2fx   median pair %.2fx   chop %.1f GFLOP/s = %.0f%% of the FMA peak\n", n, blas, p, c, c / p, bp, m, g, 100 * g / pk
            # A share above 100 % means the peak micro-benchmark under-measured this CPU.
            if (g > pk) printf "  WARNING: above the measured FMA peak: bench/fma_peak does not reach this CPU'"'"'s peak\n"}'
}

PEAK_JSON=$("$BUILD/bench/fma_peak")
PEAK=$(echo "$PEAK_JSON" | field fma_peak_gflops)
echo "FMA peak (one thread): $PEAK_JSON"

echo "training throughput, batch 256, Adam lr 1e-3, $EPOCHS epoch(s), 1 thread (best of $REPEATS)"
compare "jsc-s on synthetic JSC" "npy:$TMP/jsc" jsc-s
compare "jsc-tiny on synthetic JSC" "npy:$TMP/jsc" jsc-tiny
if [ -e "$MNIST/t10k-images-idx3-ubyte.gz" ] || [ -e "$MNIST/t10k-images-idx3-ubyte" ]; then
  compare "mlp 256,128 on MNIST 8k" "mnist:$MNIST" mlp:256,128
fi
