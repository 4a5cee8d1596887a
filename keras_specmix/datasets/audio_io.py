"""Audio files: header inspection and decoding with libsndfile, resampling with libsoxr.

Headers are read with libsndfile (``soundfile.info``) before a dataset is
built, so a missing, unreadable, empty, truncated, corrupt, zero-length or
wrong-rate file raises :class:`AudioFileError` naming the file, or is skipped
and listed when the caller passes ``on_error="skip"``. Decoding
(``soundfile``), channel selection and resampling (``soxr``) run in NumPy,
wrapped for ``tf.data`` by ``tf.numpy_function``: libsndfile and libsoxr are
called through cffi, which releases the GIL, so parallel ``map`` calls decode
in parallel. Every format libsndfile reads is accepted; with libsndfile >= 1.1
that includes WAV (8/16/24/32-bit integer, 32/64-bit float,
WAVE_FORMAT_EXTENSIBLE), FLAC, AIFF, OGG Vorbis, Opus and MP3
(:func:`readable_formats` lists what the installed libsndfile reads).
Both come with the ``audio`` extra and are imported at first use
(``import keras_specmix`` never needs them; soxr only when a file's rate
differs from the requested one, checked by :func:`scan_audio_files` before a
dataset is built); without them a call raises
:class:`~keras_specmix._optional.MissingDependencyError` naming the extra.
tensorflow-io is not needed.
"""

import collections
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from keras_specmix import _optional
from keras_specmix import _validation
from keras_specmix._typing import Channel
from keras_specmix._typing import OnError
from keras_specmix._typing import StrPath

AudioInfo = collections.namedtuple(
    "AudioInfo",
    ["path", "format", "sample_rate", "channels", "bits", "num_frames", "encoding"],
)
AudioInfo.__doc__ = """What a file's header says, as read by libsndfile (:func:`inspect_audio`).

Args:
    path: the file's path.
    format: the container, lower case: 'wav', 'wavex', 'flac', 'aiff', 'ogg',
        'mp3', ...
    sample_rate: samples per second (Hz).
    channels: the number of channels.
    bits: bits per sample, or None for compressed encodings.
    num_frames: the length in frames (samples per channel).
    encoding: libsndfile's subtype: 'PCM_16', 'FLOAT', 'VORBIS', ...

Examples:
    >>> import os, tempfile
    >>> from keras_specmix.datasets import write_wav
    >>> path = write_wav(os.path.join(tempfile.mkdtemp(), "a.wav"), np.zeros([800, 2]),
    ...                  16000, bits=16)
    >>> info = inspect_audio(path)
    >>> info.format, info.sample_rate, info.channels, info.bits, info.num_frames
    ('wav', 16000, 2, 16, 800)
"""

RESAMPLE_QUALITY = "HQ"
"""libsoxr quality preset used by :func:`load_audio` (see docs/datasets.md)."""

_BITS = {
    "PCM_S8": 8,
    "PCM_U8": 8,
    "PCM_16": 16,
    "PCM_24": 24,
    "PCM_32": 32,
    "FLOAT": 32,
    "DOUBLE": 64,
}
# Frames read past a crop before resampling, so the resampler's filter sees
# real signal at the crop's end (libsoxr HQ needs far fewer than this).
_RESAMPLE_MARGIN = 256
SKIP_HINT = "on_error='skip' skips unreadable files and lists them in the split's `skipped`"


class AudioFileError(ValueError):
    """An audio file that cannot be used; the message names the file.

    Examples:
        >>> try:
        ...     inspect_audio("no_such_file.wav")
        ... except AudioFileError as error:
        ...     print(isinstance(error, ValueError), "no_such_file.wav" in str(error))
        True True
    """


