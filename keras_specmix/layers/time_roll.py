"""TimeRoll layer: the DCASE baseline's circular time shift, per example."""

from typing import Any

import keras

from keras_specmix.layers.base import SPECTROGRAMS
from keras_specmix.layers.signal import SignalAugmentation
from keras_specmix.ops import roll
from keras_specmix.ops._backend import shape_of
from keras_specmix.ops.warp import valid_lengths


@keras.saving.register_keras_serializable(package="keras_specmix")
class TimeRoll(SignalAugmentation):
    """Rolls each example along time by a random shift: a circular shift.

    Per example, a shift ``s`` uniform on ``{−R, ..., R}`` (both ends
    included), applied as ``torch.roll`` does: ``out[t] = x[(t − s) mod τ]``
    (a positive shift moves the content later; what falls off the end comes
    back at the start). ``R`` is ``max_shift`` samples (frames), or
    ``⌊max_shift_ratio·τ⌋`` for a clip of ``τ`` valid samples (frames).
    Axis 1 is time: waveforms ``(batch, samples[, channels])`` and
    spectrograms ``(batch, time, freq[, channels])`` roll alike. With
    ``"lengths"`` (or ``"padding_mask"``) in a dict input, ``τ`` is each
    clip's valid length: the roll stays inside it and padding comes back
    unchanged. Labels pass through. Every output value is an input value
    (a gather, exact on every backend).

    The DCASE 2024/2025 Task 1 baseline rolls the 44.1-kHz waveform by up to
    0.1 s each way: ``TimeRoll(max_shift=4410)`` (``roll_sec=0.1`` in
    ``CPJKU/dcase2025_task1_baseline``, ``RollDataset``).

    Args:
        max_shift: int >= 0, R in samples (waveforms) or frames
            (spectrograms); or None.
        max_shift_ratio: float in [0, 1], R as a share of each clip's valid
            length; or None. Give exactly one of the two.
        seed: int >= 0 or None.
        param_granularity: ``"example"`` (a shift per example) or ``"batch"``
            (one draw for the batch: one shift, or with ``max_shift_ratio``
            the same relative draw within each example's range). Defaults
            to ``"example"``.
        **kwargs: base layer arguments (``data_format``, ``name``, ``dtype``).

    Input shape:
        ``(batch, samples)``, ``(batch, samples, channels)`` or
        ``(batch, time, freq[, channels])``; or a dict with it under
        ``"waveforms"`` or ``"spectrograms"`` and optionally ``"lengths"`` or
        ``"padding_mask"`` (other keys pass through).

    Output shape:
        Same as the input.

    Raises:
        ValueError: unless exactly one of ``max_shift`` and
            ``max_shift_ratio`` is given, or on an out-of-range value.
        TypeError: on an argument of the wrong type.

    Examples:
        >>> import keras_specmix as ks
        >>> x = tf.reshape(tf.range(12, dtype=tf.float32), [2, 6])  # two waveforms
        >>> out = ks.TimeRoll(max_shift=2, seed=0)(x)
        >>> bool(np.all(np.sort(out.numpy(), axis=1) == x.numpy()))  # values moved, not changed
        True
        >>> d = ks.TimeRoll(max_shift_ratio=0.5, seed=0)(
        ...     {"waveforms": x, "lengths": tf.constant([6, 3])})
        >>> d["waveforms"][1, 3:].numpy().tolist()  # padding untouched
        [9.0, 10.0, 11.0]

    Safe in ``tf.data``; compiles under ``jit_compile=True``; deterministic
    given ``seed`` within one execution mode.
    """

    def __init__(
        self, max_shift: int | None = None, max_shift_ratio: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.max_shift, self.max_shift_ratio = roll.check_shift_args(max_shift, max_shift_ratio)

    @property
    def accepts_waveforms(self):
        return True

    def sample_params(self, data, seed):
        x = data[SPECTROGRAMS]
        return roll.sample_roll_params(
            seed,
            shape_of(x)[0],
            valid_lengths(x, self.lengths(data)),
            self.max_shift,
            self.max_shift_ratio,
            **self.granularities(),
        )

    def transform(self, data, params):
        x = roll.apply_roll(data[SPECTROGRAMS], params, self.lengths(data))
        return {**data, SPECTROGRAMS: x}

    def get_config(self):
        config = super().get_config()
        config.update(max_shift=self.max_shift, max_shift_ratio=self.max_shift_ratio)
        return config
