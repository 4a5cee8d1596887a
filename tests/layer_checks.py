"""The one shared battery of checks that every keras_specmix layer must pass.

``run_layer_checks(layer_cls, init_kwargs, bad_arguments, tmp_path)`` runs
all of them; each ``check_*`` function can also be called on its own. A
layer that needs labels (``layer_cls.requires_labels``) is fed
``{"spectrograms": x, "labels": y}`` with sparse integer labels (its
``init_kwargs`` must then hold ``num_classes``); other layers get a bare
tensor.
"""

import inspect
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_specmix import data as ks_data
from keras_specmix.ops import _backend
from keras_specmix.training import MixingModel

TIME, FREQ, CHANNELS = 24, 16, 3
SPECTROGRAMS, LABELS = "spectrograms", "labels"


# ------------------------------------------------------------------ inputs
def make_inputs(layer_cls, init_kwargs, batch=4, time=TIME, channels=CHANNELS, seed=0):
    """Random inputs for a layer: a tensor, or the mixing dict with sparse labels."""
    rng = np.random.default_rng(seed)
    shape = (batch, time, FREQ) + ((channels,) if channels else ())
    x = tf.constant(rng.normal(size=shape).astype("float32"))
    if not layer_cls.requires_labels:
        return x
    y = tf.constant(rng.integers(0, init_kwargs["num_classes"], size=batch), tf.int32)
    return {SPECTROGRAMS: x, LABELS: y}


def expected_identity(layer, inputs):
    """What ``training=False`` must return: the input (labels one-hot if sparse)."""
    if not isinstance(inputs, dict):
        return inputs
    out = dict(inputs)
    if out[LABELS].shape.rank == 1:
        out[LABELS] = tf.one_hot(out[LABELS], layer.num_classes)
    if getattr(layer, "return_mix_info", False):
        batch_size = out[SPECTROGRAMS].shape[0]
        out["mix_weights"] = tf.ones([batch_size])
        out["partners"] = tf.range(batch_size)
    return out


def spectrograms(output):
    return output[SPECTROGRAMS] if isinstance(output, dict) else output


def assert_structures_equal(a, b):
    """Bit-for-bit equality of two tensors or dicts of tensors."""
    a_flat, b_flat = tf.nest.flatten(a), tf.nest.flatten(b)
    assert len(a_flat) == len(b_flat)
    for u, v in zip(a_flat, b_flat):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))


def structures_differ(a, b):
    return any(
        not np.array_equal(np.asarray(u), np.asarray(v))
        for u, v in zip(tf.nest.flatten(a), tf.nest.flatten(b))
    )


def init_parameter_names(layer_cls):
    """All named ``__init__`` arguments along the MRO up to keras' Layer."""
    names = set()
    for klass in layer_cls.__mro__:
        if klass is keras.layers.Layer or not issubclass(klass, keras.layers.Layer):
            break
        for p in inspect.signature(klass.__init__).parameters.values():
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self":
                names.add(p.name)
    return names


# ------------------------------------------------------------------ checks
def check_config(layer_cls, init_kwargs):
    """Every __init__ argument is in the config; from_config and JSON round trips."""
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    missing = init_parameter_names(layer_cls) - set(config)
    assert not missing, f"{layer_cls.__name__}.get_config() lacks {sorted(missing)}"
    for key, value in init_kwargs.items():
        stored = config[key]
        assert stored == value or list(np.atleast_1d(stored)) == list(np.atleast_1d(value)), (
            f"config[{key!r}]={stored!r}, passed {value!r}"
        )
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config
    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    revived = keras.saving.deserialize_keras_object(serialized)
    assert type(revived) is layer_cls
    assert revived.get_config() == config


def check_inference_identity(layer, inputs):
    """training=False returns the input bit for bit (eager and in tf.function),
    in its own dtype."""
    assert_structures_equal(layer(inputs, training=False), expected_identity(layer, inputs))
    wide = _with_spectrograms(inputs, tf.cast(spectrograms(inputs), tf.float64) + 1e-12)
    assert_structures_equal(layer(wide, training=False), expected_identity(layer, wide))
    graph = tf.function(lambda d: layer(d, training=False))
    assert_structures_equal(graph(inputs), expected_identity(layer, inputs))