class SkippedFilesWarning(UserWarning):
    """Unreadable files were skipped (``on_error="skip"``); the message lists them.

    Filter it by category (``warnings.simplefilter("ignore",
    SkippedFilesWarning)``) where the skipped files are reported otherwise:
    they are also listed in the loader's ``LoadedSplit.skipped``.

    Examples:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warnings.warn("Skipped 1 unreadable file(s)", SkippedFilesWarning)
        >>> caught[0].category.__name__
        'SkippedFilesWarning'
    """


def _soundfile():
    return _optional.require("soundfile", "Reading audio files")


def _soxr(why="Resampling audio"):
    return _optional.require("soxr", why)


def decoder_id(resampling: bool = True) -> str:
    """Identifies the decoder and resampler versions (part of feature-cache keys).

    Args:
        resampling: whether some file is resampled; without, libsoxr plays
            no part in the features and is neither named nor needed.

    Returns:
        str, e.g. ``"libsndfile 1.2.2, soxr 1.1.0 HQ"`` (``"libsndfile 1.2.2"``
        with ``resampling=False``).

    Raises:
        MissingDependencyError: (an ``ImportError``) soundfile, or soxr when
            ``resampling``, is not installed.
    """
    text = f"libsndfile {_soundfile().__libsndfile_version__}"
    if resampling:
        text += f", soxr {_soxr().__version__} {RESAMPLE_QUALITY}"
    return text


def readable_formats() -> dict[str, str]:
    """Container formats the installed libsndfile reads.

    Returns:
        dict ``{name: description}``, e.g. ``{"WAV": "WAV (Microsoft)", ...}``.

    Examples:

    >>> "FLAC" in readable_formats()
    True
    """
    return dict(_soundfile().available_formats())


def _fail(path, reason):
    raise AudioFileError(f"Cannot read audio file {os.fspath(path)!r}: {reason}")


def _libsndfile_reason(error):
    return getattr(error, "error_string", None) or str(error)


def _truncation(extra_info):
    """libsndfile's log line saying a data chunk is shorter than its header, or None."""
    for line in extra_info.splitlines():
        chunk = line.split(":", 1)[0].strip()
        if chunk in ("data", "SSND") and "should be" in line:
            return line.strip()
    return None


def inspect_audio(path: StrPath | bytes) -> AudioInfo:
    """Reads an audio file's header with libsndfile, without decoding the audio.

    Args:
        path: path of an audio file in any format libsndfile reads (the
            format is recognised from the content, not the extension).

    Returns:
        An :class:`AudioInfo`.

    Raises:
        AudioFileError: (a ``ValueError``) naming the file if it is missing,
            not readable by this user, empty, truncated, not an audio format
            libsndfile reads, or holds no audio frames.

    Examples:

    >>> import tempfile, numpy as np, soundfile
    >>> path = tempfile.mkdtemp() + "/x.flac"
    >>> soundfile.write(path, np.zeros(800), 16000, subtype="PCM_24")
    >>> inspect_audio(path)[1:]
    ('flac', 16000, 1, 24, 800, 'PCM_24')
    """
    soundfile = _soundfile()
    path = os.fspath(path)
    if os.path.isdir(path):
        _fail(path, "a folder, not a file")
    if not os.path.isfile(path):
        _fail(path, "no such file")
    try:
        open(path, "rb").close()  # noqa: SIM115 (a probe, with effective ids)
    except PermissionError:
        _fail(path, "permission denied (the file is not readable by this user)")
    if os.path.getsize(path) == 0:
        _fail(path, "the file is empty (0 bytes)")
    try:
        info = soundfile.info(path)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        _fail(
            path,
            "not an audio file libsndfile can read (libsndfile: "
            f"{_libsndfile_reason(error)}; extension "
            f"{os.path.splitext(path)[1] or 'none'!r})",
        )
    truncated = _truncation(info.extra_info)
    if truncated:
        _fail(
            path,
            f"truncated: the header declares more audio than the file holds "
            f"(libsndfile: {truncated!r})",
        )
    if info.frames <= 0:
        _fail(path, "the file holds no audio frames")
    if info.samplerate < 1 or info.channels < 1:
        _fail(path, f"invalid header ({info.channels} channels, {info.samplerate} Hz)")
    return AudioInfo(
        path,
        info.format.lower(),
        int(info.samplerate),
        int(info.channels),
        _BITS.get(info.subtype),
        int(info.frames),
        info.subtype,
    )


