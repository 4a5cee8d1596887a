"""Clips per second of the readers' decode -> log-mel pipeline, by parallelism.

Writes ``--clips`` TAU-like files (10 s, 44.1 kHz, 24-bit mono by default) in
each ``--formats`` and times, interleaved over ``--repeats`` rounds, full passes
of ``tf.data`` pipelines at ``num_parallel_calls`` 1, 2 and AUTOTUNE:

* ``soundfile decode``: the readers' decoder alone
  (:func:`keras_specmix.datasets.audio_io.decode_audio`: libsndfile through
  ``tf.numpy_function``);
* ``soundfile features``: the readers' whole per-file pipeline (decode, mono,
  the paper's log-mel front end with deltas), as ``from_directory`` builds it;
* ``tfio decode`` / ``tfio features``: the previous in-graph decoder
  (``tfio.audio.decode_wav``/``decode_flac``, int32, scaled), with the same
  front end; only where tensorflow-io loads (TF 2.17).

If decoding held the GIL, ``soundfile decode`` would not get faster from 1 to
2 parallel calls on a machine with two free cores; since a shared machine may
have no free core, a second table measures the GIL directly: how much a
pure-Python counting thread progresses beside a decoding thread, against
beside ``json.loads`` (a C call that holds the GIL). Usage:

    python benchmarks/bench_decode.py                       # 16 clips, 3 rounds
    python benchmarks/bench_decode.py --clips 4 --seconds 1 --repeats 1   # smoke
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import soundfile  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import harness  # noqa: E402
from keras_specmix.datasets import audio_io  # noqa: E402
from keras_specmix.datasets import pipeline  # noqa: E402
from keras_specmix.features import FrontEndConfig  # noqa: E402

PARALLEL = {"1": 1, "2": 2, "AUTOTUNE": tf.data.AUTOTUNE}
SUBTYPES = {16: "PCM_16", 24: "PCM_24"}


def write_clips(folder, fmt, count, seconds, rate, bits):
    rng = np.random.default_rng(0)
    paths = []
    for k in range(count):
        t = np.arange(int(seconds * rate)) / rate
        x = 0.3 * np.sin(2 * np.pi * (200 + 30 * k) * t) + 0.05 * rng.standard_normal(t.size)
        path = os.path.join(folder, f"clip{k}.{fmt}")
        soundfile.write(path, x, rate, subtype=SUBTYPES[bits])
        paths.append(path)
    return paths


def tfio_decoder(fmt):
    """The previous reader's in-graph decoder, or None without tensorflow-io."""
    try:
        import tensorflow_io as tfio

        decode = {"wav": tfio.audio.decode_wav, "flac": tfio.audio.decode_flac}[fmt]
        decode(tf.io.read_file(tf.constant("/nonexistent")), dtype=tf.int32)
    except tf.errors.NotFoundError:
        pass  # the op loaded; the file does not exist
    except Exception:
        return None

    def load(path):
        audio = tf.cast(decode(tf.io.read_file(path), dtype=tf.int32), tf.float32) / 2.0**31
        audio.set_shape([None, None])
        return tf.reduce_mean(audio, axis=1, keepdims=True)

    return load


def pipelines(paths, fmt, config):
    candidates = {}
    tfio_load = tfio_decoder(fmt)
    for label, npc in PARALLEL.items():

        def source():
            return tf.data.Dataset.from_tensor_slices(paths)

        candidates[f"soundfile decode | {label}"] = lambda npc=npc: source().map(
            lambda p: audio_io.decode_audio(p, config.sample_rate, "mean"),
            num_parallel_calls=npc,
            deterministic=True,
        )
        candidates[f"soundfile features | {label}"] = lambda npc=npc: pipeline._decode_features(
            paths, config, None, "mean", 1, npc
        )
        if tfio_load is not None:
            candidates[f"tfio decode | {label}"] = lambda npc=npc: source().map(
                tfio_load, num_parallel_calls=npc, deterministic=True
            )
            candidates[f"tfio features | {label}"] = lambda npc=npc: source().map(
                lambda p: pipeline.waveform_features(tfio_load(p), config),
                num_parallel_calls=npc,
                deterministic=True,
            )
    return candidates


