"""Audio files: header inspection (pure Python) and decoding in `tf.data`.

Headers of WAV (integer PCM 16/24-bit, incl. WAVE_FORMAT_EXTENSIBLE) and FLAC files
are read in Python before a dataset is built, so an empty, truncated, corrupt,
or wrong-rate file raises :class:`AudioFileError` naming the file, or is
skipped and counted when the caller passes ``on_error="skip"``. Decoding runs in
graph mode with tensorflow-io (imported lazily: ``import keras_specmix`` never
needs it); core TF's ``tf.audio.decode_wav`` cannot read 24-bit audio.
"""

import collections
import os
import struct

import tensorflow as tf

from keras_specmix import _validation

AudioInfo = collections.namedtuple(
    "AudioInfo", ["path", "format", "sample_rate", "channels", "bits", "num_frames"]
)
AudioInfo.__doc__ = """What a file's header says: format ('wav' or 'flac'),
sample rate (Hz), channels, bits per sample and length in frames."""

_FORMATS = ("wav", "flac")
_WAVE_PCM = 1
_WAVE_EXTENSIBLE = 0xFFFE


class AudioFileError(ValueError):
    """An audio file that cannot be used; the message names the file."""


def _tfio():
    try:
        import tensorflow_io as tfio  # noqa: PLC0415 (lazy by design)
    except Exception as error:  # ImportError or a native-op load failure
        raise ImportError(
            "Decoding audio files needs tensorflow-io (24-bit WAV and FLAC "
            "support), which works with TensorFlow 2.17: "
            "`pip install tensorflow-io==0.37.1` (or "
            "`pip install keras_specmix[audio]`). "
            f"Import failed with: {error}"
        ) from error
    return tfio


def _fail(path, reason):
    raise AudioFileError(f"Cannot read audio file {os.fspath(path)!r}: {reason}")


