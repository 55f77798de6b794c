#!/usr/bin/env bash
# README command (2): set up, build, and run every test (ctest; labels unit, golden, e2e, slow).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -j "${CHOP_JOBS:-2}" "$@"
