#!/usr/bin/env bash
# Builds the documentation site with MkDocs + mkdocstrings, warnings as errors.
#   bash scripts/build_docs.sh            -> build/site/
#   SITE_DIR=/tmp/site bash scripts/build_docs.sh
# Needs the docs extra: mkdocs, mkdocs-material, mkdocstrings[python]
# (the API reference is read from the source with griffe; TensorFlow is not imported).
# The gallery PNGs are committed; regenerate them with scripts/make_gallery.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
export NO_MKDOCS_2_WARNING=1
"$PYTHON" -m mkdocs build --strict --site-dir "${SITE_DIR:-build/site}" "$@"
