"""benchmarks/bench_decode.py runs end to end on tiny settings (timings unchecked)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.scripts
def test_bench_decode_reports_every_pipeline_and_the_gil_check(tmp_path):
    out = tmp_path / "decode.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_decode.py"),
            "--clips",
            "2",
            "--seconds",
            "0.5",
            "--repeats",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    for fmt in ("wav", "flac"):
        for parallel in ("1", "2", "AUTOTUNE"):
            for stage in ("decode", "features"):
                assert (
                    result["results"][f"{fmt} | soundfile {stage} | {parallel}"]["clips_per_s"] > 0
                )
        assert 0 < result["gil_check"][fmt]["beside soundfile.read"]
    assert "| wav | soundfile features | AUTOTUNE |" in done.stdout
