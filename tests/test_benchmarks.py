"""The benchmark scripts run end to end on tiny settings and write what they promise.

Timings are not checked here (machines are shared and noisy; the numbers come
from running the scripts on a quiet machine): only that each script runs,
prints its table and writes JSON with the machine, the settings and a result
for every candidate.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(script, *args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.scripts
def test_bench_layers_reports_every_public_layer_against_a_copy(tmp_path):
    out = tmp_path / "layers.json"
    stdout = _run(
        "bench_layers.py",
        "--backends",
        "tensorflow",
        "--shapes",
        "4x40x16x1",
        "--modes",
        "tensorflow=xla",
        "--repeats",
        "2",
        "--warmup",
        "1",
        "--out",
        str(out),
    )
    result = json.loads(out.read_text())
    assert {"environment", "settings", "backends", "checks", "floors", "targets"} <= set(result)
    assert "load average" in result["environment"]["uptime"]
    import keras_specmix as ks
    from keras_specmix.layers.base import SpectrogramAugmentation

    public = {
        name
        for name in ks.__all__
        if isinstance(getattr(ks, name), type)
        and issubclass(getattr(ks, name), SpectrogramAugmentation)
    }
    # Discovered, not listed by hand: every public layer and nothing else (no base class).
    assert public == set(result["settings"]["layers"])
    assert {"DeviceImpulseResponse", "TimeRoll", "RandomGain", "AddNoise", "MixUp"} <= public
    shapes = result["backends"]["tensorflow"]["shapes"]
    assert set(shapes) == {"4x40x16x1"}
    rows = shapes["4x40x16x1"]["results"]
    assert rows["copy@xla"]["ratio"] == 1.0
    for layer in public:
        row = rows[f"{layer}@xla"]
        assert row["median_ms"] > 0 and row["ratio"] > 0 and row["gb_s"] > 0, row
        assert row["p10_ms"] <= row["median_ms"] <= row["p90_ms"]
        assert 0.9 < row["peak_over_input"] < 20  # XLA's buffer assignment of the call
    assert rows["copy@xla"]["peak_over_input"] == 1.0
    for layer in public:
        assert f"| {layer} |" in stdout
    assert result["floors"]["MixUp"] == 1.5 and result["floors"]["TimeMasking"] == 1.0


@pytest.mark.scripts
def test_bench_layers_records_a_failed_backend_and_goes_on(tmp_path):
    out = tmp_path / "layers.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_layers.py"),
            "--backends",
            "tensorflow",
            "--layers",
            "MixUp",
            "--timeout-s",
            "0.5",  # the child cannot even import TensorFlow in that time
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    result = json.loads(out.read_text())
    assert "timed out" in result["backends"]["tensorflow"]["error"]
    assert "FAILED" in done.stdout


def test_bench_layers_rejects_an_unknown_layer():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_layers.py"), "--layers", "NoSuch"],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert done.returncode == 2 and "--layers must be among" in done.stderr


def test_check_regression_fails_a_layer_far_over_its_committed_ratio(tmp_path):
    """A limit no layer can reach (0.2x a copy: 1.0 committed, tolerance -80 %; a committed
    ratio under the floor would be raised to it) must fail, after the retries; a generous one
    passes; a layer without a committed ratio is reported, not failed."""
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        json.dumps({"tensorflow": {"ratios": {"TimeMasking@xla": 1.0, "TimeMasking@graph": 500.0}}})
    )
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "check_regression.py"),
            "--baseline",
            str(baseline),
            "--layers",
            "TimeMasking,FilterAugment",
            "--repeats",
            "5",
            "--attempts",
            "2",
            "--tolerance=-0.8",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"},
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED: TimeMasking@xla" in done.stdout
    assert "attempt 2: measuring TimeMasking@xla" in done.stdout
    assert (
        "| TimeMasking@graph |" in done.stdout
        and "REGRESSED" not in done.stdout.split("| TimeMasking@graph |")[1].split("\n")[0]
    )
    assert "new: no baseline" in done.stdout.split("| FilterAugment@xla |")[1].split("\n")[0]


@pytest.mark.scripts
def test_bench_tfdata_reports_stages_floors_and_augmentations(tmp_path):
    out, png = tmp_path / "tfdata.json", tmp_path / "tfdata.png"
    stdout = _run(
        "bench_tfdata.py",
        "--clips",
        "64",
        "--passes",
        "1",
        "--resnet-steps",
        "0",
        "--out",
        str(out),
        "--plot",
        str(png),
    )
    per_batch = json.loads(out.read_text())["per_batch"]
    assert list(per_batch)[:4] == [
        "stage: read records",
        "stage: + parse",
        "stage: + crop",
        "plain pipeline (+ batch)",
    ]
    names = ["floor: + copy in place"] + [
        f"{layer} ({how})"
        for layer in ("MixUp", "SpecMix", "SpecAugment", "FrequencyMixStyle", "MixingPolicy")
        for how in ("augment_dataset", "map")
    ]
    for name in names:
        assert per_batch[name]["wall"] > 0 and per_batch[name]["cpu"] > 0
        assert f"| {name} |" in stdout
    assert "batches / s" in stdout
    assert png.stat().st_size > 10_000


@pytest.mark.scripts
def test_profile_layers_splits_fused_apply_from_other_ops(tmp_path):
    out = tmp_path / "profile.json"
    _run("profile_layers.py", "--layers", "SpecMix,TimeMasking", "--steps", "2", "--out", str(out))
    layers = json.loads(out.read_text())["layers"]
    assert set(layers) == {"SpecMix", "TimeMasking"}
    for stats in layers.values():
        assert stats["fused_us"] > 0  # the XLA-fused apply ran as one call op
        assert any(op.startswith("StatelessRandom") for op in stats["ops_us"])


@pytest.mark.scripts
def test_soak_reports_a_slope_and_no_error_for_every_pipeline(tmp_path):
    out = tmp_path / "soak.json"
    stdout = _run("soak.py", "--batches", "40", "--every", "10", "--out", str(out))
    result = json.loads(out.read_text())
    assert result["settings"]["batches"] == 40
    assert set(result["results"]) == {
        "SpecMix map(layer)",
        "SpecAugment map(layer)",
        "SpecMix augment_dataset",
        "SpecAugment augment_dataset",
    }
    for name, run in result["results"].items():
        assert run["error"] is None, run["error"]
        assert [i for i, _ in run["samples"]] == [10, 20, 30, 40]
        assert all(mb > 0 for _, mb in run["samples"])
        assert isinstance(run["slope_mb_per_1000"], float)
        assert f"| {name} |" in stdout
