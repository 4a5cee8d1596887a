"""Behaviour specific to the mixing layers (the shared checks are elsewhere)."""

import numpy as np
import pytest
import tensorflow as tf

import keras_specmix as ks

X = tf.random.stateless_normal([32, 400, 128, 3], seed=[0, 1])
Y = tf.one_hot(tf.range(32) % 10, 10)


@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
def test_specmix_paper_shaped_batch_in_every_mode(mode):
    layer = ks.SpecMix(gamma=0.3, seed=1, return_mix_info=True)
    call = lambda d: layer(d)  # noqa: E731
    if mode != "eager":
        call = tf.function(call, jit_compile=(mode == "xla"))
    out = call({"spectrograms": X, "labels": Y})
    assert out["spectrograms"].shape == X.shape and out["labels"].shape == (32, 10)
    lam, partner = out["mix_weights"].numpy(), out["partners"].numpy()
    assert (partner != np.arange(32)).all()
    expected = lam[:, None] * Y.numpy() + (1 - lam[:, None]) * Y.numpy()[partner]
    np.testing.assert_allclose(out["labels"], expected, rtol=1e-6, atol=1e-7)
    # Every cell comes from the example itself or from its partner, on all channels.
    x, x_out = X.numpy(), out["spectrograms"].numpy()
    own = (x_out == x).all(-1)
    donor = (x_out == x[partner]).all(-1)
    assert (own | donor).all()
    np.testing.assert_allclose(own.mean((1, 2)), lam, atol=1e-6)


@pytest.mark.parametrize("layer_cls", [ks.MixUp, ks.CutMix, ks.SpecMix])
def test_mixing_layers_refuse_bare_tensors(layer_cls):
    with pytest.raises(ValueError, match="labels"):
        layer_cls(seed=0)(X[:4])


@pytest.mark.parametrize("layer_cls", [ks.MixUp, ks.CutMix, ks.SpecMix])
def test_label_errors_are_clear(layer_cls):
    x = X[:4]
    with pytest.raises(ValueError, match="'labels'"):
        layer_cls()({"spectrograms": x})
    with pytest.raises(ValueError, match="num_classes"):
        layer_cls()({"spectrograms": x, "labels": tf.constant([0, 1, 2, 3])})
    with pytest.raises(TypeError, match="integer"):
        layer_cls(num_classes=4)({"spectrograms": x, "labels": tf.zeros([4])})
    with pytest.raises(ValueError, match="num_classes=3"):
        layer_cls(num_classes=3)({"spectrograms": x, "labels": tf.zeros([4, 5])})
    with pytest.raises(ValueError, match="batch sizes"):
        layer_cls()({"spectrograms": x, "labels": tf.zeros([5, 3])})


@pytest.mark.parametrize("labels", [[0, 1, 4, 2], [0, -1, 2, 3]])
@pytest.mark.parametrize("mode", ["eager", "graph", "tf.data"])
def test_out_of_range_sparse_labels_fail_loudly(mode, labels):
    """tf.one_hot would turn them into all-zero targets without a word."""
    layer = ks.SpecMix(num_classes=4, seed=0)
    data = {"spectrograms": X[:4], "labels": tf.constant(labels)}
    expected = r"SpecMix: sparse labels must be class ids in \[0, 4\)(.|\n)*" + r"\W+".join(
        map(str, labels)
    )
    error = ValueError if mode == "eager" else tf.errors.InvalidArgumentError
    with pytest.raises(error, match=expected):
        if mode == "eager":
            layer(data)
        elif mode == "graph":
            tf.function(layer.__call__)(data)
        else:
            ds = tf.data.Dataset.from_tensors((data["spectrograms"], data["labels"]))
            list(ks.data.augment_dataset(ds, layer, seed=1))


