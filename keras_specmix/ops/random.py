"""Stateless random primitives, written once for every backend.

Every function takes an explicit ``seed``: a shape ``[2]`` integer tensor (or
an int). The backend is chosen from the seed and the other tensor arguments
(``keras_specmix.ops._backend``): TensorFlow tensors, or a call traced into a
TensorFlow graph such as a ``tf.data`` map, draw with ``tf.random.stateless_*``
(XLA-compilable); JAX arrays with ``jax.random`` (``jit``-compatible);
PyTorch tensors with a seeded ``torch.Generator``. Nothing reads global RNG
state, so results depend only on the seed (within one backend and execution
mode: XLA may give different numbers than eager or ``tf.function``).

Granularity: ``uniform``, ``uniform_int``, ``stateless_beta`` and ``gate``
take ``granularity``, ``"example"`` (the default: independent draws along
the first, batch, axis) or ``"batch"`` (one draw along that axis, broadcast
to every example; the other axes stay independent). Each draw of the batch
is then the same random number; a value derived from it together with an
example's own size (a start within its valid frames, a width bounded by its
length) is the same wherever those sizes are the same. The layers' ``gate_granularity``
and ``param_granularity`` arguments are passed down to these.
"""

from typing import Any

import tensorflow as tf

from keras_specmix import _compat
from keras_specmix import _validation
from keras_specmix._typing import Granularity
from keras_specmix._typing import Shape
from keras_specmix._typing import Tensor
from keras_specmix._typing import TensorLike
from keras_specmix.ops import _backend

EXAMPLE: Granularity = "example"
BATCH: Granularity = "batch"
#: The values of ``granularity``, ``gate_granularity`` and ``param_granularity``.
GRANULARITIES = (EXAMPLE, BATCH)


def check_granularity(name: str, value: str) -> Granularity:
    """``value`` if it is ``"example"`` or ``"batch"``, else a ``ValueError`` naming ``name``.

    Args:
        name: the argument's name, for the error message.
        value: the value to check.

    Returns:
        ``value``.

    Raises:
        ValueError: naming ``name`` and the two choices, for another value.

    Examples:
        >>> check_granularity("param_granularity", "batch")
        'batch'
    """
    return _validation.check_choice(name, value, set(GRANULARITIES))


def _drawn(xp, shape, granularity, draw):
    """``draw(shape)``, or ``draw`` of one row broadcast to ``shape`` for ``"batch"``."""
    check_granularity("granularity", granularity)
    if granularity == EXAMPLE or not shape:
        return draw(shape)
    return xp.broadcast_to(draw((1,) + tuple(shape[1:])), shape)


def as_seed(seed: TensorLike, *like: TensorLike | None) -> Tensor:
    """Converts an int or a shape-``[2]`` integer tensor into a seed tensor.

    Args:
        seed: a Python int, or an integer tensor of shape ``[2]``.
        *like: tensors whose backend the seed should have (see
            ``keras_specmix.ops._backend``); by default the seed's own.

    Returns:
        A shape-``[2]`` seed of the chosen backend (int32 on TensorFlow).

    Examples:
        >>> as_seed(7, tf.zeros([1])).numpy().tolist()
        [7, 0]
    """
    return _backend.namespace(seed, *like).as_seed(seed)


def seed_from_state(state: TensorLike) -> Tensor:
    """A shape-``[2]`` int32 seed from a Philox generator state.

    ``state`` is the int64 ``[counter_lo, counter_hi, key]`` that
    TensorFlow's ``RngReadAndSkip`` returns; the seed folds both counter
    words into the key, so every counter value gives its own seed.

    Args:
        state: int64 tensor of shape ``[3]``.

    Returns:
        An int32 tensor of shape ``[2]``.

    Examples:
        >>> a = seed_from_state(tf.constant([0, 0, 7], tf.int64))
        >>> b = seed_from_state(tf.constant([256, 0, 7], tf.int64))
        >>> bool(tf.reduce_any(a != b))
        True
    """
    state = tf.convert_to_tensor(state, tf.int64)
    counter = tf.bitcast(state[0], tf.int32)
    seed = tf.bitcast(state[2], tf.int32)
    for word in (counter[0], counter[1]):
        seed = tf.random.experimental.stateless_fold_in(seed, word)
    return seed


