"""Front-end settings: one frozen dataclass shared by the features and the cache."""

import dataclasses
import hashlib
import json
from typing import Any

from keras_specmix import _validation


@dataclasses.dataclass(frozen=True)
class FrontEndConfig:
    """Settings of the waveform -> log-mel (+ Δ, ΔΔ) front end.

    The defaults are the SpecMix paper's (the author's `librosa` call):
    44.1 kHz, FFT 2048, hop 1024, 128 HTK mel bands from 0 Hz to sr/2 with no
    filter normalisation, power spectrogram, ``log(x + 1e-8)``, and Δ/ΔΔ
    stacked as 3 channels.

    Args:
        sample_rate: sampling rate of the waveforms in Hz. Defaults to 44100.
        n_fft: FFT size and Hann window length in samples. Defaults to 2048.
        hop_length: hop between frames in samples. Defaults to 1024.
        n_mels: number of mel bands (the ``freq`` axis). Defaults to 128.
        fmin: lowest mel edge in Hz. Defaults to 0.
        fmax: highest mel edge in Hz, or None for ``sample_rate / 2``.
        htk: HTK mel scale (True, the paper) or Slaney's (False).
        log_offset: the ``eps`` of ``log(x + eps)``. Defaults to 1e-8.
        center: pad ``n_fft // 2`` zeros on both sides before framing, as
            librosa's ``center=True, pad_mode="constant"``. Defaults to True.
        deltas: stack Δ and ΔΔ (5-point regression) as channels 2 and 3,
            trimming 4 frames at each end as the author's code does; else one
            channel. Defaults to True.

    Raises:
        ValueError, TypeError: on an invalid setting, naming it.

    Examples:

    >>> cfg = FrontEndConfig()
    >>> cfg.output_shape(441000)  # 10 s at 44.1 kHz
    (423, 128, 3)
    """

    sample_rate: int = 44100
    n_fft: int = 2048
    hop_length: int = 1024
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None
    htk: bool = True
    log_offset: float = 1e-8
    center: bool = True
    deltas: bool = True

    def __post_init__(self):
        _validation.check_int("sample_rate", self.sample_rate, minimum=1)
        _validation.check_int("n_fft", self.n_fft, minimum=2)
        _validation.check_int("hop_length", self.hop_length, minimum=1)
        _validation.check_int("n_mels", self.n_mels, minimum=1)
        nyquist = self.sample_rate / 2
        fmin = _validation.check_float("fmin", self.fmin, 0.0, nyquist)
        if self.fmax is not None:
            fmax = _validation.check_float("fmax", self.fmax, fmin, nyquist, open_min=True)
            object.__setattr__(self, "fmax", fmax)
        _validation.check_float("log_offset", self.log_offset, 0.0, open_min=True)
        for name in ("htk", "center", "deltas"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(
                    f"`{name}` must be a bool. Received: {name}={getattr(self, name)!r}"
                )
        object.__setattr__(self, "fmin", fmin)

    @property
    def fmax_hz(self) -> float:
        """The highest mel edge in Hz (``sample_rate / 2`` when fmax is None)."""
        return self.sample_rate / 2 if self.fmax is None else self.fmax

    @property
    def channels(self) -> int:
        """Number of output channels: 3 with Δ/ΔΔ, else 1."""
        return 3 if self.deltas else 1

    def num_frames(self, num_samples: int) -> int:
        """Frames of the log-mel (before Δ trimming) for ``num_samples``."""
        if self.center:
            return 1 + num_samples // self.hop_length
        return max(0, 1 + (num_samples - self.n_fft) // self.hop_length)

    def output_shape(self, num_samples: int) -> tuple[int, int, int]:
        """``(time, n_mels, channels)`` of the features of one clip."""
        frames = self.num_frames(num_samples) - (8 if self.deltas else 0)
        return (frames, self.n_mels, self.channels)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (JSON-serialisable)."""
        return dataclasses.asdict(self)

    def cache_key(self) -> str:
        """A short stable hash of the settings, used to key feature caches."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


PAPER = FrontEndConfig()
"""The SpecMix paper's front end (all defaults)."""
