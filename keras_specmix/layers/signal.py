"""Base of the layers that take waveforms as well as spectrograms."""

from keras_specmix._keys import WAVEFORMS
from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.base import SpectrogramAugmentation
from keras_specmix.ops import _backend


class SignalAugmentation(SpectrogramAugmentation):
    """Base of ``TimeRoll``, ``RandomGain``, ``AddNoise`` and ``DeviceImpulseResponse``.

    Adds two things to ``SpectrogramAugmentation``:

    * a dict input may carry its tensor under ``"waveforms"`` instead of
      ``"spectrograms"`` (not both); the output dict uses the same key;
    * where ``accepts_waveforms`` is True, rank-2 waveforms ``(batch,
      samples)`` are accepted (and returned rank 2); ``(batch, samples,
      channels)`` is rank 3 like a spectrogram without channels. Axis 1 is
      time (samples) either way, and ``"lengths"`` / ``"padding_mask"``
      count samples.
    """

    @property
    def accepts_waveforms(self) -> bool:
        """Whether rank-2 ``(batch, samples)`` inputs are accepted (the waveform domain)."""
        return False

    @property
    def min_input_rank(self) -> int:
        """The lowest input rank this layer takes (2 for waveforms, else 3)."""
        return 2 if self.accepts_waveforms else 3

    def _unpack(self, inputs):
        if isinstance(inputs, dict) and WAVEFORMS in inputs:
            if SPECTROGRAMS in inputs:
                raise ValueError(
                    f"{type(self).__name__} expects its tensor under '{WAVEFORMS}' or "
                    f"'{SPECTROGRAMS}', not both. Received keys: {sorted(inputs)}"
                )
            inputs = {SPECTROGRAMS if k == WAVEFORMS else k: v for k, v in inputs.items()}
        if self._is_rank2(inputs):
            x = _tensor_of(inputs)
            x = _backend.namespace(x).expand_dims(x, -1)
            inputs = dict(inputs, **{SPECTROGRAMS: x}) if isinstance(inputs, dict) else x
        return super()._unpack(inputs)

    def _pack(self, inputs, data):
        out = super()._pack(inputs, data)
        if self._is_rank2(inputs):
            x = _tensor_of(out)
            x = _backend.namespace(x).squeeze(x, -1)
            out = dict(out, **{SPECTROGRAMS: x}) if isinstance(out, dict) else x
        if isinstance(inputs, dict) and WAVEFORMS in inputs:
            out = {WAVEFORMS if k == SPECTROGRAMS else k: v for k, v in out.items()}
        return out

    def _is_rank2(self, inputs):
        x = _tensor_of(inputs)
        return self.accepts_waveforms and len(getattr(x, "shape", ())) == 2


def _tensor_of(inputs):
    if isinstance(inputs, dict):
        return inputs.get(SPECTROGRAMS, inputs.get(WAVEFORMS))
    return inputs