def scan_audio_files(
    paths: Sequence[StrPath],
    sample_rate: int | None = None,
    resample: bool = False,
    channel: Channel = 0,
    on_error: OnError = "raise",
) -> tuple[list[AudioInfo], list[tuple[str, str]]]:
    """Checks every file's header before any decoding.

    Args:
        paths: sequence of file paths.
        sample_rate: the rate the pipeline expects, or None to accept any.
        resample: whether another rate is allowed (it will be resampled).
        channel: the channel the pipeline will read (int), or "mean"/"all".
        on_error: "raise" (default) to raise on the first bad file, or "skip"
            to drop bad files and report them.

    Returns:
        ``(infos, skipped)``: the :class:`AudioInfo` of each kept file, in
        order, and a list of ``(path, reason)`` for the skipped ones.

    Raises:
        AudioFileError: naming the file and the ``on_error`` option, for the
            first bad file when ``on_error="raise"``.
        MissingDependencyError: (an ``ImportError``) soundfile is not
            installed, or soxr is not and a file needs resampling (its rate
            differs from ``sample_rate`` and ``resample`` is True): raised
            here, before a dataset that would fail while iterating is built.
    """
    _validation.check_choice("on_error", on_error, ("raise", "skip"))
    infos, skipped = [], []
    for path in paths:
        try:
            info = inspect_audio(path)
            if sample_rate is not None and info.sample_rate != sample_rate and not resample:
                _fail(
                    path,
                    f"sample rate {info.sample_rate} Hz, expected "
                    f"{sample_rate} Hz (pass resample=True to resample)",
                )
            if isinstance(channel, int) and channel >= info.channels:
                _fail(
                    path, f"channel {channel} requested but the file has {info.channels} channel(s)"
                )
            if sample_rate is not None and info.sample_rate != sample_rate:
                _soxr(f"Resampling {info.path!r} ({info.sample_rate} Hz) to {sample_rate} Hz")
        except AudioFileError as error:
            if on_error == "raise":
                raise AudioFileError(f"{error} ({SKIP_HINT})") from None
            skipped.append((os.fspath(path), str(error)))
            continue
        infos.append(info)
    return infos, skipped


def _select_channels(audio, channel):
    if channel == "mean":
        return audio.mean(axis=1, keepdims=True) if audio.shape[1] > 1 else audio
    if channel == "all":
        return audio
    return audio[:, channel : channel + 1]