def check_seeding(layer_cls, init_kwargs, inputs):
    """Same seed -> same output (eager, graph, XLA each); calls differ;
    eager ~= graph (same draws, float rounding may differ by an ulp)."""
    kwargs = dict(init_kwargs, seed=11)
    for mode in ("eager", "graph", "xla"):
        results = []
        for _ in range(2):
            layer = layer_cls(**kwargs)
            fn = _compiled(layer, mode)
            first, second = fn(inputs), fn(inputs)
            results.append((first, second))
        assert_structures_equal(results[0][0], results[1][0])
        assert_structures_equal(results[0][1], results[1][1])
        assert structures_differ(results[0][0], results[0][1]), (
            f"{mode}: two successive calls gave the same output"
        )
        if mode == "eager":
            eager_first = results[0][0]
        if mode == "graph":
            # Same random draws; grappler may reorder float arithmetic (1 ulp).
            for u, v in zip(tf.nest.flatten(eager_first), tf.nest.flatten(results[0][0])):
                np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-6, atol=1e-6)


def _compiled(layer, mode):
    call = lambda d: layer(d, training=True)  # noqa: E731
    if mode == "eager":
        return call
    return tf.function(call, jit_compile=(mode == "xla"))


def check_params_determine_output(layer_cls, init_kwargs, inputs):
    """The output is a pure function of (input, params): ``transform`` with
    the params ``sample_params`` draws for a seed equals ``augment`` with that
    seed, and injecting the same params twice gives the same output. (Exact
    values for hand-made params are checked per op in tests/ops.)"""
    layer = layer_cls(**init_kwargs)
    data = layer._unpack(inputs)
    params = layer.sample_params(data, tf.constant([4, 2]))
    first = layer.transform(data, params)
    assert_structures_equal(first, layer.transform(data, params))
    assert_structures_equal(layer._pack(inputs, first), layer.augment(inputs, [4, 2]))
    assert structures_differ(layer._pack(inputs, first), expected_identity(layer, inputs))


def check_unknown_time_and_batch(layer_cls, init_kwargs):
    """A graph traced with unknown batch and time runs on several shapes,
    under XLA too; batch sizes 1 and odd work."""
    layer = layer_cls(**init_kwargs, seed=3)
    sample = make_inputs(layer_cls, init_kwargs)
    signature = tf.nest.map_structure(
        lambda t: tf.TensorSpec(
            [None] * t.shape.rank if t.shape.rank == 1 else [None, None] + t.shape[2:].as_list(),
            t.dtype,
        ),
        sample,
    )
    for jit in (False, True):
        fn = tf.function(
            lambda d: layer(d, training=True), input_signature=[signature], jit_compile=jit
        )
        for batch, time in ((1, 7), (3, 24), (5, 40)):
            inputs = make_inputs(layer_cls, init_kwargs, batch=batch, time=time)
            out = fn(inputs)
            assert tuple(spectrograms(out).shape) == (batch, time, FREQ, CHANNELS)
            if isinstance(out, dict):
                assert tuple(out[LABELS].shape) == (batch, init_kwargs["num_classes"])
    if layer_cls.requires_labels:
        # A batch of one has no partner: it comes back unmixed.
        single = make_inputs(layer_cls, init_kwargs, batch=1)
        assert_structures_equal(layer(single), expected_identity(layer, single))


def check_rank3(layer_cls, init_kwargs):
    """(batch, time, freq) inputs without a channel axis work."""
    inputs = make_inputs(layer_cls, init_kwargs, channels=0)
    out = layer_cls(**init_kwargs, seed=1)(inputs)
    assert spectrograms(out).shape == spectrograms(inputs).shape


def check_tf_data(layer_cls, init_kwargs, inputs):
    """The layer maps over a batched tf.data pipeline and augments there;
    ``augment_dataset`` is reproducible with parallel calls."""
    ds = tf.data.Dataset.from_tensor_slices(inputs).repeat(4).batch(4)
    mapped = ds.map(layer_cls(**init_kwargs, seed=2))
    batches = list(mapped)
    assert len(batches) == 4
    assert structures_differ(spectrograms(batches[0]), spectrograms(inputs))

    def run():
        out = ks_data.augment_dataset(ds, layer_cls(**init_kwargs), seed=5, num_parallel_calls=4)
        return [spectrograms(b).numpy() for b in out]

    first, second = run(), run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1]), "batches got the same augmentation"


