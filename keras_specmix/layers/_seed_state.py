"""A layer's seed state: where each augmenting call takes its fresh seed.

Kept apart from the layer, as Keras keeps ``keras.random.SeedGenerator``
apart from its layers. A ``SeedState`` holds two streams:

* a Keras weight of the layer (so ``.keras`` files keep it): int64 Philox
  state ``[counter_lo, counter_hi, key]`` on TensorFlow, advanced by
  TensorFlow's atomic ``RngReadAndSkip``; int32 ``[counter, tf.data draws,
  key]`` on JAX and PyTorch, advanced by the call inside a model;
* on JAX and PyTorch only, a ``tf.Variable`` Philox state for the calls
  that run on TensorFlow (``tf.data`` maps, TensorFlow tensors).

See ``SpectrogramAugmentation`` for the calling conventions.
"""

import secrets

import keras
import numpy as np
import tensorflow as tf

from keras_specmix import _compat
from keras_specmix.ops import _backend
from keras_specmix.ops import random as random_ops

#: ``tf.random.Algorithm.PHILOX``: its state is int64 ``[counter_lo, counter_hi, key]``.
_PHILOX = 1
_PHILOX_STATE_SIZE = 3
#: How far ``RngReadAndSkip(delta=1)`` moves a Philox counter: one draw.
_PHILOX_STEP = 256
_SEED_STATE = "seed_state"


class SeedState:
    """The seed streams of one layer, created as that layer's weight.

    Args:
        layer: the ``keras.layers.Layer`` that owns the state (its weight
            ``seed_state`` is created here, with ``layer.add_weight``).
        seed: int >= 0 or None (a key from the operating system's entropy).

    Attributes:
        weight: the Keras weight (non-trainable, shape ``(3,)``).
    """

    def __init__(self, layer, seed):
        # seed=None: a key from OS entropy. Never Python's `random`, which
        # Keras' initialisers draw their default seeds from: taking a number
        # from it would shift the initial weights of every model built later.
        key = seed if seed is not None else 1 + secrets.randbelow(2**31 - 2)
        initial = [0, 0, key]
        tensorflow = keras.backend.backend() == "tensorflow"
        # A Keras weight, so `.keras` files keep the state: int64 Philox
        # state [counter_lo, counter_hi, key] on TensorFlow (for
        # RngReadAndSkip), int32 [counter, tf.data draws, key] on JAX and
        # PyTorch (the middle word is written when saving, see `save`).
        dtype = "int64" if tensorflow else "int32"
        self.weight = layer.add_weight(
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

    def variable(self):
        """The ``tf.Variable`` of the Philox stream that calls on TensorFlow advance."""
        if self._tf_seed_state is not None:
            return self._tf_seed_state
        return _compat.tf_variable(self.weight)

    def next_seed(self, x):
        """A fresh shape-``[2]`` seed on ``x``'s backend; advances the state."""
        xp = _backend.namespace(x)
        if xp.name == _backend.TENSORFLOW:
            # One atomic op: parallel tf.data calls never read the same state.
            state = tf.raw_ops.RngReadAndSkip(
                resource=self.variable().handle,
                alg=_PHILOX,
                delta=tf.constant(1, tf.uint64),
            )
            seed = _per_replica(random_ops.seed_from_state(state))
        else:
            state = xp.convert_to_tensor(self.weight.value)
            self.weight.assign(state + xp.convert_to_tensor([1, 0, 0], "int32"))
            seed = xp.as_seed(xp.stack([state[2], state[0]]))
        return _per_process(xp, seed)

    def save(self, store, own):
        """Writes the layer's variables ``own`` to ``store``, both streams in one entry.

        On TensorFlow the state is one int64 Philox state ``[counter_lo,
        counter_hi, key]`` that every call advances, in ``tf.data`` or in a
        model: Keras' own saving writes it (this returns False). On JAX and
        PyTorch a layer has two streams: the Keras weight (calls inside a
        model) and a TensorFlow variable (calls in ``tf.data`` or on
        TensorFlow tensors); the file holds both as int32 ``[model calls,
        tf.data calls, key]``, read back by ``load``.

        Args:
            store: the layer's ``save_own_variables`` store.
            own: the layer's own variables, in Keras' saving order.

        Returns:
            bool: whether this wrote the store (False: Keras' saving should).
        """
        if self._tf_seed_state is None:
            return False
        state = np.asarray(keras.ops.convert_to_numpy(self.weight.value)).astype("int64")
        draws = int(self._tf_seed_state.numpy()[0]) // _PHILOX_STEP
        both = np.asarray([state[0], draws, state[2]], "int32")
        # Keras' own loop (keras.layers.Layer.save_own_variables), with the
        # seed state's entry replaced: an HDF5 store cannot overwrite one.
        for i, variable in enumerate(own):
            store[f"{i}"] = both if variable is self.weight else variable
        return True

    def load(self, store, own):
        """Restores the layer's variables ``own`` from ``store``, old or from another backend.

        The saved layout tells the backend that wrote it: int64 ``[counter_lo,
        counter_hi, key]`` from TensorFlow, int32 ``[model calls, tf.data
        calls, key]`` from JAX or PyTorch (see ``save``). Each stream goes on
        after the draws the saved layer made: the ``tf.data`` stream exactly
        where it was (it is the same Philox stream on every backend); a
        TensorFlow layer's single stream goes on after the saved ``tf.data``
        draws, a JAX or PyTorch layer's model stream after the saved model
        calls. Files written by keras_specmix 0.1 hold no state for these
        layers (the layer then starts from its ``seed``).

        Args:
            store: the layer's ``load_own_variables`` store.
            own: the layer's own variables, in Keras' saving order.

        Returns:
            bool: whether this read the store (False: it does not match
            ``own``, and Keras' loading should raise its error).
        """
        keys = list(store.keys())
        if not keys:
            return True
        if len(keys) != len(own):
            return False
        for i, variable in enumerate(own):
            if variable is self.weight:
                self.restore(np.asarray(store[f"{i}"]))
            else:
                variable.assign(store[f"{i}"])
        return True

    def restore(self, saved):
        """Sets both streams from a saved state (see ``load``)."""
        if saved.dtype == np.int64:  # from TensorFlow: one Philox stream
            philox = saved
            model = [int(saved[0]) // _PHILOX_STEP, 0, int(saved[2])]
        else:  # from JAX or PyTorch: [model calls, tf.data calls, key]
            saved = saved.astype("int64")
            philox = np.asarray([saved[1] * _PHILOX_STEP, 0, saved[2]], "int64")
            model = [int(saved[0]), 0, int(saved[2])]
        if self._tf_seed_state is None:
            self.weight.assign(philox)
        else:
            self.weight.assign(np.asarray(model, "int32"))
            self._tf_seed_state.assign(philox)


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