def load_audio(
    path: StrPath | bytes,
    sample_rate: int | None = None,
    channel: Channel = "all",
    num_samples: int | None = None,
) -> np.ndarray:
    """Decodes, selects channels, resamples and crops/pads one file (NumPy).

    Args:
        path: the file (str, bytes or path-like), any format libsndfile reads.
        sample_rate: output rate in Hz; the file is resampled with libsoxr
            (quality :data:`RESAMPLE_QUALITY`) when its rate differs. None
            keeps the file's rate.
        channel: an int (keep that channel), "mean" (average to mono) or
            "all" (keep every channel).
        num_samples: crop (keeping the start) or zero-pad to this many output
            samples; None keeps the whole file. Only the frames needed are
            decoded.

    Returns:
        float32 array ``(samples, channels)`` in [-1, 1] (integer PCM is
        scaled by 2^(bits-1)); ``channels`` is 1 unless ``channel="all"``.

    Raises:
        AudioFileError: naming the file if libsndfile cannot decode it
            (e.g. corrupt compressed frames, found only while decoding), it
            holds NaN or inf samples, or the requested channel does not exist.
        MissingDependencyError: (an ``ImportError``) soundfile is not
            installed, or soxr is not and the file needs resampling.

    Examples:

    >>> import tempfile, numpy as np, soundfile
    >>> path = tempfile.mkdtemp() + "/x.wav"
    >>> soundfile.write(path, np.zeros((4800, 2)), 48000)
    >>> load_audio(path, sample_rate=16000, channel="mean").shape
    (1600, 1)
    """
    soundfile = _soundfile()
    path = os.fsdecode(path)
    channel = check_channel(channel)
    try:
        with soundfile.SoundFile(path) as f:
            rate, frames = f.samplerate, -1
            if num_samples is not None:
                frames = (
                    num_samples
                    if sample_rate in (None, rate)
                    else math.ceil(num_samples * rate / sample_rate) + _RESAMPLE_MARGIN
                )
            if isinstance(channel, int) and channel >= f.channels:
                _fail(path, f"channel {channel} requested but the file has {f.channels} channel(s)")
            audio = f.read(frames, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        _fail(path, f"libsndfile cannot decode it ({_libsndfile_reason(error)})")
    if not np.isfinite(audio).all():
        _fail(
            path,
            f"{int(np.size(audio) - np.isfinite(audio).sum())} non-finite "
            "samples (NaN or inf) in a float-encoded file",
        )
    audio = _select_channels(audio, channel)
    if sample_rate is not None and rate != sample_rate and len(audio):
        audio = _soxr().resample(audio, rate, sample_rate, quality=RESAMPLE_QUALITY)
    if num_samples is not None:
        audio = audio[:num_samples]
        if len(audio) < num_samples:
            audio = np.pad(audio, [(0, num_samples - len(audio)), (0, 0)])
    return np.ascontiguousarray(audio, np.float32)


def decode_audio(
    path: tf.Tensor,
    sample_rate: int | None = None,
    channel: Channel = "all",
    num_channels: int | None = None,
    num_samples: int | None = None,
) -> tf.Tensor:
    """:func:`load_audio` as a TensorFlow op, for ``tf.data.Dataset.map``.

    Runs through ``tf.numpy_function`` (not serialisable into a SavedModel;
    use it in input pipelines). libsndfile and libsoxr release the GIL, so
    ``num_parallel_calls > 1`` decodes files in parallel. Checks no file:
    run :func:`scan_audio_files` first, so that a bad file, or a missing
    soxr for a file that needs resampling, is reported before iterating
    rather than inside ``tf.data``'s error.

    Args:
        path: scalar string tensor.
        sample_rate, channel, num_samples: as in :func:`load_audio`.
        num_channels: the files' channel count, needed for a static shape
            with ``channel="all"`` (None: unknown).

    Returns:
        float32 tensor ``(samples, channels)``; ``samples`` is static when
        ``num_samples`` is given, ``channels`` is 1 unless ``channel="all"``.

    Examples:

    >>> import tempfile, numpy as np, soundfile
    >>> path = tempfile.mkdtemp() + "/x.ogg"
    >>> soundfile.write(path, np.zeros((4410, 2)), 44100)
    >>> ds = tf.data.Dataset.from_tensor_slices([path]).map(
    ...     lambda p: decode_audio(p, 16000, "mean", num_samples=1600))
    >>> ds.element_spec.shape
    TensorShape([1600, 1])
    """
    channel = check_channel(channel)

    def load(p):
        return load_audio(p, sample_rate, channel, num_samples)

    audio = tf.numpy_function(load, [path], tf.float32, stateful=False)
    audio.set_shape([num_samples, num_channels if channel == "all" else 1])
    return audio


def check_channel(channel: Any) -> Channel:
    """Validates a ``channel`` argument: an int >= 0, "mean" or "all"."""
    if isinstance(channel, str):
        return _validation.check_choice("channel", channel, ("mean", "all"))
    return _validation.check_int("channel", channel, minimum=0)