def split_seed(seed: TensorLike, num: int) -> list[Tensor]:
    """Splits ``seed`` into ``num`` independent seeds.

    Args:
        seed: shape-``[2]`` integer seed.
        num: Python int, how many seeds to return.

    Returns:
        A list of ``num`` shape-``[2]`` seeds.

    Examples:
        >>> len(split_seed(tf.constant([1, 2]), 3))
        3
    """
    return _backend.namespace(seed).split(seed, num)


def uniform(
    seed: TensorLike,
    shape: Shape,
    dtype: str = "float32",
    minval: float = 0.0,
    maxval: float = 1.0,
    granularity: Granularity = EXAMPLE,
) -> Tensor:
    """Uniform draws in ``[minval, maxval)`` of ``shape``, a pure function of ``seed``.

    Args:
        seed: shape-``[2]`` integer seed.
        shape: output shape (a list or tuple; entries may be scalar tensors).
        dtype: float dtype name. Defaults to ``"float32"``.
        minval: float, the lower bound. Defaults to 0.
        maxval: float, the upper bound. Defaults to 1.
        granularity: ``"example"`` (independent draws along the first axis)
            or ``"batch"`` (one draw along it, broadcast). Defaults to
            ``"example"``.

    Returns:
        A tensor of ``shape``.

    Raises:
        ValueError: on another ``granularity``.

    Examples:
        >>> u = uniform(tf.constant([0, 1]), (3, 2), granularity="batch")
        >>> bool(tf.reduce_all(u == u[:1]))
        True
    """
    xp = _backend.namespace(seed, *_entries(shape))
    dtype = _dtype_name(dtype)
    shape = _backend.shape_tuple(shape)
    return _drawn(xp, shape, granularity, lambda s: xp.uniform(seed, s, dtype, minval, maxval))


def uniform_int(
    seed: TensorLike,
    shape: Shape,
    low: TensorLike,
    high: TensorLike,
    granularity: Granularity = EXAMPLE,
) -> Tensor:
    """Integers uniform in ``[low, high]`` inclusive; bounds may be tensors.

    ``low`` and ``high`` broadcast against ``shape``, so each element can have
    its own range (for example a per-example number of valid start
    positions). Computed as ``low + floor(u * (high - low + 1))`` with ``u`` in
    ``[0, 1)`` drawn in float32 and clipped, which is exact for ranges up to
    about 2**24.

    Args:
        seed: shape-``[2]`` integer seed.
        shape: output shape.
        low: int or int32 tensor, smallest value (inclusive).
        high: int or int32 tensor, largest value (inclusive), ``>= low``.
        granularity: ``"example"`` or ``"batch"`` (one uniform draw along the
            first axis, broadcast: equal bounds give equal integers).
            Defaults to ``"example"``.

    Returns:
        An int32 tensor of ``shape``.

    Raises:
        ValueError: on another ``granularity``.

    Examples:
        >>> draws = uniform_int(tf.constant([0, 1]), [1000], 2, 4)
        >>> sorted(set(draws.numpy().tolist()))
        [2, 3, 4]
    """
    xp = _backend.namespace(seed, low, high, *_entries(shape))
    low = xp.cast(low, "int32")
    high = xp.cast(high, "int32")
    count = xp.cast(high - low + 1, "float32")
    shape = _backend.shape_tuple(shape)
    u = _drawn(xp, shape, granularity, lambda s: xp.uniform(seed, s))
    offset = xp.cast(xp.floor(u * count), "int32")
    return low + xp.minimum(offset, high - low)


def _entries(shape):
    """The entries of a shape given as a list (to find their backend)."""
    return tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)


def _dtype_name(dtype):
    return getattr(dtype, "name", dtype)


