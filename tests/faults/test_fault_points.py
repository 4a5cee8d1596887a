"""The fault-injection helper, atomic writes, and the message of a lost process (fast)."""

import subprocess
import sys
import types

import pytest

from keras_specmix import _faults as faults
from keras_specmix.experiments import distribute
from keras_specmix.experiments import report
from tests.faults import _runner

WRITE = (
    "import sys\n"
    "from keras_specmix.experiments import report\n"
    "report.write_atomic(sys.argv[1], sys.argv[2])\n"
)


def test_points_do_nothing_without_the_variable(monkeypatch):
    monkeypatch.delenv(faults.ENV_VAR, raising=False)
    for name in faults.POINTS:
        faults.point(name)  # still alive


@pytest.mark.parametrize("spec", ["run.start", "run.start:0", "nowhere:1", "run.start:x"])
def test_a_malformed_variable_is_an_error(monkeypatch, spec):
    monkeypatch.setenv(faults.ENV_VAR, spec)
    with pytest.raises(ValueError, match=faults.ENV_VAR):
        faults.point("run.start")


def test_an_unknown_point_is_an_error():
    with pytest.raises(ValueError, match="Unknown fault point"):
        faults.point("run.begin")


def test_a_write_killed_before_its_rename_leaves_the_old_file(tmp_path):
    path = tmp_path / "results.json"
    report.write_atomic(path, "old")
    done = subprocess.run(
        [sys.executable, "-c", WRITE, str(path), "new"],
        env=_runner.env(KERAS_SPECMIX_FAULT="write.json:1"),
        capture_output=True,
        timeout=300,
    )
    assert _runner.killed(done), done.stderr[-2000:]
    assert path.read_text() == "old"
    assert (tmp_path / "results.json.tmp").read_text() == "new"
    report.write_atomic(path, "newer")  # the next write replaces the stray temporary
    assert path.read_text() == "newer" and _runner.leftovers(tmp_path) == []


def test_a_failure_among_processes_says_what_to_do_and_waits_for_jax():
    strategy = types.SimpleNamespace(process_index=0, num_processes=3, process_timeout=7)
    lines, waits = [], []
    error = ValueError("UNKNOWN: Gloo AllGather failed: Connection reset by peer\nmore")
    distribute.explain_failure(strategy, error, log=lines.append, sleep=waits.append)
    assert waits == [17]  # the timeout and 10 s: then no process was lost
    assert lines[0].startswith(
        "Process 0 of 3: a step shared with processes 1, 2 failed (ValueError: UNKNOWN: Gloo "
        "AllGather failed: Connection reset by peer)."
    )
    assert "names it within 7 s (--process-timeout)" in lines[0]
    assert "same command and --output-dir" in lines[0]
    assert lines[1] == "No process was lost within 17 s: the error is process 0's own."


def test_process_timeout_needs_keras_distribution():
    with pytest.raises(ValueError, match="process_timeout"):
        distribute.make_strategy("default", process_timeout=5)
