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

import random as python_random
import warnings

import keras
import tensorflow as tf

from keras_specmix import _compat
from keras_specmix import _validation
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
      naming the fix: ``pipeline(x, training=True)``.
    * Each augmenting call takes a fresh seed from the layer's seed state
      with one atomic read-and-advance (TensorFlow's ``RngReadAndSkip``),
      so parallel ``tf.data`` calls (``num_parallel_calls > 1``) never share
      a draw, also inside a compiled or saved graph and under any Keras
      backend. ``augment(inputs, seed)`` takes an explicit seed instead,
      for pipelines reproducible whatever their parallelism (see
      ``keras_specmix.data``).
    * The output has the input's dtype (float16, bfloat16, float32 or
      float64), whatever the layer's dtype policy: an augmentation never
      rounds or overflows its input. Labels come back float32 (or in their
      own float dtype).

    Args:
        data_format: ``"channels_last"`` (``(batch, time, freq, channels)``)
            or ``"channels_first"`` (``(batch, channels, time, freq)``).
            Defaults to ``keras.config.image_data_format()``.
        seed: int >= 0 or None. The same seed gives the same sequence of
            results within one execution mode (eager and ``tf.function``
            agree; XLA may differ).
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``).
    """

    #: Whether inputs must be a dict carrying labels (the mixing layers).
    requires_labels = False

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = _validation.check_seed(seed)
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

    # ---------------------------------------------------------------- calls
    def call(self, inputs, training=None):
        if training is None:
            training = self._augments_when_unset()
        data = self._unpack(inputs)
        if not training:
            return self._pack(inputs, self.identity(data))
        seed = _per_replica(self._next_seed())
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
        params = self.sample_params(data, random_ops.as_seed(seed))
        return self._pack(inputs, self.transform(data, params))

    def lengths(self, data):
        """int32 ``(batch,)`` valid frames, or None when the input has none.

        Read from ``data["lengths"]``, or counted from ``data["padding_mask"]``
        (bool ``(batch, time)``, True on the valid frames, which must come
        first: a mask with a gap raises, eagerly a ``ValueError`` and in a
        graph an ``InvalidArgumentError``).
        """
        if LENGTHS in data:
            lengths = tf.convert_to_tensor(data[LENGTHS])
            name = LENGTHS
        elif PADDING_MASK in data:
            mask = tf.convert_to_tensor(data[PADDING_MASK])
            if mask.shape.rank != 2:
                raise ValueError(
                    f"`{PADDING_MASK}` must have shape (batch, time). Received: shape={mask.shape}"
                )
            mask = _leading_mask(tf.cast(mask, tf.bool), type(self).__name__)
            lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)
            name = PADDING_MASK
        else:
            return None
        if not lengths.dtype.is_integer:
            raise TypeError(
                f"`{name}` must be an integer tensor. Received: dtype={lengths.dtype.name}"
            )
        return warp.valid_lengths(data[SPECTROGRAMS], lengths)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed, data_format=self.data_format)
        return config

    # ------------------------------------------------------------ seeds
    def _create_seed_state(self):
        key = self.seed if self.seed is not None else python_random.randint(1, 2**31 - 2)
        initial = [0, 0, key]
        if keras.backend.backend() == "tensorflow":
            # A Keras weight, so `.keras` files keep the state.
            self._seed_state = self.add_weight(
                shape=(_PHILOX_STATE_SIZE,),
                dtype="int64",
                initializer=lambda shape, dtype=None: tf.constant(initial, tf.int64),
                trainable=False,
                name=_SEED_STATE,
            )
            self._tf_seed_state = None
        else:
            # Other backends: this layer runs on TensorFlow inside tf.data,
            # where it needs a TensorFlow variable to advance.
            self._seed_state = None
            with tf.init_scope():
                self._tf_seed_state = tf.Variable(
                    initial, dtype=tf.int64, trainable=False, name=_SEED_STATE
                )

    def _seed_variable(self):
        if self._tf_seed_state is not None:
            return self._tf_seed_state
        return _compat.tf_variable(self._seed_state)

    def _next_seed(self):
        """A fresh int32 ``[2]`` seed, read and advanced in one atomic op."""
        state = tf.raw_ops.RngReadAndSkip(
            resource=self._seed_variable().handle,
            alg=_PHILOX,
            delta=tf.constant(1, tf.uint64),
        )
        return random_ops.seed_from_state(state)

    def load_own_variables(self, store):
        """Restores the seed state from a ``.keras`` file, old or from another backend.

        Files written by keras_specmix 0.1 hold no state for these layers (the
        layer then starts from its ``seed``); on a backend where the state is
        a TensorFlow variable rather than a Keras weight, a saved state is
        assigned to that variable.
        """
        keys = list(store.keys())
        if not keys:
            return
        if self._tf_seed_state is not None and len(keys) == 1:
            self._tf_seed_state.assign(tf.constant(store[keys[0]], tf.int64))
            return
        super().load_own_variables(store)

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
        if not self._warned_unset_training and _is_augmentation_pipeline(entry):
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
        if self.data_format == "channels_first" and x.shape.rank == 4:
            x = tf.transpose(x, [0, 3, 1, 2])
        if isinstance(inputs, dict):
            return {**data, SPECTROGRAMS: x}
        return x

    def _check_spectrograms(self, x):
        x = tf.convert_to_tensor(x)
        if not x.dtype.is_floating:
            raise TypeError(
                f"`{SPECTROGRAMS}` must be a floating-point tensor. Received: dtype={x.dtype.name}"
            )
        if x.shape.rank not in (3, 4):
            layout = (
                "(batch, channels, time, freq)"
                if self.data_format == "channels_first"
                else "(batch, time, freq, channels)"
            )
            raise ValueError(
                f"`{SPECTROGRAMS}` must have shape (batch, time, freq) or "
                f"{layout}. Received: shape={x.shape}"
            )
        if x.shape.rank == 4:
            if self.data_format == "channels_first":
                x = tf.transpose(x, [0, 2, 3, 1])
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
        return tf.convert_to_tensor(y)


def _leading_mask(mask, name):
    """``mask`` after checking that each row's True entries come first."""
    gap = tf.reduce_any(mask[:, 1:] & ~mask[:, :-1])
    message = (
        f"{name}: `{PADDING_MASK}` must be True on the valid frames, which come "
        "first, then False on the padding (pass `lengths` instead for other "
        "layouts). Received a mask with a False frame before a True one."
    )
    if tf.executing_eagerly():
        if bool(gap):
            raise ValueError(message)
        return mask
    if _compat.in_xla_context():
        return mask
    check = tf.debugging.Assert(tf.logical_not(gap), [message])
    with tf.control_dependencies([check]):
        return tf.identity(mask)


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
