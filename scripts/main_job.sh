#!/usr/bin/env bash
# chop's main job on built-in data (run after a build): analyse a zoo model and train it briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
./build/chop analyze jsc-tiny --batch-size 8
./build/chop analyze jsc-s --batch-size 256 --forward-backward
