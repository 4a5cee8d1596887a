"""Fake TAU 2020 Mobile and SECL-UMONS trees, generated per test in tmp_path."""

import os
import struct

import numpy as np
import pytest


def write_wav(path, audio, sample_rate, bits=24):
    """Writes integer-PCM WAV (16/24/32-bit) with NumPy only."""
    audio = np.asarray(audio, np.float64)
    if audio.ndim == 1:
        audio = audio[:, None]
    frames, channels = audio.shape
    scale = 2.0 ** (bits - 1)
    q = np.clip(np.round(audio * scale), -scale, scale - 1).astype("<i4")
    if bits == 16:
        data = q.astype("<i2").tobytes()
    elif bits == 24:
        data = q.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        data = q.tobytes()
    block = channels * bits // 8
    header = (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
              + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate,
                                      sample_rate * block, block, bits)
              + b"data" + struct.pack("<I", len(data)))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(header + data)


def tone(seconds, sample_rate, freq, channels=1, seed=0):
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    rng = np.random.default_rng(seed)
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
    return np.stack([x * (0.5 + 0.5 * c / max(channels, 1)) for c in range(channels)], 1)


# (scene, city, location, segment, device); labels deliberately not in the
# alphabetical order of first appearance.
TAU_TRAIN = [
    ("tram", "lyon", "1", "10", "a"), ("tram", "lyon", "1", "10", "s1"),
    ("airport", "lisbon", "2", "20", "a"), ("airport", "lisbon", "2", "20", "b"),
    ("bus", "paris", "3", "30", "a"), ("bus", "paris", "3", "31", "s2"),
]
TAU_EVAL = [
    ("tram", "vienna", "4", "40", "a"), ("airport", "milan", "5", "50", "s4"),
    ("bus", "prague", "6", "60", "s6"), ("bus", "prague", "6", "61", "c"),
]
TAU_EXTRA = [("bus", "helsinki", "7", "70", "s10")]  # in meta.csv only


def tau_name(row):
    return "audio/" + "-".join(row) + ".wav"


@pytest.fixture
def fake_tau(tmp_path):
    """A TAU 2020 Mobile development tree with 24-bit 0.3-s clips."""
    root = tmp_path / "TAU-urban-acoustic-scenes-2020-mobile-development"
    rows = TAU_TRAIN + TAU_EVAL + TAU_EXTRA
    for i, row in enumerate(rows):
        write_wav(str(root / tau_name(row)), tone(0.3, 44100, 200 + 50 * i), 44100, 24)
    with open(root / "meta.csv", "w") as f:
        f.write("filename\tscene_label\tidentifier\tsource_label\n")
        for r in rows:
            f.write(f"{tau_name(r)}\t{r[0]}\t{r[1]}-{r[2]}\t{r[4]}\n")
    (root / "evaluation_setup").mkdir()
    for name, part in (("fold1_train.csv", TAU_TRAIN), ("fold1_evaluate.csv", TAU_EVAL)):
        with open(root / "evaluation_setup" / name, "w") as f:
            f.write("filename\tscene_label\n")
            f.writelines(f"{tau_name(r)}\t{r[0]}\n" for r in part)
    with open(root / "evaluation_setup" / "fold1_test.csv", "w") as f:
        f.write("filename\n")
        f.writelines(f"{tau_name(r)}\n" for r in TAU_EVAL)
    return root


SECL_CLASSES = ("whistle", "chair_movement", "knock")


@pytest.fixture(params=["flat", "nested"])
def fake_secl(tmp_path, request):
    """A SECL-UMONS unilabel tree, 7 mic files per recording, 2 path depths."""
    root = tmp_path / "SECL-UMONS"
    lists = {"train": [], "test": []}
    for c, cls in enumerate(SECL_CLASSES):
        for rec in range(3):
            room = 1 + rec % 2
            folder = f"Unilabel/{cls}" if request.param == "flat" else f"Unilabel/room{room}/{cls}"
            stem = f"room{room}_array_micro{{}}_{c + 1}_1_{rec + 1}.wav"
            for mic in range(7):
                write_wav(str(root / folder / stem.format(mic)),
                          tone(0.25, 44100, 300 + 100 * c + 10 * mic, seed=mic), 44100, 24)
            entry = f"{folder}/{stem.format(0)}"
            if request.param == "nested" and rec == 0:
                entry = "./" + f"{folder}/room{room}_array_{c + 1}_1_{rec + 1}.wav"
            lists["test" if rec == 2 else "train"].append(entry)
    for split, entries in lists.items():
        with open(root / f"unilabel_split1_{split}.csv", "w") as f:
            if request.param == "flat":
                f.write("0\n")
            f.writelines(e + "\n" for e in entries)
    return root
