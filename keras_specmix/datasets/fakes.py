"""Tiny fake copies of TAU 2020 Mobile and SECL-UMONS, for smoke tests.

The real datasets are tens of gigabytes behind registration walls. These
writers build trees with the exact on-disk layout the readers expect (file
names, list files, headers, separators) but a handful of short sine-tone
clips, so a pipeline can be run end to end in seconds::

    root = write_fake_tau2020_mobile("/tmp/fake_tau")
    ds = tau2020_mobile(root, "train", clip_seconds=0.3)

Audio is written with libsndfile (``soundfile``, the ``audio`` extra):
:func:`write_wav` writes 16/24/32-bit PCM WAV and :func:`write_audio_formats`
one file per tested encoding (:data:`AUDIO_FORMATS`).
"""

import os
import pathlib
from collections.abc import Sequence
from typing import Any
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from keras_specmix import _optional
from keras_specmix import _validation
from keras_specmix._typing import StrPath

# (scene, city, location, segment, device). Labels are deliberately not in
# the alphabetical order of first appearance, so a reader that sorts
# differently is caught.
TAU_TRAIN_ROWS = (
    ("tram", "lyon", "1", "10", "a"),
    ("tram", "lyon", "1", "10", "s1"),
    ("airport", "lisbon", "2", "20", "a"),
    ("airport", "lisbon", "2", "20", "b"),
    ("bus", "paris", "3", "30", "a"),
    ("bus", "paris", "3", "31", "s2"),
)
"""Rows of the fake TAU ``fold1_train.csv``: (scene, city, location, segment, device)."""
TAU_EVALUATE_ROWS = (
    ("tram", "vienna", "4", "40", "a"),
    ("airport", "milan", "5", "50", "s4"),
    ("bus", "prague", "6", "60", "s6"),
    ("bus", "prague", "6", "61", "c"),
)
"""Rows of the fake TAU ``fold1_evaluate.csv`` (and ``fold1_test.csv``)."""
TAU_EXTRA_ROWS = (("bus", "helsinki", "7", "70", "s10"),)
"""Rows listed only in the fake TAU ``meta.csv`` (device ``s10``, not ``s1``)."""
SAMPLE_RATE = 44100
SECL_CLASSES = ("whistle", "chair_movement", "knock")
"""Classes of the fake SECL-UMONS tree (3 recordings each: 2 train, 1 test)."""
SECL_LAYOUTS = ("flat", "nested")
SECL_MICROPHONES = 7


AUDIO_FORMATS = (
    # (file name, libsndfile format, subtype, sample rate, max abs decode error)
    ("wav_pcm_u8.wav", "WAV", "PCM_U8", None, 1.5 * 2.0**-7),
    ("wav_pcm_16.wav", "WAV", "PCM_16", None, 1.5 * 2.0**-15),
    ("wav_pcm_24.wav", "WAV", "PCM_24", None, 1.5 * 2.0**-23),
    ("wav_pcm_32.wav", "WAV", "PCM_32", None, 1e-7),
    ("wav_float.wav", "WAV", "FLOAT", None, 6e-8),
    ("wav_double.wav", "WAV", "DOUBLE", None, 6e-8),
    ("wavex_pcm_24.wav", "WAVEX", "PCM_24", None, 1.5 * 2.0**-23),
    ("flac_16.flac", "FLAC", "PCM_16", None, 1.5 * 2.0**-15),
    ("flac_24.flac", "FLAC", "PCM_24", None, 1.5 * 2.0**-23),
    ("aiff_16.aiff", "AIFF", "PCM_16", None, 1.5 * 2.0**-15),
    ("aiff_24.aiff", "AIFF", "PCM_24", None, 1.5 * 2.0**-23),
    ("vorbis.ogg", "OGG", "VORBIS", None, 0.05),
    ("opus.opus", "OGG", "OPUS", 48000, 0.05),
    ("mp3.mp3", "MP3", "MPEG_LAYER_III", None, 0.05),
)
"""Every encoding the readers are tested on: ``(name, format, subtype,
rate or None for the caller's, max abs error of the decoded samples against
the written ones)``. Lossless PCM: 1.5 quantisation steps (libsndfile scales
by 2^(bits-1) - 1 on writing and 2^(bits-1) on reading); 32/64-bit float:
float32 rounding of the float64 input; lossy codecs (Vorbis, Opus, MP3): 0.05 on a 0.5-amplitude
tone (10 %). Opus is always 48 kHz."""


def available_audio_formats() -> tuple[tuple[Any, ...], ...]:
    """The rows of :data:`AUDIO_FORMATS` the installed libsndfile can write.

    Returns:
        tuple of rows of :data:`AUDIO_FORMATS` (MP3 needs libsndfile >= 1.1,
        Opus >= 1.0.29).
    """
    soundfile = _optional.require("soundfile", "Writing audio files")
    return tuple(
        row
        for row in AUDIO_FORMATS
        if row[1] in soundfile.available_formats()
        and row[2] in soundfile.available_subtypes(row[1])
    )


