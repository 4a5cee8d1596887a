"""Banks of device impulse responses for ``keras_specmix.DeviceImpulseResponse``.

A bank is a float32 array ``(R, L)``: R responses at one sample rate,
zero-padded at the end to the longest, L samples. Three sources:

* :func:`load_impulse_responses`: your files (for example the MicIRP
  microphone responses the DIR paper used), every file libsndfile reads, in
  sorted path order, averaged to mono and resampled with libsoxr to the
  target rate, as the DIR code does with ``librosa.load(sr=..., mono=True)``;
* :func:`stack_impulse_responses`: arrays you already hold;
* :func:`synthetic_impulse_responses`: a **synthetic** bank generated in code
  from a seed, for tests and the embedded synthetic scenes. Its responses
  are minimum-phase filters (onset at sample 0, decaying) whose magnitude
  responses are drawn like the seen devices of
  :func:`~keras_specmix.datasets.synthetic_scenes` (band limits, a spectral
  tilt around 1 kHz, three peaking resonances), plus a faint decaying noise
  tail. They are not measurements of any microphone.
"""

import os
import reprlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from keras_specmix import _validation
from keras_specmix._typing import OnError
from keras_specmix._typing import StrPath
from keras_specmix.datasets import _synth_dsp as dsp
from keras_specmix.datasets import audio_io
from keras_specmix.datasets import folder as folder_lib

#: Default size of the synthetic bank.
SYNTHETIC_COUNT = 12
#: Length of each synthetic response in seconds (30 ms).
SYNTHETIC_DURATION = 0.03


def stack_impulse_responses(responses: ArrayLike | Sequence[ArrayLike]) -> np.ndarray:
    """A bank from arrays: one ``(R, L)`` array, or a list of 1-D responses.

    Shorter responses are zero-padded at the end (a response's samples are
    never moved: its sample 0 stays the onset).

    Args:
        responses: array-like ``(R, L)``, or a sequence of 1-D array-likes.

    Returns:
        float32 array ``(R, L)``.

    Raises:
        ValueError: on an empty bank, an empty or non-1-D response, a
            non-finite sample, or an all-zero response.

    Examples:
        >>> stack_impulse_responses([[1.0, 0.5], [0.25]]).tolist()
        [[1.0, 0.5], [0.25, 0.0]]
    """
    if not isinstance(responses, (list, tuple, np.ndarray)):
        _validation._fail(
            "responses", "a (R, L) array or a list of 1-D arrays", responses, TypeError
        )
    rows = list(responses)
    if not rows:
        _fail("a non-empty list of impulse responses", responses)
    arrays = []
    for i, row in enumerate(rows):
        h = np.asarray(row, dtype=np.float64)
        if h.ndim != 1 or h.size == 0:
            _fail(f"non-empty 1-D responses (response {i} has shape {h.shape})", responses)
        if not np.all(np.isfinite(h)):
            _fail(f"finite (response {i} holds NaN or inf)", responses)
        if not np.any(h):
            _fail(
                f"responses that are not all zeros (response {i} would silence the clips)",
                responses,
            )
        arrays.append(h)
    length = max(h.size for h in arrays)
    bank = np.zeros((len(arrays), length), np.float32)
    for i, h in enumerate(arrays):
        bank[i, : h.size] = h
    return bank


def _fail(requirement, responses):
    shown = repr(responses)
    if len(shown) > 200:
        shown = reprlib.repr(responses)
    raise ValueError(f"`responses` must be {requirement}. Received: responses={shown}")