def check_mixed_precision(layer_cls, init_kwargs, inputs):
    """Under mixed_float16 / mixed_bfloat16 policies the spectrograms keep
    their own dtype (an augmentation never rounds or overflows its input),
    eagerly and under XLA; float16, bfloat16 and float64 inputs come back in
    their dtype; 1e5, which float16 cannot hold, stays 1e5 at inference."""
    for policy in ("mixed_float16", "mixed_bfloat16"):
        layer = layer_cls(**init_kwargs, seed=4, dtype=policy)
        for fn in (layer, tf.function(lambda d, layer=layer: layer(d), jit_compile=True)):
            out = fn(inputs)
            x_out = spectrograms(out)
            assert x_out.dtype == spectrograms(inputs).dtype, (policy, x_out.dtype)
            assert np.all(np.isfinite(np.asarray(x_out)))
            if isinstance(out, dict):
                assert out[LABELS].dtype == tf.float32
        big = _with_spectrograms(inputs, tf.fill(spectrograms(inputs).shape, 1e5))
        assert_structures_equal(spectrograms(layer(big, training=False)), spectrograms(big))
    for dtype in (tf.float16, tf.bfloat16, tf.float64):
        cast = _with_spectrograms(inputs, tf.cast(spectrograms(inputs), dtype))
        layer = layer_cls(**init_kwargs, seed=4)
        assert spectrograms(layer(cast)).dtype == dtype
        assert_structures_equal(spectrograms(layer(cast, training=False)), spectrograms(cast))


def _with_spectrograms(inputs, x):
    return dict(inputs, **{SPECTROGRAMS: x}) if isinstance(inputs, dict) else x


def check_data_format(layer_cls, init_kwargs, inputs):
    """``data_format="channels_first"`` takes (batch, channels, time, freq)
    and gives exactly the channels-last result, transposed."""
    first = _with_spectrograms(inputs, tf.transpose(spectrograms(inputs), [0, 3, 1, 2]))
    last_out = layer_cls(**init_kwargs).augment(inputs, [3, 1])
    first_out = layer_cls(**init_kwargs, data_format="channels_first").augment(first, [3, 1])
    np.testing.assert_array_equal(
        tf.transpose(spectrograms(first_out), [0, 2, 3, 1]), spectrograms(last_out)
    )
    if isinstance(inputs, dict):
        np.testing.assert_array_equal(first_out[LABELS], last_out[LABELS])


def check_parallel_tf_data(layer_cls, init_kwargs):
    """Mapped with num_parallel_calls=AUTOTUNE over 64 identical batches, the
    layer gives 64 distinct results: parallel calls never share a draw.
    (A batch of 16 makes a chance collision of two honest draws negligible.)"""
    inputs = make_inputs(layer_cls, init_kwargs, batch=16)
    layer = layer_cls(**init_kwargs, seed=7)
    ds = tf.data.Dataset.from_tensors(inputs).repeat(64)
    ds = ds.map(layer, num_parallel_calls=tf.data.AUTOTUNE)
    outputs = {spectrograms(b).numpy().tobytes() for b in ds}
    assert len(outputs) == 64, f"{len(outputs)} distinct outputs of 64"
    if not layer_cls.requires_labels and keras.backend.backend() == "tensorflow":
        # A Sequential of the layers, called in a map, augments too.
        pipeline = keras.Sequential([layer_cls(**init_kwargs, seed=8)])
        mapped = tf.data.Dataset.from_tensors(inputs).repeat(4).map(lambda a: pipeline(a))
        assert all(structures_differ(b, inputs) for b in mapped)


def _model_with(layer, inputs):
    if isinstance(inputs, dict):
        keras_inputs = {
            SPECTROGRAMS: keras.Input(inputs[SPECTROGRAMS].shape[1:], name=SPECTROGRAMS),
            LABELS: keras.Input((), dtype="int32", name=LABELS),
        }
    else:
        keras_inputs = keras.Input(inputs.shape[1:])
    return keras.Model(keras_inputs, layer(keras_inputs))


