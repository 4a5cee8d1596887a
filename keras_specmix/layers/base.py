"""The base class shared by every augmentation layer.

It owns what is not the algorithm: the ``training`` gate, input
validation, the data format, dict-or-tensor I/O and a seed state (a
``SeedState``, ``keras_specmix/layers/_seed_state.py``; the dict keys are in
``keras_specmix/_keys.py``, run-time value checks in
``keras_specmix/ops/_checks.py``). Subclasses
implement two methods, mirroring Keras' ``get_random_transformation`` /
``transform_*``:

* ``sample_params(data, seed)``: every random number, drawn once, as a dict
  of tensors (a pure function of the input shapes and the seed);
* ``transform(data, params)``: a deterministic function of data and params.

``data`` is always a dict ``{"spectrograms": x, "labels": y, ...}`` with
``x`` channels-last, whatever the layer's ``data_format``.
"""

import warnings
from collections.abc import Mapping
from collections.abc import MutableMapping
from typing import Any
from typing import Literal

import keras

from keras_specmix import _compat
from keras_specmix import _validation
from keras_specmix._keys import LABELS
from keras_specmix._keys import LENGTHS
from keras_specmix._keys import PADDING_MASK
from keras_specmix._keys import SPECTROGRAMS
from keras_specmix._typing import Granularity
from keras_specmix._typing import LayerInputs
from keras_specmix._typing import LayerOutputs
from keras_specmix._typing import Params
from keras_specmix._typing import ParamsLike
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.layers._seed_state import SeedState
from keras_specmix.ops import _backend
from keras_specmix.ops import _checks
from keras_specmix.ops import random as random_ops
from keras_specmix.ops import warp

# The I/O keys live in keras_specmix._keys; the layer modules import them from here too.
__all__ = ["LABELS", "LENGTHS", "PADDING_MASK", "SPECTROGRAMS", "SpectrogramAugmentation"]

DATA_FORMATS = ("channels_last", "channels_first")