def _log_gamma_boosted(xp, seed, shape, alpha, num_trials):
    """log of Gamma(alpha, 1) draws, XLA-safe.

    Marsaglia-Tsang (2000) for shape ``alpha + 1`` with a fixed number of
    vectorised trials (acceptance >= 0.95 per trial, so 8 trials fail with
    probability below 1e-10), then the boost ``G(a) = G(a + 1) * U**(1/a)``,
    applied in log space so tiny ``alpha`` never underflows to 0/0.
    """
    seeds = xp.split(seed, 3)
    d = alpha + 1.0 - 1.0 / 3.0
    # float32 constants, computed by the backend: the draws of 0.1 on TensorFlow.
    c = 1.0 / xp.sqrt(xp.convert_to_tensor(9.0 * d, "float32"))
    trial_shape = (num_trials,) + tuple(shape)
    x = xp.normal(seeds[0], trial_shape)
    u = xp.uniform(seeds[1], trial_shape, minval=1e-12, maxval=1.0)
    v = 1.0 + c * x
    v_pos = xp.maximum(v, 1e-12)
    v3 = v_pos * v_pos * v_pos
    log_v3 = 3.0 * xp.log(v_pos)
    accept = (v > 0.0) & (xp.log(u) < 0.5 * x * x + d - d * v3 + d * log_v3)
    # First accepted trial; if none (p < 1e-10) fall back to the mode, d.
    first = xp.cast(xp.argmax(xp.cast(accept, "int32"), axis=0), "int32")
    chosen = xp.one_hot(first, num_trials, axis=0, dtype="float32")
    any_accept = xp.any(accept, axis=0)
    log_d = xp.log(xp.convert_to_tensor(d, "float32"))
    log_g1 = log_d + xp.sum(chosen * log_v3, axis=0)
    log_g1 = xp.where(any_accept, log_g1, log_d)
    boost = xp.uniform(seeds[2], tuple(shape), minval=1e-30, maxval=1.0)
    return log_g1 + xp.log(boost) / alpha


def stateless_beta(
    seed: TensorLike,
    shape: Shape,
    alpha: TensorLike,
    beta: TensorLike | None = None,
    num_trials: int = 8,
    dtype: str = "float32",
    granularity: Granularity = EXAMPLE,
) -> Tensor:
    """Samples Beta(alpha, beta) with ops that compile under XLA.

    ``tf.random.stateless_gamma`` has no XLA kernel (``StatelessRandomGammaV3``),
    which is why Keras' ``MixUp``/``CutMix`` fail under ``jit_compile=True``.
    This sampler draws two Gamma variates with Marsaglia-Tsang from
    stateless normal and uniform draws and returns
    ``sigmoid(log G_a - log G_b) = G_a / (G_a + G_b)``.

    Args:
        seed: shape-``[2]`` integer seed.
        shape: output shape (list or 1-D int tensor).
        alpha: float > 0, first concentration.
        beta: float > 0, second concentration; defaults to ``alpha``.
        num_trials: rejection trials per draw (8 is plenty).
        dtype: output float dtype. The Gamma draws are float32; the final
            ``sigmoid`` runs in ``dtype``. With small ``alpha`` a sizeable
            share of the mass lies within 1e-7 of 1 (about 2 % for
            alpha = 0.2), which float32 rounds to exactly 1.0; ask for
            float64 to resolve it.
        granularity: ``"example"`` (independent draws along the first axis)
            or ``"batch"`` (one draw along it, broadcast). Defaults to
            ``"example"``.

    Returns:
        A tensor of ``shape`` and ``dtype`` with values in ``[0, 1]``.

    Raises:
        ValueError: if ``alpha`` or ``beta`` is not a finite number > 0,
            ``num_trials`` < 1, or ``granularity`` is unknown.

    Examples:
        >>> lam = stateless_beta([1, 2], [4], alpha=0.4)
        >>> lam.shape
        TensorShape([4])
    """
    alpha = _validation.check_float("alpha", alpha, minimum=0.0, open_min=True)
    beta = alpha if beta is None else beta
    beta = _validation.check_float("beta", beta, minimum=0.0, open_min=True)
    num_trials = _validation.check_int("num_trials", num_trials, minimum=1)
    shape = _backend.shape_tuple(shape)
    xp = _backend.namespace(seed, *shape)
    dtype = _dtype_name(dtype)

    def draw(shape):
        seed_a, seed_b = xp.split(seed, 2)
        log_a = _log_gamma_boosted(xp, seed_a, shape, float(alpha), num_trials)
        log_b = _log_gamma_boosted(xp, seed_b, shape, float(beta), num_trials)
        return xp.sigmoid(xp.cast(log_a, dtype) - xp.cast(log_b, dtype))

    return _drawn(xp, shape, granularity, draw)