def check_keras_save_load(layer_cls, init_kwargs, inputs, tmp_path):
    """A model holding the layer saves to .keras and reloads: same config,
    same augmentation (seed state restored), identity at inference."""
    layer = layer_cls(**init_kwargs, seed=9)
    model = _model_with(layer, inputs)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    loaded_layer = loaded.layers[-1]
    assert type(loaded_layer) is layer_cls
    assert loaded_layer.get_config() == layer.get_config()
    assert_structures_equal(model(inputs, training=True), loaded(inputs, training=True))
    assert_structures_equal(loaded.predict(inputs, verbose=0), expected_identity(layer, inputs))


def check_export(layer_cls, init_kwargs, inputs, tmp_path):
    """model.export() gives a SavedModel whose serving function is the identity."""
    model = _model_with(layer_cls(**init_kwargs, seed=1), inputs)
    path = str(tmp_path / "exported")
    model.export(path, verbose=False) if _export_takes_verbose() else model.export(path)
    reloaded = tf.saved_model.load(path)  # keep a reference while serving
    served = reloaded.serve(inputs)
    assert_structures_equal(served, expected_identity(model.layers[-1], inputs))


def _export_takes_verbose():
    return "verbose" in inspect.signature(keras.Model.export).parameters


def check_bad_arguments(layer_cls, init_kwargs, bad_arguments):
    """Each (argument, value) raises ValueError/TypeError naming both."""
    assert bad_arguments, "give at least one bad argument to check"
    for name, value in bad_arguments:
        with pytest.raises((ValueError, TypeError)) as info:
            layer_cls(**dict(init_kwargs, **{name: value}))
        message = str(info.value)
        assert f"`{name}`" in message or name in message, message
        assert repr(value) in message or str(value) in message, message


def check_bad_shapes(layer_cls, init_kwargs):
    """Wrong rank and integer spectrograms raise clear errors."""
    layer = layer_cls(**init_kwargs)
    # One axis fewer than the layer's lowest rank (waveform layers take rank 2).
    bad_rank = tf.zeros([4, 16, 8][: getattr(layer, "min_input_rank", 3) - 1])
    bad_dtype = tf.zeros([4, 8, 16], tf.int32)
    for x, error, pattern in ((bad_rank, ValueError, "shape"), (bad_dtype, TypeError, "floating")):
        inputs = (
            {SPECTROGRAMS: x, LABELS: tf.zeros([4], tf.int32)} if layer_cls.requires_labels else x
        )
        with pytest.raises(error, match=pattern):
            layer(inputs)


# ------------------------------------------------------------------ runner
# Each check by name, called as ``check(cls, kwargs, inputs, bad, tmp_path)``
# with ``inputs = make_inputs(cls, kwargs)``.
_LAYER_CHECKS = {
    "config": lambda cls, kw, x, bad, tmp: check_config(cls, dict(kw, seed=5)),
    "inference_identity": lambda cls, kw, x, bad, tmp: check_inference_identity(cls(**kw), x),
    "seeding": lambda cls, kw, x, bad, tmp: check_seeding(cls, kw, x),
    "params_determine_output": lambda cls, kw, x, bad, tmp: check_params_determine_output(
        cls, kw, x
    ),
    "unknown_time_and_batch": lambda cls, kw, x, bad, tmp: check_unknown_time_and_batch(cls, kw),
    "rank3": lambda cls, kw, x, bad, tmp: check_rank3(cls, kw),
    "mixed_precision": lambda cls, kw, x, bad, tmp: check_mixed_precision(cls, kw, x),
    "data_format": lambda cls, kw, x, bad, tmp: check_data_format(cls, kw, x),
    "keras_save_load": lambda cls, kw, x, bad, tmp: check_keras_save_load(cls, kw, x, tmp),
    "export": lambda cls, kw, x, bad, tmp: check_export(cls, kw, x, tmp),
    # fit(jit_compile=True), identity at inference, .keras reload of the draws:
    # the same check that tests/test_backends.py runs on JAX and PyTorch.
    "in_model": lambda cls, kw, x, bad, tmp: check_in_model(cls, kw, tmp),
    "bad_arguments": lambda cls, kw, x, bad, tmp: check_bad_arguments(cls, kw, bad),
    "bad_shapes": lambda cls, kw, x, bad, tmp: check_bad_shapes(cls, kw),
}

#: The names of the checks ``run_layer_check`` runs, in ``run_layer_checks``' order.
#: (The ``tf.data`` checks run on every backend in tests/test_backends.py,
#: TensorFlow included, through ``TF_DATA_CHECKS``.)
LAYER_CHECKS = tuple(_LAYER_CHECKS)
TF_DATA_CHECKS = ("tf_data", "parallel_tf_data")


