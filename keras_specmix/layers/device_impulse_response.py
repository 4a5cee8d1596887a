"""DeviceImpulseResponse layer: DIR augmentation (Morocutti et al., EUSIPCO 2023)."""

import os
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from numpy.typing import ArrayLike

from keras_specmix import _validation
from keras_specmix._typing import Domain
from keras_specmix._typing import Granularity
from keras_specmix.datasets import impulse_responses
from keras_specmix.features.config import FrontEndConfig
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.signal import SignalAugmentation
from keras_specmix.ops import _backend
from keras_specmix.ops import gain_noise
from keras_specmix.ops import impulse_response as ops
from keras_specmix.ops._backend import shape_of

ELIGIBLE = "eligible"
SYNTHETIC = "synthetic"
_BANK = "bank"


@keras.saving.register_keras_serializable(package="keras_specmix")
class DeviceImpulseResponse(SignalAugmentation):
    """Convolves examples with a device impulse response drawn from a bank (DIR).

    Per example, with probability ``prob``: an impulse response ``h`` drawn
    uniformly from the bank is applied. Examples with ``"eligible"`` False
    (for example every clip not recorded by the reference device ``a``,
    which already carries its device's response) are never changed, bit for
    bit. Labels pass through.

    * ``domain="waveform"``: ``scipy.signal.convolve(x, h, "full")[:T]``, as
      the DIR code does: the response's sample 0 lands on the clip's sample 0
      (no delay, no peak alignment, no gain normalisation) and the output
      keeps the clip's ``T`` samples (the tail past the end is dropped). One
      batched FFT; axis 1 is time, every channel gets the same response.
      With ``"lengths"``, padding is returned unchanged (the valid samples
      never depend on it: the convolution is causal).
    * ``domain="log"``, ``"db"``, ``"power"`` or ``"amplitude"``: the same
      responses as a gain per mel bin of the front end ``frontend`` (their
      power spectra smoothed by the STFT window and averaged over each mel
      filter: exact on average for stationary white input, see
      ``keras_specmix.ops.impulse_response.response_mel_gains_db``), added
      on log/dB features and multiplied on power/amplitude ones, like
      ``FilterAugment``. Cheap, and it can sit inside a model after the
      front end; it leaves out what the convolution does within a frame
      (the response's tail, the spread across frames at onsets).

    The bank (``responses``):

    * ``"synthetic"``: ``keras_specmix.datasets.impulse_responses
      .synthetic_impulse_responses(frontend.sample_rate)``: 12 device-like
      responses generated in code (not measurements), for tests and the
      embedded synthetic scenes;
    * an array ``(R, L)`` or a list of 1-D arrays at ``frontend.sample_rate``;
    * a folder, a file or a list of files of impulse responses (for example
      the MicIRP responses the DIR paper used): read, averaged to mono and
      resampled to ``frontend.sample_rate``
      (``keras_specmix.datasets.impulse_responses.load_impulse_responses``).

    The bank is a non-trainable weight, saved in ``.keras`` files and
    SavedModels (the responses ``(R, L)`` for waveforms, their mel gains
    ``(R, n_mels)`` for spectrograms); the config holds only its shape
    (``{"num_responses": R, "length": L}``) or ``"synthetic"``. A layer built
    from a shape-only config raises in training until its weights are
    loaded (``keras.saving.load_model``, ``load_weights``, ``set_weights``).

    The DIR recipe (device ``a`` only, ``p`` = 0.4 to 0.6) on waveforms::

        dir_layer = DeviceImpulseResponse("path/to/micirp", prob=0.4,
                                          frontend=FrontEndConfig(sample_rate=32000))
        ds = ds.map(lambda x, y, device: (
            dir_layer({"waveforms": x, "eligible": device == "a"})["waveforms"], y))

    References:
        Morocutti, Schmid, Koutini and Widmer, "Device-Robust Acoustic Scene
        Classification via Impulse Response Augmentation", EUSIPCO 2023.
        https://arxiv.org/abs/2305.07499 (code: github.com/theMoro/DIRAugmentation,
        ``DIRAugmentDataset``).

    Args:
        responses: the bank: ``"synthetic"``, an array-like, a path or a list
            of paths (see above). Defaults to ``"synthetic"``.
        prob: float in [0, 1], probability that an eligible example is
            convolved. Defaults to 0.4 (the DIR paper's and CP-JKU's).
        gate_granularity: ``"example"`` (each eligible example convolved
            with probability ``prob``) or ``"batch"`` (every eligible example
            of the batch, or none). Defaults to ``"example"``.
        domain: ``"waveform"``, ``"log"``, ``"db"``, ``"power"`` or
            ``"amplitude"``. Defaults to ``"waveform"``.
        frontend: a ``keras_specmix.features.FrontEndConfig`` or a dict of its
            fields: its ``sample_rate`` is the bank's; the spectrogram domains
            also use its ``n_fft``, ``n_mels``, ``fmin``, ``fmax`` and ``htk``.
            None is the library's default front end (44.1 kHz, FFT 2048, 128
            mels). Defaults to None.
        channels: None (every channel) or a list of channel indices to change
            in the spectrogram domains (``[0]`` for a log-mel + Δ + ΔΔ stack:
            a gain constant in time has no Δ). Must be None for waveforms.
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (a response per example) or
            ``"batch"`` (one response for the batch). Defaults to
            ``"example"``.
        **kwargs: base layer arguments (``data_format``, ``name``, ``dtype``).

    Input shape:
        Waveforms ``(batch, samples[, channels])`` or spectrograms ``(batch,
        time, n_mels[, channels])``; or a dict with it under ``"waveforms"``
        or ``"spectrograms"`` and optionally ``"eligible"`` (bool or int
        ``(batch,)``), ``"lengths"`` or ``"padding_mask"`` (other keys pass
        through).

    Output shape:
        Same as the input.

    Raises:
        ValueError: on an out-of-range argument, an empty or non-finite bank,
            ``channels`` with waveforms, or spectrograms whose frequency axis
            is not the front end's ``n_mels``.
        TypeError: on an argument of the wrong type.

    Examples:
        >>> import keras_specmix as ks
        >>> from keras_specmix.features import FrontEndConfig
        >>> layer = ks.DeviceImpulseResponse(
        ...     prob=1.0, frontend=FrontEndConfig(sample_rate=16000), seed=0)
        >>> x = tf.random.stateless_normal([3, 16000], seed=[0, 1])
        >>> out = layer({"waveforms": x, "eligible": tf.constant([True, False, True])})
        >>> bool(tf.reduce_all(out["waveforms"][1] == x[1]))  # not eligible: untouched
        True
        >>> bool(tf.reduce_any(out["waveforms"][0] != x[0]))
        True

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self,
        responses: str | os.PathLike | Sequence[str | os.PathLike] | ArrayLike = SYNTHETIC,
        prob: float = 0.4,
        domain: Domain = gain_noise.WAVEFORM,
        frontend: FrontEndConfig | Mapping[str, Any] | None = None,
        channels: Sequence[int] | None = None,
        gate_granularity: Granularity = "example",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._set_gate(prob, gate_granularity)
        self.domain = _validation.check_choice("domain", domain, set(gain_noise.DOMAINS))
        self.frontend = _check_frontend(frontend)
        self.channels = gain_noise.check_channels(channels)
        if self.channels is not None and self.domain == gain_noise.WAVEFORM:
            raise ValueError(
                "`channels` selects spectrogram channels; a waveform's channels all get the "
                f"example's response. Pass channels=None. Received: channels={channels!r}"
            )
        self._synthetic = isinstance(responses, str) and responses == SYNTHETIC
        bank, self._bank_loaded = _resolve_bank(responses, self.frontend.sample_rate)
        self.num_responses, self.response_length = bank.shape
        if self.domain == gain_noise.WAVEFORM:
            values = bank
        elif self._bank_loaded:
            values = ops.response_mel_gains_db(bank, self.frontend)
        else:
            values = np.zeros((self.num_responses, self.frontend.n_mels), np.float32)
        self._bank = self.add_weight(
            shape=values.shape,
            dtype="float32",
            initializer=lambda shape, dtype=None, values=values: keras.ops.convert_to_tensor(
                values, "float32"
            ),
            trainable=False,
            autocast=False,
            name=_BANK,
        )

    @property
    def accepts_waveforms(self):
        return self.domain == gain_noise.WAVEFORM

    @property
    def bank(self) -> Any:
        """The stored bank: responses ``(R, L)`` (waveforms) or gains in dB ``(R, n_mels)``."""
        return self._bank

    def sample_params(self, data, seed):
        self._check_loaded()
        return ops.sample_impulse_response_params(
            seed,
            shape_of(data[SPECTROGRAMS])[0],
            self.num_responses,
            self.prob,
            **self.granularities(),
        )

    def transform(self, data, params):
        self._check_loaded()
        x = data[SPECTROGRAMS]
        bank = self._bank_on(_backend.namespace(x))
        eligible = data.get(ELIGIBLE)
        if self.domain == gain_noise.WAVEFORM:
            out = ops.convolve_responses(x, bank, params, eligible, self.lengths(data))
        else:
            out = ops.apply_response_gains(
                x, bank, params, self.domain, eligible, self.channels, self.lengths(data)
            )
        return {**data, SPECTROGRAMS: out}

    def _bank_on(self, xp):
        """The bank as a tensor of ``xp``'s backend (inside tf.data: TensorFlow)."""
        if xp.name == keras.backend.backend():
            return self._bank.value
        return xp.convert_to_tensor(keras.ops.convert_to_numpy(self._bank.value))

    def _check_loaded(self):
        if not self._bank_loaded:
            raise ValueError(
                f"{type(self).__name__} `{self.name}` was built from a config that holds only "
                f"its bank's shape ({self.num_responses} responses): load its weights "
                "(keras.saving.load_model, model.load_weights or layer.set_weights) before "
                "training, or build it with `responses=`."
            )

    def load_own_variables(self, store):
        super().load_own_variables(store)  # the bank and both seed streams
        self._bank_loaded = True

    def set_weights(self, weights):
        super().set_weights(weights)
        self._bank_loaded = True

    def get_config(self):
        config = super().get_config()
        responses = (
            SYNTHETIC
            if self._synthetic
            else {"num_responses": self.num_responses, "length": self.response_length}
        )
        config.update(
            responses=responses,
            prob=self.prob,
            domain=self.domain,
            frontend=self.frontend.to_dict(),
            channels=None if self.channels is None else list(self.channels),
        )
        return config


