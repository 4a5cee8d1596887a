#!/usr/bin/env bash
# Installed the way users install it (CI leg 5; also by hand):
#   bash scripts/smoke_install.sh [WORKDIR]
# (default: a new temporary folder, removed when every check passed).
# 1. copies the repository's files (tracked and untracked, not ignored ones) to
#    WORKDIR/src and builds the sdist and the wheel there with the standard
#    frontend (`python -m build`: the sdist, then the wheel from the sdist), with
#    build, twine and the build backend pinned by constraints.txt;
# 2. `twine check --strict` (the metadata renders on PyPI) and the archives'
#    contents (LICENSE in both; README, CHANGELOG, constraints.txt in the sdist);
# 3. installs the wheel (not editable) into a fresh virtual environment with no
#    extra, runs the smoke checks (scripts/smoke_install_checks.py) from a folder
#    outside the repository, then adds the `experiments` extra and checks again,
#    then `audio` (so the experiments stage runs without audio's packages; the
#    audio stage skips the command's checks, which the experiments stage ran).
# Each stage prints "STAGE | check | result" lines; the script exits non-zero
# on the first failing stage.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ge 1 ]; then
  WORK=$1
else
  WORK=$(mktemp -d -t keras_specmix_smoke.XXXXXX)
  trap 'if [ $? -eq 0 ]; then rm -rf "$WORK"; else echo "smoke_install: kept $WORK" >&2; fi' EXIT
fi
PYTHON=${PYTHON:-python3}
CONSTRAINTS=$REPO/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK=1
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-3}  # the checks' own process; not the command's
unset PYTHONPATH
start=$(date +%s)
step() { echo "-- smoke_install: $1 ($(( $(date +%s) - start )) s)"; }
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
case "$WORK/" in "$REPO"/*) echo "WORKDIR must be outside the repository" >&2; exit 2 ;; esac
rm -rf "$WORK/src" "$WORK/dist" "$WORK/tools" "$WORK/venv" "$WORK/run"

step "build tools (build, twine) in $WORK/tools"
"$PYTHON" -m venv "$WORK/tools"
"$WORK/tools/bin/python" -m pip install --quiet -c "$CONSTRAINTS" build twine

step "sdist and wheel"
"$PYTHON" - "$REPO" "$WORK/src" <<'EOF'
import os, shutil, subprocess, sys
repo, dest = sys.argv[1:]
listed = subprocess.run(
    ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd=repo, capture_output=True, check=True,
).stdout.decode().split("\0")
for name in filter(None, listed):
    if os.path.isfile(os.path.join(repo, name)):  # not deleted in the work tree
        os.makedirs(os.path.dirname(os.path.join(dest, name)) or dest, exist_ok=True)
        shutil.copy2(os.path.join(repo, name), os.path.join(dest, name))
EOF
# PIP_CONSTRAINT reaches the isolated build environment: the pinned setuptools.
PIP_CONSTRAINT=$CONSTRAINTS "$WORK/tools/bin/python" -m build --outdir "$WORK/dist" "$WORK/src" \
  >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }
"$WORK/tools/bin/python" -m twine check --strict "$WORK/dist"/*
"$WORK/tools/bin/python" - "$WORK/dist" <<'EOF'
import pathlib, sys, tarfile, zipfile
dist = pathlib.Path(sys.argv[1])
(wheel,), (sdist,) = dist.glob("*.whl"), dist.glob("*.tar.gz")
names = zipfile.ZipFile(wheel).namelist()
print(f"{wheel.name}: {len(names)} files")
for name in names:
    if not name.startswith("keras_specmix/"):
        print(f"  {name}")
print(f"  keras_specmix/...: {sum(n.startswith('keras_specmix/') for n in names)} files")
assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "no LICENSE in the wheel"
assert "_keras_specmix_cli.py" in names and "keras_specmix/__init__.py" in names
assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "examples/"))]
members = {m.split("/", 1)[1] for m in tarfile.open(sdist).getnames() if "/" in m}
wanted = {"LICENSE", "README.md", "CHANGELOG.md", "constraints.txt", "pyproject.toml"}
assert wanted <= members, f"missing from the sdist: {wanted - members}"
assert not [m for m in members if m.startswith("tests/")], "a partial test tree in the sdist"
print(f"{sdist.name}: {len(members)} files, with {', '.join(sorted(wanted))}")
EOF
WHEEL=$(ls "$WORK"/dist/*.whl)

mkdir -p "$WORK/run"
cp "$REPO/scripts/smoke_install_checks.py" "$WORK/run/"
smoke() {  # smoke EXTRAS [--no-command]
  (cd "$WORK/run" && "$WORK/venv/bin/python" -I smoke_install_checks.py "$1" "$REPO" "${@:2}")
}
# --no-compile: no .pyc for all of TensorFlow up front (the base install took 89 s
# with, 52 s without, on 2 busy cores); what the checks import compiles on import.
install() { "$WORK/venv/bin/python" -m pip install --quiet --no-compile -c "$CONSTRAINTS" "$1"; }

step "fresh venv, the wheel with no extra"
"$PYTHON" -m venv "$WORK/venv"
install "$WHEEL"
step "installed; checks"
smoke ""
step "+ the experiments extra"
install "$WHEEL[experiments]"
step "installed; checks"
smoke "experiments"
step "+ the audio extra"
install "$WHEEL[audio]"
step "installed; checks"
smoke "audio,experiments" --no-command
"$WORK/venv/bin/python" -m pip check
step "done"