def run_layer_check(check, layer_cls, init_kwargs, bad_arguments, tmp_path):
    """Runs the one check named ``check`` (from ``LAYER_CHECKS``) on a layer.

    Arguments as ``run_layer_checks``.
    """
    inputs = make_inputs(layer_cls, init_kwargs)
    _LAYER_CHECKS[check](layer_cls, init_kwargs, inputs, bad_arguments, tmp_path)


def run_tf_data_check(check, layer_cls, init_kwargs):
    """One of ``TF_DATA_CHECKS``: the checks that hold under every Keras
    backend (in ``tf.data`` the layers run on TensorFlow whatever
    ``KERAS_BACKEND`` is: they augment, never repeat a draw across parallel
    calls, and ``augment_dataset`` is reproducible)."""
    if check == "tf_data":
        check_tf_data(layer_cls, init_kwargs, make_inputs(layer_cls, init_kwargs))
    elif check == "parallel_tf_data":
        check_parallel_tf_data(layer_cls, init_kwargs)
    else:
        raise ValueError(f"unknown tf.data check {check!r}; one of {TF_DATA_CHECKS}")


def run_layer_checks(layer_cls, init_kwargs, bad_arguments, tmp_path):
    """Runs every check above on ``layer_cls`` built with ``init_kwargs``.

    The test modules run them one test item each (``layer_check_params``);
    this runs them all at once, for a layer outside the test suite.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments (without ``seed``); must include
            ``num_classes`` for mixing layers.
        bad_arguments: list of ``(argument_name, bad_value)`` pairs.
        tmp_path: a pytest ``tmp_path`` for the saving checks.
    """
    for check in LAYER_CHECKS:
        run_layer_check(check, layer_cls, init_kwargs, bad_arguments, tmp_path)
    for check in TF_DATA_CHECKS:
        run_tf_data_check(check, layer_cls, init_kwargs)


def layer_check_params(cases, checks=LAYER_CHECKS):
    """``pytest.param(name, check)`` for every case name × check, with ids
    ``name-check``, so that each is its own test item (and ``--durations``
    shows what each check costs)."""
    return [
        pytest.param(name, check, id=f"{name}-{check}")
        for name in sorted(cases)
        for check in checks
    ]


# ------------------------------------------------------- every backend
#: Layers whose output interpolates values (the others select them exactly).
INTERPOLATING_LAYERS = {
    "MixUp",
    "TimeWarp",
    "SpecAugment",
    # Statistics and gains are arithmetic; a policy may apply MixUp.
    "FrequencyMixStyle",
    "FilterAugment",
    "MixingPolicy",
    # FFT convolution, gains and noise are arithmetic.
    "DeviceImpulseResponse",
    "RandomGain",
    "AddNoise",
}


def to_backend(value):
    """A NumPy array or TF tensor as a tensor of the Keras backend in use."""
    return keras.ops.convert_to_tensor(np.asarray(value))


def backend_inputs(layer_cls, init_kwargs, **kwargs):
    """``make_inputs`` as tensors of the Keras backend in use."""
    return tf.nest.map_structure(to_backend, make_inputs(layer_cls, init_kwargs, **kwargs))


def _numpy(structure):
    return tf.nest.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), structure)


def check_backend_calls(layer_cls, init_kwargs):
    """On the backend's own tensors: training=False is the identity in the
    input's dtype; training=True augments; a seed gives the same sequence
    twice; successive calls draw anew; the output is a tensor of the backend."""
    inputs = backend_inputs(layer_cls, init_kwargs)
    layer = layer_cls(**init_kwargs, seed=3)
    identity = layer(inputs, training=False)
    assert_structures_equal(_numpy(identity), _numpy(expected_identity(layer, _as_tf(inputs))))
    first, second = layer(inputs, training=True), layer(inputs, training=True)
    assert _backend.backend_of(spectrograms(first)) == keras.backend.backend()
    assert structures_differ(_numpy(first), _numpy(second)), "two calls drew the same"
    assert structures_differ(_numpy(first), _numpy(expected_identity(layer, _as_tf(inputs))))
    again = layer_cls(**init_kwargs, seed=3)
    assert_structures_equal(_numpy(again(inputs, training=True)), _numpy(first))
    # float64 exists on JAX only in x64 mode: float16 exists everywhere.
    half = _with_spectrograms(inputs, keras.ops.cast(spectrograms(inputs), "float16"))
    out = layer(half, training=True)
    assert keras.backend.standardize_dtype(spectrograms(out).dtype) == "float16"