def test_label_range_check_stays_out_of_xla_graphs():
    """XLA has no Assert op: the check is left out there, and the layer compiles."""
    layer = ks.MixUp(num_classes=4, seed=0)
    fn = tf.function(lambda d: layer(d), jit_compile=True)
    data = {"spectrograms": X[:4], "labels": tf.constant([0, 1, 2, 3])}
    hlo = fn.experimental_get_compiler_ir(data)(stage="hlo")
    assert "sparse labels must be class ids" not in hlo
    assert fn(data)["labels"].shape == (4, 4)
    graph = tf.function(lambda d: layer(d)).get_concrete_function(data).graph
    assert any(op.type == "Assert" for op in graph.get_operations())


@pytest.mark.parametrize("layer_cls", [ks.MixUp, ks.CutMix, ks.SpecMix])
def test_sparse_and_one_hot_labels_mix_identically(layer_cls):
    sparse = tf.range(8) % 4
    a = layer_cls(num_classes=4, seed=3)({"spectrograms": X[:8], "labels": sparse})
    b = layer_cls(seed=3)({"spectrograms": X[:8], "labels": tf.one_hot(sparse, 4)})
    np.testing.assert_array_equal(a["spectrograms"], b["spectrograms"])
    np.testing.assert_array_equal(a["labels"], b["labels"])
    assert a["labels"].dtype == tf.float32


def test_soft_labels_keep_their_float_dtype_and_sum_to_one():
    soft = tf.nn.softmax(tf.random.stateless_normal([8, 5], seed=[2, 2], dtype=tf.float64))
    out = ks.MixUp(seed=0)({"spectrograms": X[:8], "labels": soft})
    assert out["labels"].dtype == tf.float64
    np.testing.assert_allclose(tf.reduce_sum(out["labels"], 1), 1.0, rtol=1e-9)


def test_mixup_output_is_the_convex_combination():
    out = ks.MixUp(alpha=0.4, seed=5, return_mix_info=True)(
        {"spectrograms": X[:6], "labels": Y[:6]}
    )
    lam = out["mix_weights"].numpy()[:, None, None, None]
    expected = lam * X[:6].numpy() + (1 - lam) * X.numpy()[out["partners"].numpy()]
    np.testing.assert_allclose(out["spectrograms"], expected, rtol=1e-5, atol=1e-6)


def test_cutmix_axes_variants_paste_full_spans():
    x = tf.broadcast_to(tf.range(1.0, 9.0)[:, None, None], [8, 40, 20])
    for axes, span_axis in (("time", 2), ("freq", 1)):
        out = ks.CutMix(axes=axes, alpha=1.0, seed=2)({"spectrograms": x, "labels": Y[:8]})
        changed = (out["spectrograms"] != x).numpy()
        # A time box spans all bins: each frame is all-changed or all-kept.
        assert (changed.all(span_axis) == changed.any(span_axis)).all(), axes


def test_prob_zero_is_the_identity_in_training():
    out = ks.SpecMix(prob=0.0, seed=1)({"spectrograms": X[:8], "labels": Y[:8]})
    np.testing.assert_array_equal(out["spectrograms"], X[:8])
    np.testing.assert_array_equal(out["labels"], Y[:8])


def test_inside_a_model_predict_is_identity_and_direct_call_augments():
    import keras

    inputs = {
        "spectrograms": keras.Input((400, 128, 3), name="spectrograms"),
        "labels": keras.Input((10,), name="labels"),
    }
    layer = ks.SpecMix(seed=0)
    model = keras.Model(inputs, layer(inputs))
    data = {"spectrograms": X[:4], "labels": Y[:4]}
    np.testing.assert_array_equal(model(data)["spectrograms"], X[:4])  # like Dropout
    np.testing.assert_array_equal(model.predict(data, verbose=0)["spectrograms"], X[:4])
    assert not np.array_equal(model(data, training=True)["spectrograms"], X[:4])
    assert not np.array_equal(layer(data)["spectrograms"], X[:4])


def test_mixing_layer_on_a_bare_keras_tensor_says_to_use_mixing_model():
    import keras

    with pytest.raises(ValueError, match="MixingModel"):
        keras.Sequential([keras.Input((40, 16, 1)), ks.SpecMix()])