def _check_frontend(frontend):
    if frontend is None:
        return FrontEndConfig()
    if isinstance(frontend, FrontEndConfig):
        return frontend
    if isinstance(frontend, dict):
        return FrontEndConfig(**frontend)
    _validation._fail(
        "frontend", "a FrontEndConfig, a dict of its fields or None", frontend, TypeError
    )


def _resolve_bank(responses, sample_rate):
    """``(bank (R, L) float32, loaded)`` from the ``responses`` argument."""
    if isinstance(responses, str) and responses == SYNTHETIC:
        return impulse_responses.synthetic_impulse_responses(sample_rate), True
    if isinstance(responses, dict):
        if set(responses) != {"num_responses", "length"}:
            _validation._fail(
                "responses",
                "'synthetic', an array, a path, or a shape {'num_responses': R, 'length': L}",
                responses,
            )
        count = _validation.check_int("num_responses", responses["num_responses"], minimum=1)
        length = _validation.check_int("length", responses["length"], minimum=1)
        return np.zeros((count, length), np.float32), False
    if isinstance(responses, (str, os.PathLike)) or (
        isinstance(responses, (list, tuple))
        and responses
        and all(isinstance(p, (str, os.PathLike)) for p in responses)
    ):
        return impulse_responses.load_impulse_responses(responses, sample_rate), True
    return impulse_responses.stack_impulse_responses(responses), True
