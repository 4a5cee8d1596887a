"""Loss-side mixing (MixedLoss, LossMixingModel) and the multi-label "max" label rule."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import keras_specmix as ks
from keras_specmix.losses import LossMixingModel
from keras_specmix.losses import MixedLoss
from keras_specmix.losses import pack_mixed_targets
from keras_specmix.ops.label_rules import mix_labels

RNG = np.random.default_rng(0)
Y = tf.constant((RNG.random((6, 4)) > 0.5).astype("float32"))  # multi-hot
P = tf.constant(RNG.uniform(0.05, 0.95, (6, 4)).astype("float32"))
PARTNER = tf.constant([2, 0, 1, 5, 3, 4])
LAM = tf.constant([0.0, 0.2, 0.5, 0.7, 1.0, 0.35])

LOSSES = [
    keras.losses.BinaryCrossentropy(),
    keras.losses.BinaryFocalCrossentropy(gamma=2.0),
    keras.losses.MeanSquaredError(),
    keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
    "binary_crossentropy",
    keras.losses.huber,
]


@pytest.mark.parametrize(
    "loss", LOSSES, ids=lambda loss: getattr(loss, "name", getattr(loss, "__name__", str(loss)))
)
def test_mixed_loss_is_the_weighted_sum_of_the_two_losses(loss):
    inner = keras.losses.get(loss)
    per_example = inner.call if isinstance(inner, keras.losses.Loss) else inner
    y_partner = tf.gather(Y, PARTNER)
    expected = LAM * per_example(Y, P) + (1 - LAM) * per_example(y_partner, P)
    packed = pack_mixed_targets(Y, PARTNER, LAM)
    weights = tf.constant([1.0, 2.0, 0.0, 1.0, 0.5, 1.0])
    np.testing.assert_allclose(MixedLoss(loss)(packed, P), np.mean(expected), rtol=1e-5)
    np.testing.assert_allclose(
        MixedLoss(loss)(packed, P, sample_weight=weights), np.mean(expected * weights), rtol=1e-5
    )
    # Plain targets: the loss itself (evaluate passes unmixed labels).
    np.testing.assert_allclose(MixedLoss(loss)(Y, P), np.mean(per_example(Y, P)), rtol=1e-5)


def test_loss_side_and_target_side_agree_for_cross_entropy_and_differ_for_others():
    """Cross-entropies are linear in the target, so mixing the loss equals
    mixing the labels; for focal and squared losses it does not."""
    packed = pack_mixed_targets(Y, PARTNER, LAM)
    soft = mix_labels(Y, PARTNER, LAM)
    bce = keras.losses.BinaryCrossentropy()
    np.testing.assert_allclose(MixedLoss(bce)(packed, P), bce(soft, P), rtol=1e-5)
    for loss in (keras.losses.MeanSquaredError(), keras.losses.BinaryFocalCrossentropy(gamma=2.0)):
        assert abs(float(MixedLoss(loss)(packed, P)) - float(loss(soft, P))) > 1e-4


def test_wrong_target_width_raises_naming_the_shapes():
    with pytest.raises(ValueError, match="y_true.shape"):
        MixedLoss("mse")(tf.zeros([6, 5]), P)
    with pytest.raises(ValueError, match="loss"):
        MixedLoss("no_such_loss")


def test_mixed_loss_round_trips_its_config():
    loss = MixedLoss(keras.losses.BinaryFocalCrossentropy(gamma=3.0), name="focal_mix")
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert revived.name == "focal_mix" and revived.loss.gamma == 3.0
    packed = pack_mixed_targets(Y, PARTNER, LAM)
    np.testing.assert_allclose(revived(packed, P), loss(packed, P))


def _net():
    return keras.Sequential(
        [keras.Input((20, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(4, "sigmoid")]
    )


def test_loss_mixing_model_trains_multi_label_saves_and_evaluates_plain(tmp_path):
    x = RNG.random((16, 20, 8, 1)).astype("float32")
    y = (RNG.random((16, 4)) > 0.6).astype("float32")
    model = LossMixingModel(_net(), ks.SpecMix(seed=0))
    model.compile("adam", "binary_crossentropy", metrics=["binary_accuracy"])
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert 0 <= history.history["binary_accuracy"][-1] <= 1
    plain = keras.losses.BinaryCrossentropy()(y, model.predict(x, verbose=0))
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0)[0], plain, rtol=1e-4)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded, LossMixingModel)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_the_training_loss_is_the_mixed_loss_of_the_mixer_draw():
    """One train step's loss equals MixedLoss on the mixer's own draw."""
    x = RNG.random((8, 20, 8, 1)).astype("float32")
    y = (RNG.random((8, 4)) > 0.5).astype("float32")
    mixer = ks.CutMix(seed=4)
    model = LossMixingModel(_net(), mixer)
    model.compile(keras.optimizers.SGD(0.0), keras.losses.BinaryFocalCrossentropy())
    state = mixer._seeds.variable().numpy()
    logs = model.train_on_batch(x, y, return_dict=True)
    mixer._seeds.variable().assign(state)
    out = mixer({"spectrograms": x, "labels": y}, training=True)
    packed = pack_mixed_targets(y, out["partners"], out["mix_weights"])
    expected = MixedLoss(keras.losses.BinaryFocalCrossentropy())(packed, model(out["spectrograms"]))
    np.testing.assert_allclose(logs["loss"], expected, rtol=1e-5)


def test_sparse_losses_are_still_refused():
    model = LossMixingModel(_net(), ks.MixUp(num_classes=4))
    with pytest.raises(ValueError, match="sparse"):
        model.compile("adam", "sparse_categorical_crossentropy")


# ------------------------------------------------------------- label rules
def test_max_rule_keeps_every_class_present_in_either_part():
    y = tf.constant([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    out = mix_labels(y, tf.constant([1, 2, 0]), tf.constant([0.6, 0.0, 1.0]), "max").numpy()
    assert out.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    with pytest.raises(ValueError, match="rule"):
        mix_labels(y, tf.constant([1, 2, 0]), tf.constant([0.6, 0.0, 1.0]), "min")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0, width=32, allow_subnormal=False), min_size=4, max_size=4),
    st.permutations([0, 1, 2, 3]),
    st.integers(0, 2**31 - 1),
)
def test_max_rule_invariants(lams, perm, seed):
    y = (np.random.default_rng(seed).random((4, 5)) > 0.5).astype("float32")
    out = mix_labels(
        tf.constant(y), tf.constant(perm), tf.constant(lams, tf.float32), "max"
    ).numpy()
    for b, lam in enumerate(np.float32(lams)):
        if lam >= 1:
            np.testing.assert_array_equal(out[b], y[b])
        elif lam <= 0:
            np.testing.assert_array_equal(out[b], y[perm[b]])
        else:
            np.testing.assert_array_equal(out[b], np.maximum(y[b], y[perm[b]]))