def gate(
    seed: TensorLike, batch_size: TensorLike, prob: float, granularity: Granularity = EXAMPLE
) -> Tensor:
    """bool ``(batch,)``: True where an example is augmented, with probability ``prob``.

    ``"example"``: one Bernoulli(``prob``) draw per example. ``"batch"``:
    one draw for the whole batch, which is then augmented or left alone
    as a whole (the DCASE baseline's Freq-MixStyle gate). ``prob = 1``
    draws nothing and is True everywhere.

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int tensor.
        prob: float in [0, 1].
        granularity: ``"example"`` or ``"batch"``. Defaults to ``"example"``.

    Returns:
        A bool tensor of shape ``(batch,)``.

    Raises:
        ValueError: if ``prob`` is outside [0, 1] or ``granularity`` unknown.

    Examples:
        >>> g = gate(tf.constant([3, 4]), 6, 0.5, granularity="batch").numpy()
        >>> bool(g.all() or not g.any())
        True
    """
    prob = _validation.check_float("prob", prob, 0.0, 1.0)
    check_granularity("granularity", granularity)
    xp = _backend.namespace(seed, batch_size)
    if prob >= 1.0:
        return xp.ones((batch_size,), "bool")
    return uniform(seed, (batch_size,), granularity=granularity) < prob


def pair_indices(seed: TensorLike, batch_size: TensorLike) -> Tensor:
    """Random partner for each example, never itself when ``batch_size > 1``.

    The rule: draw a random permutation ``p`` of the batch, then pair the
    example at shuffled position ``i`` with the one at position ``i + 1``
    (cyclically). Every example is then a partner exactly once, and no
    example is paired with itself. A batch of one is paired with itself (the
    mixing ops then leave it unmixed with weight 1).

    Args:
        seed: shape-``[2]`` integer seed.
        batch_size: int or scalar int32 tensor.

    Returns:
        An int32 tensor of shape ``[batch_size]``: ``partner[b]``.

    Examples:
        >>> partner = pair_indices([0, 3], 4)
        >>> sorted(partner.numpy().tolist())
        [0, 1, 2, 3]
    """
    xp = _backend.namespace(seed, batch_size)
    keys = xp.uniform(seed, (batch_size,))
    perm = xp.cast(xp.argsort(keys), "int32")
    position = xp.argsort(perm)
    # perm rotated left by one. Not a roll: TensorFlow's CPU kernel takes
    # 0.1-0.3 ms even on a vector of 32 (benchmarks/profile_layers.py).
    following = xp.concatenate([perm[1:], perm[:1]], axis=0)
    return xp.take(following, position, axis=0)


# ---------------------------------------------------------------- backends
# The per-backend stateless generators behind ``Ops.uniform``, ``normal``,
# ``split`` and ``fold_in`` (``keras_specmix.ops._backend``): the only
# per-backend code of the core. On TensorFlow they are
# ``tf.random.stateless_*`` (XLA-compilable; the draws of keras_specmix 0.1
# and 0.2 on TensorFlow are unchanged), on JAX ``jax.random`` with the seed
# as a raw threefry key (``jit``-compatible), on PyTorch a ``torch.Generator``
# seeded from the two seed words (eager).


def backend_random(name: str) -> Any:
    """The stateless generator of the backend ``name`` (used by ``_backend.Ops``).

    Args:
        name: ``"tensorflow"``, ``"jax"`` or ``"torch"``.

    Returns:
        An object with ``as_seed``, ``uniform``, ``normal``, ``split`` and
        ``fold_in``.

    Examples:
        >>> backend_random("tensorflow").as_seed([1, 2]).numpy().tolist()
        [1, 2]
    """
    return {
        _backend.TENSORFLOW: _TensorFlowRandom,
        _backend.JAX: _JaxRandom,
        _backend.TORCH: _TorchRandom,
    }[name]()


