#!/usr/bin/env bash
# The first thing to run whenever a GPU machine is lent (under 8 minutes on one GPU):
#   bash scripts/device_check.sh                 -> benchmarks/results/device_check.json
#   bash scripts/device_check.sh --tiny          -> seconds on a CPU (what CI runs)
#   bash scripts/device_check.sh --out /tmp/d.json --budget-s 300
# Prints the devices, the layer benchmarks (synchronised), ResNet-101 training steps/s at
# the paper's shape (batch 32, 400x128x3) with and without each augmentation, mixed
# precision and XLA on and off, and the paper configuration on synthetic data for a fixed
# number of steps; writes all of it to ONE JSON file. See benchmarks/device_check.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" benchmarks/device_check.py "$@"
