"""Issue 22 item 5: teacher targets mixed with the inputs' partner and λ; KD loss at T."""

import keras
import numpy as np
import pytest
from scipy import special

import keras_specmix as ks
from keras_specmix.distillation import DistillationLoss
from keras_specmix.distillation import kd_divergence
from keras_specmix.distillation import mix_targets

B, T, F, C = 6, 5, 8, 6


def _net(width, seed):
    return keras.Sequential(
        [
            keras.Input((T, F, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(
                width, "relu", kernel_initializer=keras.initializers.GlorotUniform(seed)
            ),
            keras.layers.Dense(C, kernel_initializer=keras.initializers.GlorotUniform(seed + 1)),
        ]
    )


def _marked_inputs():
    """Example b holds 1 at frequency bin b and 0 elsewhere: a mix shows λ and the partner."""
    x = np.zeros([B, T, F, 1], "float32")
    for b in range(B):
        x[b, :, b, 0] = 1.0
    return x


@pytest.mark.parametrize(
    "mixer",
    [
        ks.MixUp(alpha=1.0, num_classes=C, seed=3),
        ks.CutMix(axes="freq", alpha=1.0, num_classes=C, seed=4),
        ks.SpecMix(gamma=0.3, num_classes=C, seed=5),
    ],
    ids=["MixUp", "CutMix", "SpecMix"],
)
def test_teacher_targets_are_mixed_with_the_inputs_partner_and_lambda(mixer):
    """Each example is its own class (C = B): the mixed labels show λ and the
    partner; for MixUp the inputs show them too (example b is 1 on bin b)."""
    x = _marked_inputs()
    y = np.arange(B)
    teacher_logits = np.random.default_rng(0).normal(size=[B, C]).astype("float32") * 3
    model = ks.DistillationModel(_net(4, 0), mixer, temperature=2.5)
    data = keras.tree.map_structure(
        keras.ops.convert_to_tensor, (x, {"labels": y, "teacher_logits": teacher_logits})
    )
    x_out, packed = (keras.ops.convert_to_numpy(t) for t in model._through_mixer(data, True))
    probs = special.softmax(teacher_logits.astype("float64") / 2.5, axis=-1)
    mixed_any = False
    for b in range(B):
        labels = packed[b, :C]
        lam = labels[b]
        others = np.delete(np.arange(C), b)
        partner = others[np.argmax(labels[others])] if lam < 1.0 else b
        mixed_any |= lam < 1.0
        if isinstance(mixer, ks.MixUp) and lam < 1.0:
            # The inputs tell the same partner and λ.
            np.testing.assert_allclose(x_out[b, :, b, 0], lam, rtol=1e-6)
            np.testing.assert_allclose(x_out[b, :, partner, 0], 1 - lam, rtol=1e-6)
        expected = lam * probs[b] + (1 - lam) * probs[partner]
        np.testing.assert_allclose(packed[b, C:], expected, rtol=1e-5, atol=1e-6)
    assert mixed_any


def test_mix_targets_any_rank():
    t = np.arange(12, dtype="float32").reshape(3, 2, 2)
    out = keras.ops.convert_to_numpy(mix_targets(t, np.array([2, 0, 1]), np.array([0.5, 1.0, 0.0])))
    np.testing.assert_allclose(out[0], 0.5 * t[0] + 0.5 * t[2])
    np.testing.assert_allclose(out[1], t[1])
    np.testing.assert_allclose(out[2], t[1])


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.5])
def test_kd_divergence_matches_numpy(temperature):
    rng = np.random.default_rng(int(temperature * 10))
    teacher = special.softmax(rng.normal(size=[16, 7]) * 2, axis=-1).astype("float32")
    teacher[0, 3] = 0.0  # a zero teacher probability counts 0
    teacher[0] /= teacher[0].sum()
    student = (rng.normal(size=[16, 7]) * 3).astype("float32")
    q = special.log_softmax(student.astype("float64") / temperature, axis=-1)
    p = teacher.astype("float64")
    expected = temperature**2 * np.sum(special.xlogy(p, p) - p * q, axis=-1)
    got = keras.ops.convert_to_numpy(kd_divergence(teacher, student, temperature))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    loss = DistillationLoss(temperature, kd_weight=0.3, reduction=None)
    labels = np.eye(7, dtype="float32")[rng.integers(0, 7, 16)]
    ce = -np.sum(labels * special.log_softmax(student.astype("float64"), axis=-1), axis=-1)
    both = keras.ops.convert_to_numpy(loss(np.concatenate([labels, teacher], 1), student))
    np.testing.assert_allclose(both, 0.7 * ce + 0.3 * expected, rtol=1e-5, atol=1e-5)
    plain = keras.ops.convert_to_numpy(loss(labels, student))
    np.testing.assert_allclose(plain, ce, rtol=1e-5, atol=1e-5)


def test_distillation_loss_refuses_other_widths():
    with pytest.raises(ValueError, match="columns"):
        DistillationLoss()(np.zeros([2, 5], "float32"), np.zeros([2, 3], "float32"))
    with pytest.raises(ValueError, match="temperature"):
        DistillationLoss(temperature=0.0)


@pytest.mark.parametrize("precomputed", [False, True])
def test_fit_with_jit_compile(precomputed):
    """On this backend (CI: TensorFlow and JAX), fit under jit_compile learns and stays finite."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=[48, T, F, 1]).astype("float32")
    y = (x[:, :, :C, 0].mean(axis=1).argmax(axis=1)).astype("int32")
    teacher = _net(32, 10)
    teacher_logits = keras.ops.convert_to_numpy(teacher(x))
    model = ks.DistillationModel(
        _net(8, 20),
        ks.MixUp(alpha=0.4, num_classes=C, seed=0),
        teacher=None if precomputed else teacher,
        temperature=2.0,
        kd_weight=0.5,
    )
    model.compile(keras.optimizers.Adam(1e-2), metrics=["accuracy"], jit_compile=True)
    labels = {"labels": y, "teacher_logits": teacher_logits} if precomputed else y
    history = model.fit(x, labels, batch_size=16, epochs=3, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    if not precomputed:
        # The teacher is frozen.
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(teacher(x)), teacher_logits)
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    assert np.isfinite(result["loss"])


def test_fit_without_teacher_logits_names_the_fix():
    model = ks.DistillationModel(_net(4, 0), ks.MixUp(num_classes=C, seed=0))
    model.compile("adam")
    with pytest.raises(ValueError, match="teacher"):
        model.fit(np.zeros([4, T, F, 1], "float32"), np.arange(4) % C, verbose=0)
    with pytest.raises(ValueError, match="DistillationLoss"):
        model.compile("adam", loss="categorical_crossentropy")