def _as_tf(structure):
    return tf.nest.map_structure(lambda t: tf.constant(keras.ops.convert_to_numpy(t)), structure)


def check_same_transform_as_tensorflow(layer_cls, init_kwargs):
    """Given the same params, ``transform`` on this backend's tensors equals
    ``transform`` on TensorFlow tensors exactly (the algorithm is written once)."""
    layer = layer_cls(**init_kwargs)
    for lengths in (None, [24, 20, 7, 24]):
        tf_inputs = make_inputs(layer_cls, init_kwargs)
        if lengths is not None:
            tf_inputs = tf_inputs if isinstance(tf_inputs, dict) else {SPECTROGRAMS: tf_inputs}
            tf_inputs = dict(tf_inputs, lengths=tf.constant(lengths))
        tf_data = layer._unpack(tf_inputs)
        params = _numpy(layer.sample_params(tf_data, tf.constant([5, 1])))
        expected = _numpy(layer.transform(tf_data, tf.nest.map_structure(tf.constant, params)))
        data = layer._unpack(tf.nest.map_structure(to_backend, tf_inputs))
        got = _numpy(layer.transform(data, tf.nest.map_structure(to_backend, params)))
        # A mean fill sums in each backend's own order: arithmetic too.
        exact_spectrograms = layer_cls.__name__ not in INTERPOLATING_LAYERS and (
            init_kwargs.get("mask_value") != "mean"
        )
        for key in sorted(got) if isinstance(got, dict) else [None]:
            u, v = (got, expected) if key is None else (got[key], expected[key])
            if not np.issubdtype(u.dtype, np.floating) or (
                exact_spectrograms and key in (None, SPECTROGRAMS)
            ):
                np.testing.assert_array_equal(u, v, err_msg=str(key))
            else:
                # Arithmetic (interpolation, λ from the region's share): each
                # backend's compiler may fuse a·x + b into one rounding or
                # divide by a reciprocal: a few float32 ulp of the inputs.
                np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-5, err_msg=str(key))


