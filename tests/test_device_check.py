"""scripts/device_check.sh --tiny: the GPU check runs end to end on a CPU, so it cannot rot
before a device is lent. Timings are not checked (shared CI machines), only that every
section ran and wrote its results into the one JSON file."""

import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_device_check_tiny_writes_every_section(tmp_path):
    out = tmp_path / "device_check.json"
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHON": os.environ.get("PYTHON", __import__("sys").executable),
    }
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "device_check.sh"), "--tiny", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["mode"] == "tiny"
    assert set(result["section_s"]) == {"devices", "layers", "training", "paper"}
    assert result["devices"]["physical"] and "versions" in result["devices"]["environment"]
    for name in ("SpecMix@graph", "SpecMix@xla", "SpecAugment@xla"):
        assert result["layers"]["results"][name]["median_ms"] > 0
    rows = result["training"]
    assert [(r["condition"], r["mixed_precision"], r["xla"]) for r in rows] == [
        ("none", False, False),
        ("specmix", True, True),
        ("specaugment", False, True),
    ]
    assert all(r.get("steps_per_second", 0) > 0 for r in rows), rows
    assert result["paper"]["settings"]["lr_milestones"] == [10000, 30000, 50000, 70000, 90000]
    assert result["paper"]["train_steps_per_second"] > 0
    for heading in ("== devices", "== layers", "== training", "== paper"):
        assert heading in done.stdout


def test_device_check_rejects_a_bad_budget():
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "device_check.sh"), "--budget-s", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHON": __import__("sys").executable},
    )
    assert done.returncode == 2 and "--budget-s must be > 0. Received: 0" in done.stderr
