"""Running the experiment runner in a subprocess that may be killed, and comparing outputs.

A run is killed by :mod:`keras_specmix._faults`: with
``KERAS_SPECMIX_FAULT=<point>:<n>`` the process sends itself ``SIGKILL`` the
``n``-th time it reaches ``<point>`` (return code ``-9``).
"""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys

ROOT = pathlib.Path(__file__).parents[2]
TIMING = ("wall_time_s", "train_steps_per_second")
"""Run-record fields that measure time, not results."""


def env(**extra):
    out = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out.pop("KERAS_SPECMIX_FAULT", None)
    out.update(extra)
    return out


def runner(args, output_dir, cache_dir, fault=None, timeout=600):
    """Runs ``python -m keras_specmix.experiments`` to its end or to the fault's kill."""
    extra = {"KERAS_SPECMIX_FAULT": fault} if fault else {}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_specmix.experiments",
            *args,
            "--output-dir",
            str(output_dir),
            "--cache-dir",
            str(cache_dir),
        ],
        env=env(**extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def killed(done):
    return done.returncode == -signal.SIGKILL


def comparable(folder, stem="synthetic_small"):
    """A comparison's outputs, timing aside: JSON data, Markdown text, figure bytes.

    Timing fields of run records and of the summary, the steps/s line of the
    Markdown, and the command line of each run's provenance (it names the
    output folder) are left out; everything else must be equal, PNG bytes
    included (the figures are drawn from results only).
    """
    folder = pathlib.Path(folder)
    data = json.loads((folder / f"{stem}.json").read_text())
    for run in data["runs"]:
        for key in TIMING:
            run.pop(key)
        run["provenance"].pop("command")
    for entry in data["summary"].values():
        entry.pop("steps_per_second")
    text = (folder / f"{stem}.md").read_text()
    text = re.sub(r"^\| mean \|.*\n", "", text, flags=re.M)  # the steps/s table's row
    figures = {p.name: p.read_bytes() for p in sorted(folder.glob("*.png"))}
    return data, text, figures


def leftovers(*folders):
    """Temporary files or folders left in ``folders`` (recursively)."""
    out = []
    for folder in folders:
        for path in pathlib.Path(folder).rglob("*"):
            if path.name.endswith(".tmp") or ".tmp-" in path.name or ".tmp." in path.name:
                out.append(str(path))
    return out
