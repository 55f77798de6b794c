#!/usr/bin/env bash
# README command (1): set up, build, and run chop's main job on the built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec bash scripts/main_job.sh