@pytest.mark.parametrize("layer_cls", [ks.MixUp, ks.CutMix, ks.SpecMix])
@pytest.mark.parametrize("mode", ["eager", "graph-unknown-time", "xla"])
def test_padded_batches_keep_padding_and_take_partner_frames_only_where_they_exist(layer_cls, mode):
    x = tf.random.stateless_normal([8, 40, 16, 2], seed=[5, 6])
    lengths = tf.constant([40, 9, 25, 31, 0, 40, 17, 3])
    data = {"spectrograms": x, "labels": tf.range(8) % 4, "lengths": lengths}
    layer = layer_cls(num_classes=4, seed=0, return_mix_info=True)
    if mode == "eager":
        out = layer.augment(data, tf.constant([1, 2]))
    else:
        signature = None
        if mode == "graph-unknown-time":
            signature = [
                {
                    "spectrograms": tf.TensorSpec([8, None, 16, 2]),
                    "labels": tf.TensorSpec([8], tf.int32),
                    "lengths": tf.TensorSpec([8], tf.int32),
                }
            ]
        fn = tf.function(
            lambda d: layer.augment(d, tf.constant([1, 2])),
            input_signature=signature,
            jit_compile=mode == "xla",
        )
        out = fn(data)
    x_out, lam, partner = (out[k].numpy() for k in ("spectrograms", "mix_weights", "partners"))
    x = x.numpy()
    np.testing.assert_array_equal(out["lengths"], lengths)  # passed through
    n = lengths.numpy()
    for b in range(8):
        span = min(n[b], n[partner[b]])
        np.testing.assert_array_equal(x_out[b, span:], x[b, span:])  # padding, own tail
        if layer_cls is not ks.MixUp:  # every valid cell is the example's or its partner's
            own = (x_out[b] == x[b]).all(-1)
            assert ((x_out[b] == x[partner[b]]).all(-1) | own).all()
            assert lam[b] == pytest.approx(
                own[: n[b]].sum() / (n[b] * 16) if n[b] else 1.0, abs=1e-6
            )
    assert lam[4] == 1.0  # the empty clip


@pytest.mark.parametrize("layer_cls", [ks.MixUp, ks.CutMix, ks.SpecMix])
def test_full_lengths_and_padding_masks_change_nothing(layer_cls):
    x = tf.random.stateless_normal([6, 30, 12, 1], seed=[7, 8])
    y = tf.range(6) % 3
    layer = layer_cls(num_classes=3, seed=0)
    seed = tf.constant([4, 4])
    plain = layer.augment({"spectrograms": x, "labels": y}, seed)
    full = layer.augment({"spectrograms": x, "labels": y, "lengths": tf.fill([6], 30)}, seed)
    for key in ("spectrograms", "labels"):
        np.testing.assert_array_equal(full[key], plain[key])
    lengths = tf.constant([30, 12, 5, 22, 30, 1])
    by_lengths = layer.augment({"spectrograms": x, "labels": y, "lengths": lengths}, seed)
    mask = tf.sequence_mask(lengths, 30)
    by_mask = layer.augment({"spectrograms": x, "labels": y, "padding_mask": mask}, seed)
    for key in ("spectrograms", "labels"):
        np.testing.assert_array_equal(by_mask[key], by_lengths[key])


@pytest.mark.parametrize("layer_cls", [ks.CutMix, ks.SpecMix])
def test_max_label_rule_marks_classes_of_both_parts_present(layer_cls):
    multi_hot = tf.constant((np.random.default_rng(0).random((8, 6)) > 0.5).astype("float32"))
    layer = layer_cls(label_rule="max", return_mix_info=True, seed=2)
    out = layer({"spectrograms": X[:8], "labels": multi_hot})
    y, lam, partner = multi_hot.numpy(), out["mix_weights"].numpy(), out["partners"].numpy()
    for b in range(8):
        both = np.maximum(y[b], y[partner[b]])
        expected = y[b] if lam[b] >= 1 else y[partner[b]] if lam[b] <= 0 else both
        np.testing.assert_array_equal(out["labels"][b], expected)