def _inspect_wav(path, data, size):
    if data[8:12] != b"WAVE":
        _fail(path, "RIFF file that is not WAVE")
    pos, fmt, data_bytes = 12, None, None
    with open(path, "rb") as f:
        while pos + 8 <= size:
            f.seek(pos)
            header = f.read(8)
            chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk_id == b"fmt ":
                body = f.read(min(chunk_size, 40))
                if len(body) < 16:
                    _fail(path, "truncated 'fmt ' chunk")
                tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
                if tag == _WAVE_EXTENSIBLE and len(body) >= 26:
                    tag = struct.unpack("<H", body[24:26])[0]
                fmt = (tag, channels, rate, bits)
            elif chunk_id == b"data":
                data_bytes = min(chunk_size, size - pos - 8)
                if chunk_size > size - pos - 8:
                    _fail(
                        path,
                        f"truncated: the data chunk declares {chunk_size} bytes "
                        f"but the file holds {size - pos - 8}",
                    )
                break
            pos += 8 + chunk_size + (chunk_size & 1)
    if fmt is None:
        _fail(path, "no 'fmt ' chunk")
    if data_bytes is None:
        _fail(path, "no 'data' chunk")
    tag, channels, rate, bits = fmt
    if tag != _WAVE_PCM or bits not in (16, 24):
        _fail(path, f"unsupported WAV encoding (format tag {tag}, {bits} bits); "
              "16- and 24-bit integer PCM are supported")
    if channels < 1 or rate < 1:
        _fail(path, f"invalid header ({channels} channels, {rate} Hz)")
    return AudioInfo(os.fspath(path), "wav", rate, channels, bits,
                     data_bytes // (channels * bits // 8))


def _inspect_flac(path, data):
    if len(data) < 42 or data[4] & 0x7F != 0:
        _fail(path, "FLAC without a STREAMINFO block")
    info = data[8:42]
    packed = int.from_bytes(info[10:18], "big")
    rate = packed >> 44
    channels = ((packed >> 41) & 0x7) + 1
    bits = ((packed >> 36) & 0x1F) + 1
    frames = packed & ((1 << 36) - 1)
    if rate < 1 or bits not in (16, 24):
        _fail(path, f"unsupported FLAC stream ({rate} Hz, {bits} bits)")
    return AudioInfo(os.fspath(path), "flac", rate, channels, bits, frames)


def inspect_audio(path):
    """Reads a WAV or FLAC header, without decoding the audio.

    Args:
        path: path of a ``.wav`` or ``.flac`` file.

    Returns:
        An :class:`AudioInfo`.

    Raises:
        AudioFileError: (a ``ValueError``) naming the file if it is missing,
            empty, truncated, not WAV/FLAC, in an unsupported encoding, or
            holds no audio frames.

    Examples:

    >>> inspect_audio("clip.wav")  # doctest: +SKIP
    AudioInfo(path='clip.wav', format='wav', sample_rate=44100, channels=1,
              bits=24, num_frames=441000)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        _fail(path, "no such file")
    size = os.path.getsize(path)
    if size == 0:
        _fail(path, "the file is empty (0 bytes)")
    with open(path, "rb") as f:
        data = f.read(64)
    if data[:4] == b"RIFF" and len(data) >= 12:
        info = _inspect_wav(path, data, size)
    elif data[:4] == b"fLaC":
        info = _inspect_flac(path, data)
    else:
        _fail(path, "not a WAV (RIFF) or FLAC file")
    if info.num_frames == 0:
        _fail(path, "the file holds no audio frames")
    return info


def scan_audio_files(paths, sample_rate=None, resample=False, channel=0,
                     on_error="raise"):
    """Checks every file's header before any decoding.

    Args:
        paths: sequence of file paths.
        sample_rate: the rate the pipeline expects, or None to accept any.
        resample: whether another rate is allowed (it will be resampled).
        channel: the channel the pipeline will read (int), or "mean"/"all".
        on_error: "raise" (default) to raise on the first bad file, or "skip"
            to drop bad files and report them.

    Returns:
        ``(infos, skipped)``: the :class:`AudioInfo` of each kept file and a
        list of ``(path, reason)`` for the skipped ones. ``infos[i]`` belongs
        to ``kept_indices``: use ``[i.path for i in infos]``.

    Raises:
        AudioFileError: naming the file, for the first bad file when
            ``on_error="raise"``.
    """
    _validation.check_choice("on_error", on_error, ("raise", "skip"))
    infos, skipped = [], []
    for path in paths:
        try:
            info = inspect_audio(path)
            if sample_rate is not None and info.sample_rate != sample_rate and not resample:
                _fail(path, f"sample rate {info.sample_rate} Hz, expected "
                      f"{sample_rate} Hz (pass resample=True to resample)")
            if isinstance(channel, int) and channel >= info.channels:
                _fail(path, f"channel {channel} requested but the file has "
                      f"{info.channels} channel(s)")
        except AudioFileError as error:
            if on_error == "raise":
                raise
            skipped.append((os.fspath(path), str(error)))
            continue
        infos.append(info)
    return infos, skipped


def decode_audio(path, file_format, bits, num_frames):
    """Decodes one file to float32 in [-1, 1), in graph mode.

    Args:
        path: scalar string tensor.
        file_format: scalar int tensor, 0 for WAV and 1 for FLAC.
        bits: scalar int tensor, bits per sample (16 or 24).
        num_frames: scalar int tensor, the frame count from the header; a
            decoded length that differs raises an error naming the file.

    Returns:
        float32 tensor ``(frames, channels)``.
    """
    tfio = _tfio()
    contents = tf.io.read_file(path)

    def _decode(fn, dtype, scale):
        return lambda: tf.cast(fn(contents, dtype=dtype), tf.float32) / scale

    branch = tf.cast(file_format, tf.int32) * 2 + tf.cast(bits > 16, tf.int32)
    audio = tf.switch_case(
        branch,
        [
            _decode(tfio.audio.decode_wav, tf.int16, 2.0**15),
            _decode(tfio.audio.decode_wav, tf.int32, 2.0**31),
            _decode(tfio.audio.decode_flac, tf.int16, 2.0**15),
            _decode(tfio.audio.decode_flac, tf.int32, 2.0**31),
        ],
    )
    audio.set_shape([None, None])
    decoded = tf.cast(tf.shape(audio)[0], tf.int64)
    check = tf.debugging.Assert(
        tf.equal(decoded, tf.cast(num_frames, tf.int64)),
        ["Decoded length differs from the header (corrupt audio file?):", path,
         "decoded frames:", decoded, "header frames:", num_frames],
    )
    with tf.control_dependencies([check]):
        return tf.identity(audio)


def select_channels(audio, channel):
    """Keeps the requested channel(s) of ``(frames, channels)`` audio.

    Args:
        audio: float tensor ``(frames, channels)``.
        channel: an int (keep that channel), "mean" (average to mono) or
            "all" (keep every channel).

    Returns:
        float tensor ``(frames, 1)``, or ``(frames, channels)`` for "all".
    """
    if channel == "mean":
        return tf.reduce_mean(audio, axis=1, keepdims=True)
    if channel == "all":
        return audio
    # A slice of an unknown-size axis has an unknown static size; state the 1
    # (the models' input layers need a defined channel axis).
    selected = audio[:, channel : channel + 1]
    selected.set_shape([audio.shape[0], 1])
    return selected


def resample(audio, rate_in, rate_out):
    """Resamples ``(frames, channels)`` audio with tensorflow-io (graph op).

    ``rate_in`` and ``rate_out`` are Python ints.
    """
    if rate_in == rate_out:
        return audio
    out = _tfio().audio.resample(audio, rate_in=int(rate_in), rate_out=int(rate_out))
    out.set_shape([None, audio.shape[-1]])
    return out


def fix_length(waveform, num_samples):
    """Crops (the start is kept) or zero-pads ``(..., samples)`` to a length."""
    waveform = waveform[..., :num_samples]
    pad = num_samples - tf.shape(waveform)[-1]
    paddings = [[0, 0]] * (waveform.shape.rank - 1) + [[0, pad]]
    return tf.pad(waveform, paddings)


def check_channel(channel):
    """Validates a ``channel`` argument: an int >= 0, "mean" or "all"."""
    if isinstance(channel, str):
        return _validation.check_choice("channel", channel, ("mean", "all"))
    return _validation.check_int("channel", channel, minimum=0)