def write_audio_formats(
    folder: StrPath, audio: np.ndarray, sample_rate: int
) -> dict[str, tuple[tuple[Any, ...], np.ndarray, int]]:
    """Writes ``audio`` once in every available format of :data:`AUDIO_FORMATS`.

    Args:
        folder: where to write (created).
        audio: float array ``(frames, channels)`` in [-1, 1].
        sample_rate: int, Hz. Opus files are written at 48 kHz: ``audio``
            is first resampled to 48 kHz with libsoxr.

    Returns:
        dict ``{path: (row, written float64 audio, its sample rate)}``.

    Examples:

    >>> import tempfile
    >>> written = write_audio_formats(tempfile.mkdtemp(), tone(0.1, 48000, 440), 48000)
    >>> len(written) >= 11
    True
    """
    soundfile = _optional.require("soundfile", "Writing audio files")
    soxr = _optional.require("soxr", "Resampling audio")
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for row in available_audio_formats():
        name, file_format, subtype, rate, _ = row
        path = folder / name
        data, rate = np.asarray(audio, np.float64), rate or sample_rate
        if rate != sample_rate:
            data = soxr.resample(data, sample_rate, rate, quality="VHQ")
        soundfile.write(path, data, rate, format=file_format, subtype=subtype)
        written[str(path)] = (row, data, rate)
    return written


def write_wav(
    path: StrPath, audio: ArrayLike, sample_rate: int, bits: Literal[16, 24, 32] = 24
) -> pathlib.Path:
    """Writes integer-PCM WAV with libsndfile (``soundfile``).

    Args:
        path: file to write (parent folders are created).
        audio: float array ``(frames,)`` or ``(frames, channels)`` in
            ``[-1, 1]`` (clipped).
        sample_rate: int, Hz.
        bits: 16, 24 or 32.

    Returns:
        The path, as a ``pathlib.Path``.

    Raises:
        ValueError: for another ``bits`` or a non-positive ``sample_rate``.

    Examples:

    >>> import tempfile
    >>> path = write_wav(tempfile.mkdtemp() + "/x.wav", tone(0.1, 16000, 440), 16000, 16)
    >>> path.stat().st_size
    3244
    """
    soundfile = _optional.require("soundfile", "Writing audio files")
    bits = _validation.check_choice("bits", bits, (16, 24, 32))
    sample_rate = _validation.check_int("sample_rate", sample_rate, minimum=1)
    audio = np.clip(np.asarray(audio, np.float64), -1.0, 1.0)
    if audio.ndim == 1:
        audio = audio[:, None]
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, audio, sample_rate, format="WAV", subtype=f"PCM_{bits}")
    return path


def tone(
    seconds: float, sample_rate: int, freq: float, channels: int = 1, seed: int = 0
) -> np.ndarray:
    """A 0.3-amplitude sine plus faint seeded noise, ``(frames, channels)``.

    Args:
        seconds: duration.
        sample_rate: Hz.
        freq: sine frequency in Hz.
        channels: number of channels (channel ``c`` is scaled by
            ``0.5 + 0.5 c / channels``, so channels differ).
        seed: seed of the noise.

    Returns:
        float64 array ``(round(seconds * sample_rate), channels)``.

    Examples:

    >>> tone(0.5, 16000, 440, channels=2).shape
    (8000, 2)
    """
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    rng = np.random.default_rng(seed)
    x = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
    return np.stack([x * (0.5 + 0.5 * c / max(channels, 1)) for c in range(channels)], 1)


def tau_filename(row: Sequence[str]) -> str:
    """``audio/<scene>-<city>-<location>-<segment>-<device>.wav`` of a row."""
    return "audio/" + "-".join(row) + ".wav"


def _write_list(path, header, lines):
    with open(path, "w") as f:
        f.write(header + "\n")
        f.writelines(line + "\n" for line in lines)