def load_impulse_responses(
    path: StrPath | list[StrPath] | tuple[StrPath, ...],
    sample_rate: int,
    on_error: OnError = "raise",
) -> np.ndarray:
    """Reads a bank from audio files, resampled to ``sample_rate``.

    Args:
        path: a folder (every non-hidden file under it, recursively, in
            sorted path order, as ``from_directory`` lists them), one file, or
            a list of files.
        sample_rate: int, the rate of the waveforms the bank will be applied
            to (files at other rates are resampled with libsoxr).
        on_error: ``"raise"`` (default) on the first unreadable file, or
            ``"skip"`` to leave it out.

    Returns:
        float32 array ``(R, L)``: each file averaged to mono, zero-padded at
        the end to the longest.

    Raises:
        AudioFileError: naming a file that cannot be read (``on_error="raise"``).
        ValueError: when no file is left, or a response is all zeros.

    Examples:
        >>> import tempfile, soundfile
        >>> folder = tempfile.mkdtemp()
        >>> soundfile.write(folder + "/a.wav", np.array([1.0, 0.5, 0.0, 0.0]), 8000)
        >>> load_impulse_responses(folder, 8000).shape
        (1, 4)
    """
    sample_rate = _validation.check_int("sample_rate", sample_rate, minimum=1)
    if isinstance(path, (list, tuple)):
        paths = [os.fspath(p) for p in path]
    elif os.path.isdir(path):
        paths = folder_lib._list_files(os.fspath(path))
    else:
        paths = [os.fspath(path)]
    infos, _ = audio_io.scan_audio_files(
        paths, sample_rate, resample=True, channel="mean", on_error=on_error
    )
    if not infos:
        raise ValueError(f"No readable impulse response found. Received: path={path!r}")
    responses = [
        audio_io.load_audio(info.path, sample_rate=sample_rate, channel="mean")[:, 0]
        for info in infos
    ]
    return stack_impulse_responses(responses)


def synthetic_impulse_responses(
    sample_rate: int,
    num_responses: int = SYNTHETIC_COUNT,
    duration: float = SYNTHETIC_DURATION,
    seed: int = 0,
) -> np.ndarray:
    """A **synthetic** bank of device-like impulse responses (see the module docstring).

    Response ``i`` depends only on ``(seed, i)`` and the sample rate: the same
    arguments give the same bank on any machine, and a bank's first responses
    do not depend on ``num_responses``. Each has unit energy (``Σ h² = 1``:
    0 dB on white noise, on average over frequency).

    Args:
        sample_rate: int, samples per second.
        num_responses: int >= 1. Defaults to 12.
        duration: float > 0, each response's length in seconds. Defaults to 0.03.
        seed: int >= 0. Defaults to 0.

    Returns:
        float32 array ``(num_responses, round(duration · sample_rate))``.

    Examples:
        >>> bank = synthetic_impulse_responses(16000)
        >>> bank.shape, bool(np.allclose((bank.astype("float64") ** 2).sum(1), 1.0, atol=1e-5))
        ((12, 480), True)
        >>> int(np.argmax(np.abs(bank[0]))) < 20  # onset at the start
        True
    """
    sample_rate = _validation.check_int("sample_rate", sample_rate, minimum=1)
    num_responses = _validation.check_int("num_responses", num_responses, minimum=1)
    duration = _validation.check_float("duration", duration, 0.0, open_min=True)
    seed = _validation.check_int("seed", seed, minimum=0)
    length = max(1, int(round(duration * sample_rate)))
    bank = np.zeros((num_responses, length), np.float32)
    for i in range(num_responses):
        rng = np.random.default_rng([seed, i])
        device = dsp.draw_device(rng, "seen")
        h = _minimum_phase(
            lambda f, device=device: dsp.device_response(device, f), length, sample_rate
        )
        decay = np.exp(-np.arange(length) / (0.2 * length))
        h = h + 0.02 * np.abs(h).max() * rng.standard_normal(length) * decay
        h *= np.hanning(2 * length)[length:] ** 0.5  # fade to zero at the end
        bank[i] = h / np.sqrt(np.sum(h**2))
    return bank


def _minimum_phase(magnitude, length, sample_rate):
    """The minimum-phase response of ``magnitude(f)`` (homomorphic, real cepstrum)."""
    size = 1 << (8 * length - 1).bit_length()
    f = np.fft.rfftfreq(size, 1.0 / sample_rate)
    log_magnitude = np.log(np.maximum(magnitude(f), 1e-4))
    cepstrum = np.fft.irfft(log_magnitude, size)
    fold = np.zeros(size)
    fold[0] = 1.0
    fold[1 : size // 2] = 2.0
    fold[size // 2] = 1.0
    return np.fft.irfft(np.exp(np.fft.rfft(cepstrum * fold)), size)[:length]