class SpectrogramAugmentation(keras.layers.Layer):
    """Base of every ``keras_specmix`` layer (not used directly).

    Calling conventions:

    * ``training=True`` augments; ``training=False`` returns the
      spectrograms unchanged, bit for bit and in their own dtype, and draws
      nothing.
    * ``training`` not given anywhere (no argument, no enclosing call that
      set it): the layer augments when it is *preprocessing*, that is when
      it is called directly (a ``tf.data`` map, user code) or runs inside
      any ``tf.data`` function (``ds.map(lambda x: pipeline(x))`` with a
      ``keras.Sequential`` of these layers). Inside an enclosing model
      called outside ``tf.data`` it follows the model, like ``Dropout``:
      ``fit`` augments; ``predict``, ``evaluate``, ``model(x)``,
      ``model.export()`` and the exported serving function do not. When
      that enclosing model holds no weights besides these layers' seed
      states (an augmentation pipeline called as ``pipeline(x)`` outside
      ``tf.data``), the layer still returns its input but warns once,
      naming the fix: ``pipeline(x, training=True)``; not while
      ``pipeline.export()`` traces it, where the identity is what is meant.
    * Each augmenting call takes a fresh seed from the layer's seed state.
      On TensorFlow tensors (the TensorFlow backend, and ``tf.data`` under
      any backend) that is one atomic read-and-advance (TensorFlow's
      ``RngReadAndSkip``), so parallel ``tf.data`` calls
      (``num_parallel_calls > 1``) never share a draw, also inside a
      compiled or saved graph. Inside a model on JAX or PyTorch the state is
      a non-trainable Keras variable that the call advances, so it moves on
      inside JAX's stateless training step instead of freezing at trace
      time. Under several replicas (``tf.distribute``) or several JAX
      processes (``keras.distribution``) the replica id and the process
      index are folded into the seed. ``augment(inputs, seed)`` takes an
      explicit seed instead, for pipelines reproducible whatever their
      parallelism (see ``keras_specmix.data``).
    * The output has the input's dtype (float16, bfloat16, float32 or
      float64), whatever the layer's dtype policy: an augmentation never
      rounds or overflows its input. Labels come back float32 (or in their
      own float dtype).

    Args:
        data_format: ``"channels_last"`` (``(batch, time, freq, channels)``)
            or ``"channels_first"`` (``(batch, channels, time, freq)``).
            Defaults to ``keras.config.image_data_format()``.
        param_granularity: ``"example"`` (the default) or ``"batch"``: whether
            the layer's random parameters (λ, band and mask positions and
            widths, gains, shifts, the response picked; each layer's
            docstring lists its own) are drawn per example or once per call
            and shared by the batch. ``"batch"`` draws each random number
            once and gives it to every example, so examples of the same
            size get the same parameters; a parameter bounded by an
            example's own valid length (a time mask's start and width, a
            warp anchor, a shift as a share of the length) is the same
            relative draw within each length. Partners (the mixing layers,
            Freq-MixStyle) are always drawn per example. Layers with an
            apply probability ``prob`` also take ``gate_granularity``,
            ``"example"`` (the default: each example is augmented with
            probability ``prob``) or ``"batch"`` (the whole batch is, or
            none of it).
        seed: int >= 0 or None. The same seed gives the same sequence of
            results within one execution mode (eager and ``tf.function``
            agree; XLA may differ). None takes a key from the operating
            system's entropy (``secrets``), never from Python's, NumPy's or
            Keras' global random state, so building a layer leaves a
            model's initial weights alone, and ``keras.utils.set_random_seed``
            does not make a ``seed=None`` layer reproducible: pass ``seed``.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``).

    Examples:
        A layer draws its parameters in ``sample_params`` and applies them in
        ``transform``; the base handles seeds, ``training``, dicts and dtypes:

        >>> class RandomShift(SpectrogramAugmentation):
        ...     def sample_params(self, data, seed):
        ...         return {"shift": tf.random.stateless_uniform([], seed)}
        ...     def transform(self, data, params):
        ...         return {**data, "spectrograms": data["spectrograms"] + params["shift"]}
        >>> layer, x = RandomShift(seed=0), tf.zeros([2, 4, 3])
        >>> out = layer(x, training=True)
        >>> bool(tf.reduce_all(out == out[0, 0, 0])), bool(tf.reduce_all(out != 0.0))
        (True, True)
        >>> bool(tf.reduce_all(layer(x, training=False) == x))
        True
    """

    #: Whether inputs must be a dict carrying labels (the mixing layers).
    requires_labels = False

    def __init__(
        self,
        data_format: Literal["channels_last", "channels_first"] | None = None,
        seed: int | None = None,
        param_granularity: Granularity = "example",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.seed = _validation.check_seed(seed)
        self.param_granularity = random_ops.check_granularity(
            "param_granularity", param_granularity
        )
        if data_format is None:
            data_format = keras.config.image_data_format()
        self.data_format = _validation.check_choice("data_format", data_format, set(DATA_FORMATS))
        self._seeds = SeedState(self, self.seed)
        self._seed_state = self._seeds.weight  # the attribute TensorFlow checkpoints name
        # Inputs are validated by the layer itself: never autocast them.
        _compat.accept_raw_inputs(self)
        self._warned_layout = False
        self._warned_unset_training = False
        self.built = True

    # ---------------------------------------------------------- subclass API
    def sample_params(self, data: dict[str, Tensor], seed: TensorLike) -> Params:
        """Draws the random parameters of one call. Implemented by subclasses."""
        raise NotImplementedError

    def transform(self, data: dict[str, Tensor], params: ParamsLike) -> dict[str, Tensor]:
        """Applies ``params`` to ``data`` (a dict). Implemented by subclasses."""
        raise NotImplementedError

    def identity(self, data: dict[str, Tensor]) -> dict[str, Tensor]:
        """The output at inference: ``data`` itself (subclasses may add keys)."""
        return data

    def _set_gate(self, prob: float, gate_granularity: Granularity) -> None:
        """Validates and stores ``prob`` and ``gate_granularity`` (layers with a gate).

        Raises:
            ValueError: if ``prob`` is outside [0, 1] or ``gate_granularity``
                is not ``"example"`` or ``"batch"``.
        """
        self.prob = _validation.check_float("prob", prob, 0.0, 1.0)
        self.gate_granularity = random_ops.check_granularity("gate_granularity", gate_granularity)

    def granularities(self) -> dict[str, Granularity]:
        """The ``gate_granularity``/``param_granularity`` keyword arguments of the samplers.

        Returns:
            ``{"param_granularity": ...}``, plus ``"gate_granularity"`` for
            a layer with a ``prob`` gate.

        Examples:
            >>> from keras_specmix import FrequencyMixStyle
            >>> FrequencyMixStyle(gate_granularity="batch").granularities()
            {'param_granularity': 'example', 'gate_granularity': 'batch'}
        """
        out: dict[str, Granularity] = {"param_granularity": self.param_granularity}
        if hasattr(self, "gate_granularity"):
            out["gate_granularity"] = self.gate_granularity
        return out

    # ---------------------------------------------------------------- calls
    def call(self, inputs, training=None):
        if training is None:
            training = self._augments_when_unset()
        data = self._unpack(inputs)
        if not training:
            return self._pack(inputs, self.identity(data))
        seed = self._seeds.next_seed(data[SPECTROGRAMS])
        return self._pack(inputs, self.transform(data, self.sample_params(data, seed)))

    def augment(self, inputs: LayerInputs, seed: TensorLike) -> LayerOutputs:
        """Augments ``inputs`` with an explicit seed, leaving the layer's state alone.

        Args:
            inputs: a tensor or a dict, as for ``__call__``.
            seed: shape-``[2]`` integer tensor or an int.

        Returns:
            The augmented output, structured as ``__call__``'s.
        """
        data = self._unpack(inputs)
        params = self.sample_params(data, random_ops.as_seed(seed, data[SPECTROGRAMS]))
        return self._pack(inputs, self.transform(data, params))

    def lengths(self, data: Mapping[str, TensorLike]) -> Tensor | None:
        """int32 ``(batch,)`` valid frames, or None when the input has none.

        Read from ``data["lengths"]``, or counted from ``data["padding_mask"]``
        (bool ``(batch, time)``, True on the valid frames, which must come
        first: a mask with a gap raises, eagerly a ``ValueError`` and in a
        graph an ``InvalidArgumentError``).
        """
        xp = _backend.namespace(data[SPECTROGRAMS])
        if LENGTHS in data:
            lengths = xp.convert_to_tensor(data[LENGTHS])
            name = LENGTHS
        elif PADDING_MASK in data:
            mask = xp.convert_to_tensor(data[PADDING_MASK])
            if len(mask.shape) != 2:
                raise ValueError(
                    f"`{PADDING_MASK}` must have shape (batch, time). "
                    f"Received: shape={tuple(mask.shape)}"
                )
            mask = _checks.leading_mask(xp, xp.cast(mask, "bool"), type(self).__name__)
            lengths = xp.sum(xp.cast(mask, "int32"), axis=1)
            name = PADDING_MASK
        else:
            return None
        dtype = keras.backend.standardize_dtype(lengths.dtype)
        if "int" not in dtype:
            raise TypeError(f"`{name}` must be an integer tensor. Received: dtype={dtype}")
        return warp.valid_lengths(data[SPECTROGRAMS], lengths)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed, data_format=self.data_format, **self.granularities())
        return config

    # ------------------------------------------------------------ seeds
    def save_own_variables(self, store: MutableMapping[str, Any]) -> None:
        """Saves the seed state, so a reloaded layer goes on where this one is.

        See ``SeedState.save``: on JAX and PyTorch both seed streams go in
        the file as one int32 ``[model calls, tf.data calls, key]``.
        """
        if not self._seeds.save(store, _compat.own_variables(self)):
            super().save_own_variables(store)

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Restores the seed state from a ``.keras`` file, old or from another backend.

        See ``SeedState.load``: each stream goes on after the draws the saved
        layer made; files of keras_specmix 0.1 leave the layer at its ``seed``.
        """
        if not self._seeds.load(store, _compat.own_variables(self)):
            super().load_own_variables(store)  # Keras' error for a mismatched file

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        # A tf.Module holding this layer must save its seed state, so that a
        # reloaded tf.function keeps drawing fresh seeds.
        children = super()._trackable_children(save_type, **kwargs)
        children.setdefault("seed_state_variable", self._seeds.variable())
        return children

    # ------------------------------------------------------------ training
    def _augments_when_unset(self):
        """The rule for an unset ``training`` (see the class docstring)."""
        context = _compat.call_context(self)
        entry = context.entry_layer
        if entry is self or entry is None:
            return True
        if _compat.in_tf_data_function():
            return True
        if (
            not self._warned_unset_training
            and _is_augmentation_pipeline(entry)
            # Export wants the identity: no warning there, and none used up.
            and not _compat.in_keras_export()
        ):
            self._warned_unset_training = True
            warnings.warn(
                f"{type(self).__name__} ran inside `{entry.name}`, which was "
                "called without a `training` argument outside tf.data, and "
                "returned its input unchanged (inference, as in model(x) or "
                f"export). To augment, call `{entry.name}(x, training=True)`, "
                "or map it over a tf.data pipeline, where it augments.",
                stacklevel=2,
            )
        return False

    # ------------------------------------------------------------ plumbing
    def _unpack(self, inputs):
        name = type(self).__name__
        if isinstance(inputs, dict):
            if SPECTROGRAMS not in inputs:
                raise ValueError(
                    f"{name} expects a dict with the key '{SPECTROGRAMS}'. "
                    f"Received keys: {sorted(inputs)}"
                )
            data = dict(inputs)
        elif self.requires_labels:
            raise ValueError(
                f"{name} mixes examples and must mix their labels too: call it "
                f"on {{'{SPECTROGRAMS}': x, '{LABELS}': y}}. Mixing without "
                f"labels would silently corrupt training. Received: "
                f"{type(inputs).__name__} of shape {getattr(inputs, 'shape', None)}"
            )
        else:
            data = {SPECTROGRAMS: inputs}
        data[SPECTROGRAMS] = self._check_spectrograms(data[SPECTROGRAMS])
        if self.requires_labels:
            if LABELS not in data:
                raise ValueError(
                    f"{name} expects a dict with the keys '{SPECTROGRAMS}' and "
                    f"'{LABELS}'. Received keys: {sorted(inputs)}"
                )
            data[LABELS] = self._check_labels(data[LABELS], data[SPECTROGRAMS])
        return data

    def _pack(self, inputs, data):
        x = data[SPECTROGRAMS]
        if self.data_format == "channels_first" and len(x.shape) == 4:
            x = _backend.namespace(x).transpose(x, (0, 3, 1, 2))
        if isinstance(inputs, dict):
            return {**data, SPECTROGRAMS: x}
        return x

    def _check_spectrograms(self, x):
        xp = _backend.namespace(x)
        x = xp.convert_to_tensor(x)
        dtype = keras.backend.standardize_dtype(x.dtype)
        if "float" not in dtype:
            raise TypeError(
                f"`{SPECTROGRAMS}` must be a floating-point tensor. Received: dtype={dtype}"
            )
        if len(x.shape) not in (3, 4):
            layout = (
                "(batch, channels, time, freq)"
                if self.data_format == "channels_first"
                else "(batch, time, freq, channels)"
            )
            raise ValueError(
                f"`{SPECTROGRAMS}` must have shape (batch, time, freq) or "
                f"{layout}. Received: shape={tuple(x.shape)}"
            )
        if len(x.shape) == 4:
            if self.data_format == "channels_first":
                x = xp.transpose(x, (0, 2, 3, 1))
            else:
                self._warn_if_channels_first(x.shape)
        return x

    def _warn_if_channels_first(self, shape):
        """Warns once when a channels-last input looks channels-first."""
        time, freq, channels = shape[1], shape[2], shape[3]
        if self._warned_layout or channels is None or channels <= 8:
            return
        if (freq is not None and channels > freq) or (time is not None and time <= 8):
            self._warned_layout = True
            warnings.warn(
                f"{type(self).__name__} reads its input as channels last "
                f"(batch, time, freq, channels): time={time}, freq={freq}, "
                f"channels={channels}. If the input is (batch, channels, time, "
                "freq), pass data_format='channels_first'.",
                stacklevel=3,
            )

    def _check_labels(self, y, x):
        return _backend.namespace(x, y).convert_to_tensor(y)


def _is_augmentation_pipeline(entry):
    """Whether ``entry`` holds no variables but keras_specmix seed states."""
    own = 0
    for layer in _compat.sublayers(entry):
        if isinstance(layer, SpectrogramAugmentation):
            own += len(layer.variables)
    return len(entry.variables) == own