class _TensorFlowRandom:
    """``tf.random.stateless_*``: XLA-compilable, the draws of keras_specmix 0.1.

    The algorithm is Philox by name: TensorFlow's kernels resolve the default
    (``"auto_select"``) to Philox, so eager, ``tf.function`` and ``tf.data``
    draw the same numbers as with the default (bit for bit on the CPU:
    ``tests/ops/test_tf_random_alg.py``). Under ``jit_compile=True`` the
    default's lowering (its key and counter picked at run time, an HLO module
    5× the size) drew a (16, 200, 128, 2) batch 40-260× slower than a copy of
    it on the CPU; named Philox is several times faster.

    A draw of one value per cell of a full-size tensor (``cells=True``:
    ``AddNoise``'s noise) under XLA uses ThreeFry instead: XLA's CPU code for
    Philox followed by elementwise math ran a (32, 400, 128, 3) uniform draw
    and its ``log1p`` in 155 ms, ThreeFry in 25 ms, a copy in 2-4 ms
    (``benchmarks/profile_noise.py``). TensorFlow's graph kernels have no
    ThreeFry, so outside XLA every draw is Philox; XLA's draws already differ
    from graph mode's (docs/reproducibility.md).
    """

    @staticmethod
    def _alg(cells):
        return "threefry" if cells and _compat.in_xla_context() else "philox"

    def as_seed(self, seed):
        seed = tf.convert_to_tensor(seed)
        if seed.dtype != tf.int32:
            seed = tf.cast(seed, tf.int32)
        return tf.reshape(seed, [2])

    def uniform(self, seed, shape, dtype, minval, maxval, cells=False):
        if isinstance(shape, tuple):
            shape = tf.stack([tf.cast(s, tf.int32) for s in shape]) if shape else []
        return tf.random.stateless_uniform(
            shape, seed=seed, minval=minval, maxval=maxval, dtype=dtype, alg=self._alg(cells)
        )

    def normal(self, seed, shape, dtype, cells=False):
        if isinstance(shape, tuple):
            shape = tf.stack([tf.cast(s, tf.int32) for s in shape]) if shape else []
        return tf.random.stateless_normal(shape, seed=seed, dtype=dtype, alg=self._alg(cells))

    def split(self, seed, num):
        return tf.unstack(tf.random.experimental.stateless_split(seed, num=num), num=num)

    def fold_in(self, seed, data):
        return tf.random.experimental.stateless_fold_in(seed, tf.cast(data, tf.int32))


class _JaxRandom:
    """``jax.random`` with the seed as a raw threefry key: works inside ``jit``."""

    def __init__(self):
        import jax

        self.jax = jax

    def as_seed(self, seed):
        jnp = self.jax.numpy
        seed = jnp.asarray(seed)
        if seed.dtype != jnp.uint32:
            seed = self.jax.lax.convert_element_type(seed, jnp.uint32)
        return jnp.reshape(seed, (2,))

    def uniform(self, seed, shape, dtype, minval, maxval, cells=False):
        return self.jax.random.uniform(seed, shape, dtype=dtype, minval=minval, maxval=maxval)

    def normal(self, seed, shape, dtype, cells=False):
        return self.jax.random.normal(seed, shape, dtype=dtype)

    def split(self, seed, num):
        return list(self.jax.random.split(seed, num))

    def fold_in(self, seed, data):
        return self.jax.random.fold_in(seed, self.jax.numpy.asarray(data, "uint32"))


def _mix64(*words):
    """splitmix64 of the words: a 64-bit generator seed from 32-bit seed words."""
    state = 0
    for word in words:
        state = (state + (int(word) & 0xFFFFFFFF) + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        state = z ^ (z >> 31)
    return state


class _TorchRandom:
    """A ``torch.Generator`` seeded from the seed's two words (eager PyTorch).

    PyTorch draws only with a generator on the device it writes to, so each
    generator is made there: on Keras' device (``get_device()``, the GPU when
    there is one) for ``uniform`` and ``normal``, on the CPU for ``split``,
    whose seeds are CPU tensors like every seed here.
    """

    def __init__(self):
        import torch

        self.torch = torch
        self.device = _compat.torch_device

    def as_seed(self, seed):
        seed = self.torch.as_tensor(seed, device="cpu")
        return seed.to(self.torch.int64).reshape(2)

    def _generator(self, seed, device, *extra):
        words = [int(w) for w in seed.detach().cpu().tolist()] + [int(e) for e in extra]
        generator = self.torch.Generator(device=device)
        generator.manual_seed(_mix64(*words))
        return generator

    def _size(self, shape):
        return tuple(int(s) for s in shape)

    def uniform(self, seed, shape, dtype, minval, maxval, cells=False):
        dtype, device = getattr(self.torch, dtype), self.device()
        draws = self.torch.rand(
            self._size(shape), generator=self._generator(seed, device), dtype=dtype, device=device
        )
        return draws * (maxval - minval) + minval

    def normal(self, seed, shape, dtype, cells=False):
        dtype, device = getattr(self.torch, dtype), self.device()
        return self.torch.randn(
            self._size(shape), generator=self._generator(seed, device), dtype=dtype, device=device
        )

    def split(self, seed, num):
        draws = self.torch.randint(
            -(2**31), 2**31 - 1, (num, 2), generator=self._generator(seed, "cpu", 1), device="cpu"
        )
        return list(draws)

    def fold_in(self, seed, data):
        words = seed.detach().cpu().tolist() + [int(data)]
        return self.torch.tensor(
            [_mix64(*words) >> 33, _mix64(*words, 1) >> 33], dtype=self.torch.int64
        )
