"""Smoke checks of an installed keras_specmix (run by scripts/smoke_install.sh).

Usage: ``VENV/bin/python -I smoke_install_checks.py EXTRAS REPO [--no-command]``
from a folder outside the repository; ``EXTRAS`` is the comma-separated extras
installed ("" for none), ``REPO`` the repository (nothing may be imported from
it); ``--no-command`` skips the command's checks (when an earlier stage with
the same command checks ran). Prints one ``extras | check | result (seconds)``
line per check and exits 1 if one failed.
"""

import os
import pathlib
import subprocess
import sys
import tempfile
import time
import traceback
import wave

import numpy as np
import tensorflow as tf

import keras_specmix as ks

EXTRAS = {e for e in sys.argv[1].split(",") if e}
REPO = pathlib.Path(sys.argv[2]).resolve()
COMMAND_CHECKS = "--no-command" not in sys.argv[3:]
BIN = pathlib.Path(sys.executable).parent
COMMAND = "keras-specmix-experiments"
STAGE = "+".join(sorted(EXTRAS)) or "none"
FAILED = []


def check(name, function):
    """Runs ``function``; prints ``name`` as passed (with what it returns) or failed."""
    start = time.perf_counter()
    try:
        detail = function()
        seconds = f"({time.perf_counter() - start:.0f} s)"
        print(f"{STAGE} | {name} | ok{': ' + detail if detail else ''} {seconds}", flush=True)
    except Exception:  # noqa: BLE001 - report every failing check, then exit 1
        FAILED.append(name)
        print(f"{STAGE} | {name} | FAILED", flush=True)
        traceback.print_exc()


def one_line_install_error(text, extra):
    """Asserts ``text`` is one line that names ``pip install "keras_specmix[extra]"``."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].endswith(f'pip install "keras_specmix[{extra}]"'), text
    assert "Traceback" not in text, text
    return lines[0]


def command(*args, module=False):
    """Runs the console script (or ``python -m keras_specmix.experiments``) with ``args``.

    Without the TF_* variables a caller may have set: the command's own
    start-up must keep TensorFlow's notices off its stderr.
    """
    argv = [sys.executable, "-m", "keras_specmix.experiments"] if module else [BIN / COMMAND]
    drop = ("PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [*map(str, argv), *args], capture_output=True, text=True, env=env, timeout=900
    )


def installed_not_source():
    for module in (ks, sys.modules["_keras_specmix_cli"]):
        path = pathlib.Path(module.__file__).resolve()
        assert "site-packages" in path.parts and REPO not in path.parents, path
    return f"keras_specmix {ks.__version__} from {pathlib.Path(ks.__file__).parent}"


check("imported from the installed wheel, not the source tree", installed_not_source)


def layer_in_tf_data():
    x = np.random.default_rng(0).random((8, 20, 16), dtype=np.float32)
    y = np.eye(2, dtype=np.float32)[np.arange(8) % 2]
    ds = tf.data.Dataset.from_tensor_slices({"spectrograms": x, "labels": y}).batch(4)
    ds = ks.data.augment_dataset(ds, ks.SpecMix(gamma=0.3), seed=0)
    out = next(iter(ds))
    assert out["spectrograms"].shape == (4, 20, 16) and out["labels"].shape == (4, 2)
    np.testing.assert_allclose(tf.reduce_sum(out["labels"], axis=1), 1.0, rtol=1e-6)
    return "batch (4, 20, 16), labels sum to 1"


check("SpecMix in a tf.data map", layer_in_tf_data)


def write_wav(path, rate=22050, seconds=0.1):
    """A 16-bit mono tone, written with the standard library (no soundfile needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(rate * seconds)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(samples.tobytes())
    return path


ROOT = pathlib.Path(tempfile.mkdtemp())
WAVS = [write_wav(ROOT / "a" / "x.wav"), write_wav(ROOT / "b" / "y.wav")]
CONFIG = ks.features.FrontEndConfig(sample_rate=16000, n_fft=256, hop_length=128, n_mels=16)

if "audio" in EXTRAS:

    def read_wav():
        audio = ks.datasets.audio_io.load_audio(WAVS[0], sample_rate=16000)
        assert audio.shape == (1600, 1) and np.abs(audio).max() > 0.2, audio.shape
        ds = ks.datasets.from_directory(ROOT, config=CONFIG, clip_seconds=0.1)
        shapes = [tuple(x.shape) for x, _ in ds]
        assert len(shapes) == 2, shapes
        return f"load_audio {audio.shape}; from_directory: {len(shapes)} examples {shapes[0]}"

    check("read a 22.05 kHz WAV, resampled to 16 kHz (soundfile + soxr)", read_wav)

else:

    def read_wav_missing():
        try:
            ks.datasets.from_directory(ROOT, config=CONFIG, clip_seconds=0.1)
        except ImportError as error:
            return one_line_install_error(str(error), "audio")
        raise AssertionError("from_directory built a dataset without soundfile")

    check("read a WAV without the audio extra: one-line error", read_wav_missing)

if not COMMAND_CHECKS:
    pass
elif "experiments" in EXTRAS:

    def command_help():
        for module in (False, True):
            done = command("--help", module=module)
            assert done.returncode == 0 and "usage:" in done.stdout, done.stderr
            assert not done.stderr.strip(), done.stderr
        return "exit 0, usage printed, stderr empty"

    check(f"{COMMAND} --help and python -m keras_specmix.experiments --help", command_help)

    def one_epoch():
        out = ROOT / "results"
        done = command(
            "--num-locations", "3", "--clips-per-location", "2", "--epochs", "1",
            "--seeds", "0", "--augmentation", "none", "--quiet", "--output-dir", out,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "Traceback" not in done.stderr, done.stderr
        written = sorted(p.suffix for p in out.iterdir())
        assert {".json", ".md", ".png"} <= set(written), written
        return f"exit 0, wrote {' '.join(p.name for p in sorted(out.iterdir()))}"

    check(f"{COMMAND}: one epoch, condition none, seed 0", one_epoch)

else:

    def missing_extra():
        lines = []
        for module in (False, True):
            # --help answers without the extra (the parser needs neither
            # TensorFlow nor scipy); a command that would run stops at once.
            shown = command("--help", module=module)
            assert shown.returncode == 0 and "usage:" in shown.stdout, shown.stderr[-2000:]
            done = command("--quiet", module=module)
            assert done.returncode == 2, (done.returncode, done.stderr)
            assert done.stdout == "", done.stdout
            lines.append(one_line_install_error(done.stderr, "experiments"))
        return lines[0]

    check(f"{COMMAND} without the experiments extra: one line, exit 2", missing_extra)

print(f"{STAGE} | summary | {'FAILED: ' + ', '.join(FAILED) if FAILED else 'all passed'}")
sys.exit(1 if FAILED else 0)
