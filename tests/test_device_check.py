"""scripts/device_check.sh --tiny: the GPU check runs end to end on a CPU, so it cannot rot
before a device is lent. Timings are not checked (shared CI machines), only that every
section ran and wrote its results into the one JSON file."""

import importlib.util
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.scripts
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
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["mode"] == "tiny"
    assert set(result["section_s"]) == {"devices", "layers", "backends", "training", "paper"}
    assert result["devices"]["physical"] and "versions" in result["devices"]["environment"]
    # Layers: every backend that is installed ran in its own process, beside a copy.
    for backend, run in result["layers"]["backends"].items():
        if "missing" in run:  # CI leg 1 has no JAX or PyTorch: recorded, not fatal
            assert importlib.util.find_spec(backend) is None, run
            continue
        rows = run["shapes"]["4x40x16x1"]["results"]
        mode = {"tensorflow": "xla", "jax": "jit", "torch": "eager"}[backend]
        for name in (
            "copy",
            "SpecMix",
            "SpecAugment",
            "FrequencyMixStyle",
            "DeviceImpulseResponse",
        ):
            assert rows[f"{name}@{mode}"]["median_ms"] > 0 and rows[f"{name}@{mode}"]["ratio"] > 0
        if backend in ("tensorflow", "jax"):
            assert rows[f"SpecMix@{mode}"]["peak_over_input"] > 0.9
    assert (
        "tensorflow" not in result["layers"]["backends"]
        or "shapes" in (result["layers"]["backends"]["tensorflow"])
    )
    # JAX and PyTorch on the device (issue 20): outputs where the inputs are, fresh draws.
    for backend in ("jax", "torch"):
        run = result["backends"][backend]
        if "missing" in run:
            assert importlib.util.find_spec(backend) is None, run
            continue
        assert set(run["layers"]) == {
            "SpecMix",
            "SpecAugment",
            "FrequencyMixStyle",
            "DeviceImpulseResponse",
        }
        for name, row in run["layers"].items():
            assert row["ok"] and row["calls_differ"] and row["on_input_device"], (name, row)
    rows = result["training"]
    assert [(r["condition"], r["mixed_precision"], r["xla"]) for r in rows] == [
        ("none", False, False),
        ("specmix", True, True),
        ("specaugment", False, False),
    ]
    assert all(r.get("steps_per_second", 0) > 0 for r in rows), rows
    assert "augmentation_share" in rows[2]  # beside `none` in the same setting
    assert result["paper"]["settings"]["lr_milestones"] == [10000, 30000, 50000, 70000, 90000]
    assert result["paper"]["train_steps_per_second"] > 0
    for heading in ("== devices", "== layers", "== JAX and PyTorch", "== training", "== paper"):
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


@pytest.mark.parametrize(
    "flag, value",
    [("--sections", "layers,trainng"), ("--backends", "jax,mxnet"), ("--sections", ",")],
)
def test_device_check_names_a_bad_section_or_backend(flag, value):
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "device_check.sh"), flag, value],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHON": __import__("sys").executable},
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{flag} takes a comma-separated subset of" in done.stderr
    assert f"Received: {value!r}" in done.stderr


def test_device_check_spreads_the_budget_over_the_sections_chosen():
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import device_check

    every = device_check._deadlines(0.0, 100.0, device_check.SECTIONS)
    assert [round(every[k], 6) for k in ("layers", "backends", "training", "paper")] == [
        40.0,
        55.0,
        85.0,
        100.0,
    ]
    some = device_check._deadlines(0.0, 110.0, ("devices", "layers", "backends"))
    assert round(some["layers"], 6) == 80.0 and round(some["backends"], 6) == 110.0


@pytest.mark.scripts
def test_device_check_runs_only_the_sections_chosen(tmp_path):
    out = tmp_path / "device_check.json"
    done = subprocess.run(
        [
            "bash",
            str(ROOT / "scripts" / "device_check.sh"),
            "--tiny",
            "--sections",
            "devices",
            "--backends",
            "jax,torch",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHON": __import__("sys").executable},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["sections"] == ["devices"] and result["backends_chosen"] == ["jax", "torch"]
    assert result["devices"]["physical"]
    for key in ("layers", "backends", "training", "paper"):
        assert result[key] == {"skipped": "not among --sections"}