def check_in_model(layer_cls, init_kwargs, tmp_path):
    """Inside a model on this backend: ``fit`` (jit_compile where the backend
    supports it) trains through the layer; ``predict`` and ``model(x)`` are
    the identity; ``.keras`` save and reload keep config and draws."""
    num_classes = init_kwargs.get("num_classes", 3)
    inputs = make_inputs(layer_cls, dict(init_kwargs, num_classes=num_classes), batch=8)
    x = spectrograms(inputs).numpy()
    labels = np.arange(8) % num_classes
    layer = layer_cls(**init_kwargs, seed=0)
    head = [keras.layers.Flatten(), keras.layers.Dense(num_classes, activation="softmax")]
    if layer_cls.requires_labels:
        inner = keras.Sequential([keras.Input(x.shape[1:])] + head)
        model = MixingModel(inner, layer)
        y = labels
    else:
        model = keras.Sequential([keras.Input(x.shape[1:]), layer] + head)
        inner = keras.Sequential([keras.Input(x.shape[1:])] + model.layers[1:])
        y = np.eye(num_classes, dtype="float32")[labels]
    model.compile("adam", "categorical_crossentropy", jit_compile=True)
    state_before = _numpy(layer.variables)
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    # The seed state moved on inside the (compiled, on JAX stateless) step.
    assert structures_differ(state_before, _numpy(layer.variables)), "seed state did not advance"
    expected = np.asarray(keras.ops.convert_to_numpy(inner(to_backend(x))))
    # Compiled predict (torch.compile, XLA) may round the head differently
    # from the eager inner model; an augmentation would change far more.
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(to_backend(x))), expected, rtol=1e-5, atol=1e-6
    )
    if not layer_cls.requires_labels:
        alone = keras.Sequential([keras.Input(x.shape[1:]), layer_cls(**init_kwargs, seed=5)])
        np.testing.assert_array_equal(alone.predict(x, verbose=0), x)
        drawn = [_next_tf_data_draw(alone.layers[-1], x) for _ in range(2)]
        path = str(tmp_path / f"{layer_cls.__name__}.keras")
        alone.save(path)
        loaded = keras.saving.load_model(path)
        assert loaded.layers[-1].get_config() == alone.layers[-1].get_config()
        # The tf.data stream (a TensorFlow variable on JAX/PyTorch) resumes
        # where the saved layer is, after the draws made before saving.
        resumed = _next_tf_data_draw(loaded.layers[-1], x)
        np.testing.assert_array_equal(resumed, _next_tf_data_draw(alone.layers[-1], x))
        assert not any(np.array_equal(resumed, d) for d in drawn), "a tf.data draw repeated"
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(loaded(to_backend(x), training=True)),
            keras.ops.convert_to_numpy(alone(to_backend(x), training=True)),
        )
    else:
        path = str(tmp_path / f"{layer_cls.__name__}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        assert loaded.mixer.get_config() == model.mixer.get_config()
        np.testing.assert_allclose(
            loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
        )


def _next_tf_data_draw(layer, x):
    """The layer's next draw in a ``tf.data`` map (TensorFlow whatever the backend)."""
    return next(iter(tf.data.Dataset.from_tensors(x).map(layer))).numpy()


def check_export_on_backend(layer_cls, init_kwargs, tmp_path):
    """``model.export()`` (TensorFlow and JAX, which exports through
    TensorFlow) serves the identity."""
    if layer_cls.requires_labels:
        return  # mixing layers live in MixingModel.train_step, not in the graph
    inputs = make_inputs(layer_cls, init_kwargs)
    model = keras.Sequential([keras.Input(inputs.shape[1:]), layer_cls(**init_kwargs, seed=1)])
    path = str(tmp_path / "exported")
    model.export(path, verbose=False) if _export_takes_verbose() else model.export(path)
    reloaded = tf.saved_model.load(path)
    np.testing.assert_array_equal(reloaded.serve(inputs), inputs)


#: The names of the checks ``run_backend_check`` runs on the backend in use.
BACKEND_CHECKS = ("backend_calls", "same_transform_as_tensorflow", "in_model", "export")


def backend_check_applies(check, layer_cls):
    """Whether ``check`` means something for ``layer_cls`` on this backend.

    ``export``: only TensorFlow and JAX export (PyTorch cannot), and mixing
    layers live in ``MixingModel.train_step``, not in the exported graph. On
    TensorFlow the battery's own ``export`` check (``run_layer_check``) serves
    the same identity through every layer, mixing layers included.
    ``in_model``: on TensorFlow the battery runs the same ``check_in_model``.
    """
    if check == "export":
        return keras.backend.backend() == "jax" and not layer_cls.requires_labels
    if check == "in_model":
        return keras.backend.backend() != "tensorflow"
    return True


def backend_check_params(cases):
    """``layer_check_params`` over ``BACKEND_CHECKS``, less the checks that
    do not apply (``backend_check_applies``) to a case's layer."""
    return [
        p
        for p in layer_check_params(cases, BACKEND_CHECKS)
        if backend_check_applies(p.values[1], cases[p.values[0]][0])
    ]


def run_backend_check(check, layer_cls, init_kwargs, tmp_path):
    """The one check named ``check`` (from ``BACKEND_CHECKS``) of one layer on
    the Keras backend in use (``KERAS_BACKEND``)."""
    if check == "backend_calls":
        check_backend_calls(layer_cls, init_kwargs)
    elif check == "same_transform_as_tensorflow":
        check_same_transform_as_tensorflow(layer_cls, init_kwargs)
    elif check == "in_model":
        check_in_model(layer_cls, init_kwargs, tmp_path)
    elif check == "export":
        check_export_on_backend(layer_cls, init_kwargs, tmp_path)
    else:
        raise ValueError(f"unknown backend check {check!r}; one of {BACKEND_CHECKS}")


def run_backend_checks(layer_cls, init_kwargs, tmp_path):
    """The checks of one layer on the Keras backend in use (``KERAS_BACKEND``)."""
    for check in BACKEND_CHECKS:
        if backend_check_applies(check, layer_cls):
            run_backend_check(check, layer_cls, init_kwargs, tmp_path)
