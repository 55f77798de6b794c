#!/usr/bin/env bash
# Installs chop's build and test dependencies from Debian's archive; skips what is present.
# Idempotent: a machine that already has everything runs no apt command at all.
set -euo pipefail
# One package per line, grouped by what needs it (keeps merges and reviews line-local).
PKGS=(
  # build
  cmake g++ make ccache pkg-config
  # libraries chop links
  libtorch-dev
  libtomlplusplus-dev
  libcli11-dev
  libfmt-dev
  nlohmann-json3-dev
  libsqlite3-dev
  libpq-dev              # search: PostgreSQL studies (libpq)
  libhdf5-dev
  hdf5-plugin-lzf
  zlib1g-dev
  libssl-dev      # core: SHA-256 of checkpoints a study was searched with (libcrypto)
  libonnx-dev     # interop: ONNX protobuf model, checker, shape inference
  libminizip-dev  # interop: sizes each record of a PyTorch zip before LibTorch allocates it
  # tests
  libgtest-dev
  libgmock-dev
  python3-numpy   # tests/data: numpy reads chop's .npy exports
  python3-optuna  # tests/search: Optuna 3.1 loads chop's studies
  python3-torch   # tests/data: the MASE peer's reader (and fixture scripts under tools/)
  clang-14            # harden: the sanitizer build and libFuzzer (scripts/sanitize.sh, fuzz.sh)
  libclang-rt-14-dev  # harden: ASan/UBSan/libFuzzer runtimes for clang-14
  llvm-14             # harden: llvm-symbolizer for readable sanitizer reports
  postgresql      # tests/search: a throwaway PostgreSQL 15 server for the shared-study tests
  python3-psycopg2  # tests/search: Optuna 3.1 loads chop's PostgreSQL studies
  python3-onnx    # tests/interop: onnx.checker and the numpy reference on every export
  # report layer (issue 15): charts from npm, SVG export under node, dashboard, browser tests
  nodejs
  libcpp-httplib-dev
  chromium
  fonts-dejavu-core
)
# Debian's npm is its own package; NodeSource's nodejs ships npm inside and conflicts with it.
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
