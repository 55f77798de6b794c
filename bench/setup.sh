#!/usr/bin/env bash
# Bench dependencies (a bench set-up step, not the main set-up): what the benchmark scripts and
# the MASE peer need beyond scripts/setup.sh. Idempotent.
#   libopenblas0-pthread   the peer (../shared/peers/mase_peer.py) runs PyTorch on OpenBLAS, as
#                          any real PyTorch install does; it selects it itself (LD_LIBRARY_PATH),
#                          so the system's libblas.so.3 choice is put back as it was.
#   python3-torch, python3-optuna   the peer itself.
set -euo pipefail
PKGS=(
  libopenblas0-pthread
  python3-torch
  python3-optuna
  python3-numpy
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "bench setup: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
# Installing OpenBLAS makes it every program's libblas.so.3 (update-alternatives, auto mode):
# remember the current choice and restore it, so only the peer changes BLAS.
query() { update-alternatives --query "$1" 2>/dev/null | awk '/^Value:/ {print $2}'; }
prev_blas=$(query libblas.so.3-x86_64-linux-gnu || true)
prev_lapack=$(query liblapack.so.3-x86_64-linux-gnu || true)
echo "bench setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ -n "$prev_blas" ] && [ -e "$prev_blas" ]; then
  $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$prev_blas" >/dev/null
fi
if [ -n "$prev_lapack" ] && [ -e "$prev_lapack" ]; then
  $SUDO update-alternatives --set liblapack.so.3-x86_64-linux-gnu "$prev_lapack" >/dev/null
fi