def write_fake_tau2020_mobile(root: StrPath, clip_seconds: float = 0.3) -> pathlib.Path:
    """Writes a fake TAU Urban Acoustic Scenes 2020 Mobile development tree.

    ``root/meta.csv``, ``root/audio/*.wav`` (44.1 kHz, 24-bit, mono, one
    tone per file) and ``root/evaluation_setup/fold1_{train,evaluate,test}.csv``,
    TAB-separated with TAU's headers. The clips are the rows of
    :data:`TAU_TRAIN_ROWS`, :data:`TAU_EVALUATE_ROWS` and
    :data:`TAU_EXTRA_ROWS` (in ``meta.csv`` only): 3 scenes, devices ``a``,
    ``b``, ``c``, ``s1``, ``s2``, ``s4``, ``s6`` and ``s10``, train and
    evaluate locations disjoint.

    Args:
        root: folder to create (the one that will hold ``meta.csv``).
        clip_seconds: length of every clip (real TAU clips are 10 s).

    Returns:
        ``root`` as a ``pathlib.Path``.

    Examples:

    >>> import tempfile
    >>> from keras_specmix import datasets
    >>> root = write_fake_tau2020_mobile(tempfile.mkdtemp() + "/TAU")
    >>> datasets.tau2020_mobile_table(root, "train").class_names
    ('airport', 'bus', 'tram')
    """
    root = pathlib.Path(root)
    clip_seconds = _validation.check_float("clip_seconds", clip_seconds, 0.0, open_min=True)
    rows = TAU_TRAIN_ROWS + TAU_EVALUATE_ROWS + TAU_EXTRA_ROWS
    for i, row in enumerate(rows):
        write_wav(
            root / tau_filename(row), tone(clip_seconds, SAMPLE_RATE, 200 + 50 * i), SAMPLE_RATE, 24
        )
    _write_list(
        root / "meta.csv",
        "filename\tscene_label\tidentifier\tsource_label",
        [f"{tau_filename(r)}\t{r[0]}\t{r[1]}-{r[2]}\t{r[4]}" for r in rows],
    )
    setup = root / "evaluation_setup"
    os.makedirs(setup, exist_ok=True)
    for name, part in (
        ("fold1_train.csv", TAU_TRAIN_ROWS),
        ("fold1_evaluate.csv", TAU_EVALUATE_ROWS),
    ):
        _write_list(
            setup / name, "filename\tscene_label", [f"{tau_filename(r)}\t{r[0]}" for r in part]
        )
    _write_list(setup / "fold1_test.csv", "filename", [tau_filename(r) for r in TAU_EVALUATE_ROWS])
    return root


def _secl_recording(root, layout, class_index, recording, clip_seconds):
    """Writes the 7 microphone files of one recording; returns its list entry."""
    name = SECL_CLASSES[class_index]
    room = 1 + recording % 2
    folder = f"Unilabel/{name}" if layout == "flat" else f"Unilabel/room{room}/{name}"
    stem = f"room{room}_array_micro{{}}_{class_index + 1}_1_{recording + 1}.wav"
    for mic in range(SECL_MICROPHONES):
        write_wav(
            root / folder / stem.format(mic),
            tone(clip_seconds, SAMPLE_RATE, 300 + 100 * class_index + 10 * mic, seed=mic),
            SAMPLE_RATE,
            24,
        )
    if layout == "nested" and recording == 0:
        # Some official lists name the array, not a microphone, behind "./".
        return f"./{folder}/room{room}_array_{class_index + 1}_1_{recording + 1}.wav"
    return f"{folder}/{stem.format(0)}"


def write_fake_secl_umons(
    root: StrPath, layout: Literal["flat", "nested"] = "flat", clip_seconds: float = 0.25
) -> pathlib.Path:
    """Writes a fake SECL-UMONS unilabel tree.

    3 classes (:data:`SECL_CLASSES`) × 3 recordings (the third is the test
    one) × 7 microphone files ``room{r}_array_micro{m}_{class}_1_{rec}.wav``
    (44.1 kHz, 24-bit), and the lists ``unilabel_split1_{train,test}.csv``.

    Args:
        root: folder to create (the one that will hold the lists).
        layout: ``"flat"`` (``Unilabel/<class>/``, lists with a ``0``
            header) or ``"nested"`` (``Unilabel/room<r>/<class>/``, no
            header, one entry naming the array behind ``./``): the two forms
            found in the wild.
        clip_seconds: length of every file.

    Returns:
        ``root`` as a ``pathlib.Path``.

    Raises:
        ValueError: for another ``layout``.

    Examples:

    >>> import tempfile
    >>> from keras_specmix import datasets
    >>> root = write_fake_secl_umons(tempfile.mkdtemp() + "/SECL", "nested")
    >>> len(datasets.secl_umons_table(root, "test").labels)
    3
    """
    root = pathlib.Path(root)
    layout = _validation.check_choice("layout", layout, SECL_LAYOUTS)
    clip_seconds = _validation.check_float("clip_seconds", clip_seconds, 0.0, open_min=True)
    lists: dict[str, list[str]] = {"train": [], "test": []}
    for c in range(len(SECL_CLASSES)):
        for rec in range(3):
            entry = _secl_recording(root, layout, c, rec, clip_seconds)
            lists["test" if rec == 2 else "train"].append(entry)
    for split, entries in lists.items():
        path = root / f"unilabel_split1_{split}.csv"
        if layout == "flat":
            _write_list(path, "0", entries)
        else:
            path.write_text("".join(e + "\n" for e in entries))
    return root
