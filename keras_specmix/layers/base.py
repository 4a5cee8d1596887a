"""The base class shared by every augmentation layer.

It owns what is not the algorithm: seed plumbing, the ``training`` gate,
input validation, the data format and dict-or-tensor I/O. Subclasses
implement two methods, mirroring Keras' ``get_random_transformation`` /
``transform_*``:

* ``sample_params(data, seed)``: every random number, drawn once, as a dict
  of tensors (a pure function of the input shapes and the seed);
* ``transform(data, params)``: a deterministic function of data and params.

``data`` is always a dict ``{"spectrograms": x, "labels": y, ...}`` with
``x`` channels-last, whatever the layer's ``data_format``.
"""

import secrets
import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_specmix import _compat
from keras_specmix import _validation
from keras_specmix.ops import _backend
from keras_specmix.ops import random as random_ops
from keras_specmix.ops import warp

SPECTROGRAMS = "spectrograms"
LABELS = "labels"
LENGTHS = "lengths"
PADDING_MASK = "padding_mask"
DATA_FORMATS = ("channels_last", "channels_first")

#: ``tf.random.Algorithm.PHILOX``: its state is int64 ``[counter_lo, counter_hi, key]``.
_PHILOX = 1
_PHILOX_STATE_SIZE = 3
#: How far ``RngReadAndSkip(delta=1)`` moves a Philox counter: one draw.
_PHILOX_STEP = 256
_SEED_STATE = "seed_state"


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
    """

    #: Whether inputs must be a dict carrying labels (the mixing layers).
    requires_labels = False

    def __init__(self, data_format=None, seed=None, param_granularity="example", **kwargs):
        super().__init__(**kwargs)
        self.seed = _validation.check_seed(seed)
        self.param_granularity = random_ops.check_granularity(
            "param_granularity", param_granularity
        )
        if data_format is None:
            data_format = keras.config.image_data_format()
        self.data_format = _validation.check_choice("data_format", data_format, set(DATA_FORMATS))
        self._create_seed_state()
        # Inputs are validated by the layer itself: never autocast them.
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self._warned_layout = False
        self._warned_unset_training = False
        self.built = True

    # ---------------------------------------------------------- subclass API
    def sample_params(self, data, seed):
        """Draws the random parameters of one call. Implemented by subclasses."""
        raise NotImplementedError

    def transform(self, data, params):
        """Applies ``params`` to ``data`` (a dict). Implemented by subclasses."""
        raise NotImplementedError

    def identity(self, data):
        """The output at inference: ``data`` itself (subclasses may add keys)."""
        return data

    def _set_gate(self, prob, gate_granularity):
        """Validates and stores ``prob`` and ``gate_granularity`` (layers with a gate).

        Raises:
            ValueError: if ``prob`` is outside [0, 1] or ``gate_granularity``
                is not ``"example"`` or ``"batch"``.
        """
        self.prob = _validation.check_float("prob", prob, 0.0, 1.0)
        self.gate_granularity = random_ops.check_granularity("gate_granularity", gate_granularity)

    def granularities(self):
        """The ``gate_granularity``/``param_granularity`` keyword arguments of the samplers.

        Returns:
            ``{"param_granularity": ...}``, plus ``"gate_granularity"`` for
            a layer with a ``prob`` gate.
        """
        out = {"param_granularity": self.param_granularity}
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
        seed = self._next_seed(data[SPECTROGRAMS])
        return self._pack(inputs, self.transform(data, self.sample_params(data, seed)))

    def augment(self, inputs, seed):
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

    def lengths(self, data):
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
            mask = _leading_mask(xp, xp.cast(mask, "bool"), type(self).__name__)
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
    def _create_seed_state(self):
        # seed=None: a key from OS entropy. Never Python's `random`, which
        # Keras' initialisers draw their default seeds from: taking a number
        # from it would shift the initial weights of every model built later.
        key = self.seed if self.seed is not None else 1 + secrets.randbelow(2**31 - 2)
        initial = [0, 0, key]
        tensorflow = keras.backend.backend() == "tensorflow"
        # A Keras weight, so `.keras` files keep the state: int64 Philox
        # state [counter_lo, counter_hi, key] on TensorFlow (for
        # RngReadAndSkip), int32 [counter, tf.data draws, key] on JAX and
        # PyTorch (the middle word is written when saving, see
        # `save_own_variables`).
        dtype = "int64" if tensorflow else "int32"
        self._seed_state = self.add_weight(
            shape=(_PHILOX_STATE_SIZE,),
            dtype=dtype,
            initializer=lambda shape, dtype=dtype: keras.ops.convert_to_tensor(initial, dtype),
            trainable=False,
            name=_SEED_STATE,
        )
        self._tf_seed_state = None
        if not tensorflow:
            # Inside tf.data this layer runs on TensorFlow, where it needs a
            # TensorFlow variable to read and advance atomically.
            with tf.init_scope():
                self._tf_seed_state = tf.Variable(
                    initial, dtype=tf.int64, trainable=False, name=_SEED_STATE
                )

    def _seed_variable(self):
        if self._tf_seed_state is not None:
            return self._tf_seed_state
        return _compat.tf_variable(self._seed_state)

    def _next_seed(self, x):
        """A fresh shape-``[2]`` seed on ``x``'s backend; advances the state."""
        xp = _backend.namespace(x)
        if xp.name == _backend.TENSORFLOW:
            # One atomic op: parallel tf.data calls never read the same state.
            state = tf.raw_ops.RngReadAndSkip(
                resource=self._seed_variable().handle,
                alg=_PHILOX,
                delta=tf.constant(1, tf.uint64),
            )
            seed = _per_replica(random_ops.seed_from_state(state))
        else:
            state = xp.convert_to_tensor(self._seed_state.value)
            self._seed_state.assign(state + xp.convert_to_tensor([1, 0, 0], "int32"))
            seed = xp.as_seed(xp.stack([state[2], state[0]]))
        return _per_process(xp, seed)

    def save_own_variables(self, store):
        """Saves the seed state, so a reloaded layer goes on where this one is.

        On TensorFlow the state is one int64 Philox state ``[counter_lo,
        counter_hi, key]`` that every call advances, in ``tf.data`` or in a
        model. On JAX and PyTorch a layer has two streams: the Keras weight
        (calls inside a model) and a TensorFlow variable (calls in ``tf.data``
        or on TensorFlow tensors); the file holds both as int32 ``[model
        calls, tf.data calls, key]``, read back by ``load_own_variables``.
        """
        if self._tf_seed_state is None:
            super().save_own_variables(store)
            return
        state = np.asarray(keras.ops.convert_to_numpy(self._seed_state.value)).astype("int64")
        draws = int(self._tf_seed_state.numpy()[0]) // _PHILOX_STEP
        both = np.asarray([state[0], draws, state[2]], "int32")
        # Keras' own loop (keras.layers.Layer.save_own_variables), with the
        # seed state's entry replaced: an HDF5 store cannot overwrite one.
        own = self._trainable_variables + self._non_trainable_variables
        for i, variable in enumerate(own):
            store[f"{i}"] = both if variable is self._seed_state else variable

    def load_own_variables(self, store):
        """Restores the seed state from a ``.keras`` file, old or from another backend.

        The saved layout tells the backend that wrote it: int64 ``[counter_lo,
        counter_hi, key]`` from TensorFlow, int32 ``[model calls, tf.data
        calls, key]`` from JAX or PyTorch (see ``save_own_variables``). Each
        stream of this layer goes on after the draws the saved layer made:
        the ``tf.data`` stream exactly where it was (it is the same Philox
        stream on every backend); a TensorFlow layer's single stream goes on
        after the saved ``tf.data`` draws, a JAX or PyTorch layer's model
        stream after the saved model calls. Files written by keras_specmix 0.1
        hold no state for these layers (the layer then starts from its
        ``seed``).
        """
        keys = list(store.keys())
        if not keys:
            return
        own = self._trainable_variables + self._non_trainable_variables
        if len(keys) != len(own):
            super().load_own_variables(store)  # Keras' error for a mismatched file
            return
        for i, variable in enumerate(own):
            if variable is self._seed_state:
                self._restore_seed_state(np.asarray(store[f"{i}"]))
            else:
                variable.assign(store[f"{i}"])

    def _restore_seed_state(self, saved):
        """Sets this layer's seed streams from a saved state (see ``load_own_variables``)."""
        if saved.dtype == np.int64:  # from TensorFlow: one Philox stream
            philox = saved
            model = [int(saved[0]) // _PHILOX_STEP, 0, int(saved[2])]
        else:  # from JAX or PyTorch: [model calls, tf.data calls, key]
            saved = saved.astype("int64")
            philox = np.asarray([saved[1] * _PHILOX_STEP, 0, saved[2]], "int64")
            model = [int(saved[0]), 0, int(saved[2])]
        if self._tf_seed_state is None:
            self._seed_state.assign(philox)
        else:
            self._seed_state.assign(np.asarray(model, "int32"))
            self._tf_seed_state.assign(philox)

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        # A tf.Module holding this layer must save its seed state, so that a
        # reloaded tf.function keeps drawing fresh seeds.
        children = super()._trackable_children(save_type, **kwargs)
        children.setdefault("seed_state_variable", self._seed_variable())
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


def _leading_mask(xp, mask, name):
    """``mask`` after checking that each row's True entries come first.

    Checked eagerly (``ValueError``) on every backend and in TensorFlow
    graphs (``InvalidArgumentError``); XLA and ``jax.jit`` have no run-time
    assertions, so a traced mask there is taken as it is.
    """
    message = (
        f"{name}: `{PADDING_MASK}` must be True on the valid frames, which come "
        "first, then False on the padding (pass `lengths` instead for other "
        "layouts). Received a mask with a False frame before a True one."
    )
    return assert_all(xp, ~xp.any(mask[:, 1:] & ~mask[:, :-1]), message, mask)


def assert_all(xp, condition, message, value, data=()):
    """``value``, after checking the scalar bool ``condition`` where possible.

    Eagerly (any backend) a False ``condition`` raises ``ValueError(message)``;
    in a TensorFlow graph the check becomes a ``tf.debugging.Assert`` that
    ``value`` depends on (``InvalidArgumentError`` at run time, with
    ``data`` printed). Under XLA and inside ``jax.jit`` nothing can raise at
    run time, so ``value`` is returned unchecked.

    Args:
        xp: the backend namespace (``keras_specmix.ops._backend``).
        condition: scalar bool tensor.
        message: the error message.
        value: the tensor to return.
        data: extra tensors shown by a failing graph assertion.

    Returns:
        ``value``.

    Raises:
        ValueError: eagerly, when ``condition`` is False.
    """
    if xp.name == _backend.TENSORFLOW:
        if tf.executing_eagerly():
            if not bool(condition):
                raise ValueError(message + _shown(data))
            return value
        if _compat.in_xla_context():
            return value
        check = tf.debugging.Assert(condition, [message, *data], summarize=64)
        with tf.control_dependencies([check]):
            return tf.identity(value)
    if _compat.is_traced(condition):
        return value
    if not bool(np.asarray(keras.ops.convert_to_numpy(condition))):
        raise ValueError(message + _shown(data))
    return value


def _shown(data):
    return "".join(str(np.asarray(keras.ops.convert_to_numpy(d)).tolist()) for d in data)


def _is_augmentation_pipeline(entry):
    """Whether ``entry`` holds no variables but keras_specmix seed states."""
    own = 0
    for layer in _compat.sublayers(entry):
        if isinstance(layer, SpectrogramAugmentation):
            own += len(layer.variables)
    return len(entry.variables) == own


def _per_replica(seed):
    """Folds the replica id into ``seed`` under a multi-replica strategy.

    Every replica of a ``tf.distribute`` strategy reads the same seed
    state; without this, all replicas would draw the same masks and
    partners for their different shards of the global batch.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return seed
    replica = tf.cast(context.replica_id_in_sync_group, tf.int32)
    return tf.random.experimental.stateless_fold_in(seed, replica)


def _per_process(xp, seed):
    """Folds the JAX process index into ``seed`` when several processes train.

    Under ``keras.distribution`` every process builds the same layers with
    the same seed state; without this, the processes would draw the same
    masks and partners for their different parts of the global batch.
    """
    index, count = _compat.jax_process()
    if count <= 1:
        return seed
    return xp.fold_in(seed, index)
