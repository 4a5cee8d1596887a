"""Base classes shared by every augmentation layer.

They own what is not the algorithm: seed plumbing, the ``training`` gate,
input validation, dtype policy and dict-or-tensor I/O. Subclasses implement
two methods, mirroring Keras' ``get_random_transformation``/``transform_*``:

* ``sample_params(data, seed)``: every random number, drawn once, as a dict
  of tensors (a pure function of the input shapes and the seed);
* ``transform(data, params)``: a deterministic function of data and params.

``data`` is always a dict ``{"spectrograms": x, "labels": y, ...}``.
"""

import keras
import tensorflow as tf

from keras_specmix import _validation
from keras_specmix.ops import random as random_ops
from keras_specmix.ops import warp

SPECTROGRAMS = "spectrograms"
LABELS = "labels"
LENGTHS = "lengths"
PADDING_MASK = "padding_mask"


class SpectrogramAugmentation(keras.layers.Layer):
    """Base of every ``keras_specmix`` layer (not used directly).

    Calling conventions:

    * ``training=True`` augments; ``training=False`` returns the input
      unchanged, bit for bit, and draws nothing. When ``training`` is not
      given, a layer called directly (a ``tf.data`` map, user code) augments,
      while a layer inside a model follows the model, like ``Dropout``: ``fit``
      augments; ``predict``, ``evaluate``, ``model(x)``, ``model.export()``
      and the exported serving function do not.
    * Each augmenting call draws one seed from a ``keras.random.SeedGenerator``
      (a variable, so successive calls differ, also inside a compiled or
      saved graph). ``augment(inputs, seed)`` takes an explicit seed instead,
      for reproducible parallel ``tf.data`` pipelines (see
      ``keras_specmix.data``).

    Args:
        seed: int >= 0 or None. The same seed gives the same sequence of
            results within one execution mode (eager and ``tf.function``
            agree; XLA may differ).
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``).
    """

    #: Whether inputs must be a dict carrying labels (the mixing layers).
    requires_labels = False

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = _validation.check_seed(seed)
        self.generator = keras.random.SeedGenerator(seed)
        # Inputs are validated and cast by the layer itself: labels must not
        # be autocast to float16 under mixed precision.
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
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
        data = self._unpack(inputs)
        if training is None:
            training = self._called_directly()
        if not training:
            return self._pack(inputs, self.identity(data))
        seed = _per_replica(random_ops.as_seed(self.generator.next()))
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

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        # A SeedGenerator is not a TF trackable, so a tf.Module holding this
        # layer would not save its state and a reloaded tf.function could not
        # find the variable. Expose the state so tf.saved_model.save works
        # and the reloaded graph keeps drawing fresh seeds.
        children = super()._trackable_children(save_type, **kwargs)
        children.setdefault("seed_generator_state", self.generator.state)
        return children

    # ------------------------------------------------------------ plumbing
    def _called_directly(self):
        """True when this layer, not an enclosing model, was the one called.

        Keras resolves an unset ``training`` from the outermost call; a layer
        called on its own (``dataset.map(layer)``) is that outermost call.
        """
        return self._get_call_context().entry_layer is self

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
        if isinstance(inputs, dict):
            return data
        return data[SPECTROGRAMS]

    def _check_spectrograms(self, x):
        x = tf.convert_to_tensor(x)
        if not x.dtype.is_floating:
            raise TypeError(
                f"`{SPECTROGRAMS}` must be a floating-point tensor. "
                f"Received: dtype={x.dtype.name}"
            )
        if x.shape.rank not in (3, 4):
            raise ValueError(
                f"`{SPECTROGRAMS}` must have shape (batch, time, freq) or "
                f"(batch, time, freq, channels). Received: shape={x.shape}"
            )
        if x.dtype != self.compute_dtype:
            x = tf.cast(x, self.compute_dtype)
        return x

    def _check_labels(self, y, x):
        return tf.convert_to_tensor(y)


def _per_replica(seed):
    """Folds the replica id into ``seed`` under a multi-replica strategy.

    Every replica of a ``tf.distribute`` strategy reads the same seed
    generator state; without this, all replicas would draw the same masks and
    partners for their different shards of the global batch.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return seed
    replica = tf.cast(context.replica_id_in_sync_group, tf.int32)
    return tf.random.experimental.stateless_fold_in(seed, replica)


class LengthAwareAugmentation(SpectrogramAugmentation):
    """Base of the layers that honour per-example lengths given in a dict.

    Args:
        seed: int >= 0 or None.
        **kwargs: base layer arguments.
    """

    def lengths(self, data):
        """int32 ``(batch,)`` valid frames, or None when the input has none."""
        if LENGTHS in data:
            lengths = tf.convert_to_tensor(data[LENGTHS])
            name = LENGTHS
        elif PADDING_MASK in data:
            mask = tf.convert_to_tensor(data[PADDING_MASK])
            if mask.shape.rank != 2:
                raise ValueError(
                    f"`{PADDING_MASK}` must have shape (batch, time). "
                    f"Received: shape={mask.shape}"
                )
            lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)
            name = PADDING_MASK
        else:
            return None
        if not lengths.dtype.is_integer:
            raise TypeError(
                f"`{name}` must be an integer tensor. "
                f"Received: dtype={lengths.dtype.name}"
            )
        return warp.valid_lengths(data[SPECTROGRAMS], lengths)
