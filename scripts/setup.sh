#!/usr/bin/env bash
# Creates ./.venv (or $VENV) with keras_specmix and the verified dependency set
# (constraints.txt), plus the system packages the optional datasets need.
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

bash scripts/install_system_deps.sh
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -c constraints.txt -e ".[audio,experiments,test,docs,dev]"
"$VENV/bin/python" -c "import keras_specmix, tensorflow as tf, keras; print('keras_specmix', keras_specmix.__version__, '| tensorflow', tf.__version__, '| keras', keras.__version__)"
