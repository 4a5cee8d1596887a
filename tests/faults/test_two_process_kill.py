"""A two-process ``keras-distribution`` job (KERAS_BACKEND=jax, localhost) with one process killed.

One process kills itself (SIGKILL) after its first training epoch; the other
must end on its own, with a message that names the lost process, within a
bound set by ``--process-timeout`` (JAX's default heartbeat of 100 s and
shutdown barrier of 300 s used to keep it alive for minutes). Then the same
two commands resume and finish the job.
"""

import json
import socket
import subprocess
import sys
import time

import pytest

from tests.faults import _runner

pytest.importorskip("jax", reason="the keras-distribution path runs on JAX (CI leg 2)")

SCRIPT = _runner.ROOT / "tests" / "faults" / "_tiny_runner.py"
TIMEOUT = 20  # --process-timeout: the runner's default
BOUND = TIMEOUT + 25  # seconds from the kill to the survivor's exit, with room for a loaded CI
ARGS = [
    "--strategy", "keras-distribution", "--num-locations", "3", "--clips-per-location", "2",
    "--epochs", "2", "--steps-per-epoch", "2", "--batch-size", "8", "--quiet",
    "--augmentation", "none", "--seeds", "0", "--process-timeout", str(TIMEOUT),
]  # fmt: skip


def _free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _job(root, name, victim=None):
    """Starts both processes; returns (return codes, outputs, seconds from the kill to the end)."""
    port, procs = _free_port(), []
    for index in range(2):
        env = _runner.env(
            KERAS_BACKEND="jax",
            JAX_PLATFORMS="cpu",
            KERAS_DISTRIBUTION_JOB_ADDRESSES=f"localhost:{port}",
            KERAS_DISTRIBUTION_NUM_PROCESSES="2",
            KERAS_DISTRIBUTION_PROCESS_ID=str(index),
        )
        if index == victim:
            env["KERAS_SPECMIX_FAULT"] = "run.epoch:1"
        log = open(root / f"{name}-{index}.txt", "w", encoding="utf-8")  # noqa: SIM115
        command = [sys.executable, "-u", str(SCRIPT), *ARGS]
        command += ["--output-dir", str(root / f"out-{index}"), "--cache-dir", str(root / "cache")]
        procs.append(
            subprocess.Popen(
                command, env=env, cwd=_runner.ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        )
        log.close()
    start, killed_at = time.monotonic(), None
    try:
        while time.monotonic() - start < 600:
            # The victim's end is read before the loop's exit test: when both processes end
            # within one poll (the coordinator killed, the other ends at once), the kill is
            # still timed, at most one poll before the survivor's end.
            if killed_at is None and victim is not None and procs[victim].poll() is not None:
                killed_at = time.monotonic()
            if all(p.poll() is not None for p in procs):
                break
            time.sleep(0.1)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    end = time.monotonic()
    outputs = [(root / f"{name}-{i}.txt").read_text(encoding="utf-8") for i in range(2)]
    return [p.returncode for p in procs], outputs, None if killed_at is None else end - killed_at


@pytest.mark.faults
@pytest.mark.parametrize("victim", [1, 0])
def test_a_killed_process_ends_the_other_with_its_name_and_the_job_resumes(tmp_path, victim):
    codes, outputs, seconds = _job(tmp_path, "killed", victim)
    survivor = 1 - victim
    assert codes[victim] == -9, outputs[victim][-3000:]
    assert codes[survivor] not in (0, None), outputs[survivor][-3000:]
    assert seconds is not None, "the victim's end was not seen"
    print(f"survivor {survivor} ended {seconds:.1f} s after process {victim} was killed")
    assert seconds < BOUND, outputs[survivor][-3000:]
    text = outputs[survivor]
    if victim == 1:  # the coordinator survives: its service names the silent process
        assert "Process 0 of 2: a step shared with process 1 failed" in text, text[-3000:]
        assert "--process-timeout" in text and "same command and --output-dir" in text
        assert "The following tasks are unhealthy (stopped sending heartbeats):\n1" in text
    else:  # the coordinator was lost: JAX names the leader (process 0) at once
        assert "leader task was preempted/died" in text, text[-3000:]
    codes, outputs, _ = _job(tmp_path, "resumed")
    assert codes == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    assert "Process 1 of 2 done; process 0 wrote the results." in outputs[1]
    results = json.loads((tmp_path / "out-0" / "synthetic_small.json").read_text())
    assert [(r["condition"], r["seed"], r["num_processes"]) for r in results["runs"]] == [
        ("none", 0, 2)
    ]