def gil_check(path, seconds=3.0):
    """Progress of a pure-Python counting thread alone, beside a thread decoding
    ``path`` in a loop, and beside a thread running ``json.loads`` (a C call
    known to hold the GIL) for the same time per call; as a share of alone.

    If libsndfile held the GIL, the counter would stall during each decode as it
    does beside ``json.loads``. Independent of the machine's core count.
    """
    import json
    import threading

    payload = json.dumps([[0.1] * 1000] * 200)
    start = time.perf_counter()
    soundfile.read(path, dtype="float32")
    decode_s = time.perf_counter() - start
    repeats = max(1, int(decode_s / _timed(lambda: json.loads(payload))))

    def count(stop):
        n = 0
        while not stop.is_set():
            n += 1
        return n

    def run(work):
        stop, box = threading.Event(), {}
        counter = threading.Thread(target=lambda: box.setdefault("n", count(stop)))
        worker = None
        if work is not None:

            def loop():
                while not stop.is_set():
                    work()

            worker = threading.Thread(target=loop)
            worker.start()
        counter.start()
        time.sleep(seconds)
        stop.set()
        counter.join()
        if worker is not None:
            worker.join()
        return box["n"]

    alone = run(None)
    return {
        "decode_ms_per_call": 1000 * decode_s,
        "beside soundfile.read": run(lambda: soundfile.read(path, dtype="float32")) / alone,
        "beside json.loads (holds the GIL)": run(
            lambda: [json.loads(payload) for _ in range(repeats)]
        )
        / alone,
    }


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def one_pass(make):
    start = time.perf_counter()
    count = 0
    for element in make():
        harness.finish(element)
        count += 1
    return count / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=44100)
    parser.add_argument("--bits", type=int, choices=(16, 24), default=24)
    parser.add_argument("--formats", default="wav,flac")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="JSON file to write")
    args = parser.parse_args(argv)
    config = FrontEndConfig()  # the paper's: 44.1 kHz, 2048/1024, 128 mels, deltas
    results, gil = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for fmt in args.formats.split(","):
            paths = write_clips(folder, fmt, args.clips, args.seconds, args.rate, args.bits)
            candidates = pipelines(paths, fmt, config)
            for make in candidates.values():  # warm-up: trace every map once
                one_pass(make)
            rates = {name: [] for name in candidates}
            for _ in range(args.repeats):  # interleaved rounds
                for name, make in candidates.items():
                    rates[name].append(one_pass(make))
            for name, values in rates.items():
                results[f"{fmt} | {name}"] = {
                    "clips_per_s": statistics.median(values),
                    "all": values,
                }
            gil[fmt] = gil_check(paths[0])
    rows = []
    for key, value in results.items():
        fmt, path, parallel = key.split(" | ")
        rows.append([fmt, path, parallel, f"{value['clips_per_s']:.1f}"])
    print(harness.table(rows, ["format", "pipeline", "num_parallel_calls", "clips/s"]))
    print()
    print(
        harness.table(
            [
                [
                    fmt,
                    f"{g['decode_ms_per_call']:.1f}",
                    f"{g['beside soundfile.read']:.2f}",
                    f"{g['beside json.loads (holds the GIL)']:.2f}",
                ]
                for fmt, g in gil.items()
            ],
            [
                "format",
                "decode ms/call",
                "counter beside decode (share of alone)",
                "counter beside json.loads (GIL held)",
            ],
        )
    )
    if args.out:
        harness.write_json(
            args.out,
            {
                "environment": {
                    **harness.environment(),
                    "libsndfile": soundfile.__libsndfile_version__,
                },
                "settings": vars(args),
                "results": results,
                "gil_check": gil,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
