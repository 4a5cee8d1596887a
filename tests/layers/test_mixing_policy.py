"""MixingPolicy: choice frequencies, one partner per example, output of the mixer applied."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

import keras_specmix as ks
from keras_specmix.ops import policy

X = tf.random.stateless_normal([12, 30, 16, 2], seed=[1, 2])
Y = tf.range(12) % 4


def test_choice_frequencies_follow_probs():
    """6000 per-example draws: counts match [0.2, 0.3, 0.5] (chi-square p > 1e-3)."""
    choice = policy.sample_policy_choice(tf.constant([4, 4]), 6000, [0.2, 0.3, 0.5])["choice"]
    counts = np.bincount(choice.numpy(), minlength=3)
    assert stats.chisquare(counts, 6000 * np.array([0.2, 0.3, 0.5])).pvalue > 1e-3, counts


def test_zero_probability_is_never_chosen_and_batch_mode_shares_one_choice():
    choice = policy.sample_policy_choice(tf.constant([0, 1]), 5000, [0.5, 0.0, 0.5])["choice"]
    assert 1 not in set(choice.numpy().tolist())
    per_batch = [
        policy.sample_policy_choice(tf.constant([s, 0]), 8, [0.25, 0.75], "batch")["choice"].numpy()
        for s in range(400)
    ]
    assert all(len(set(c)) == 1 for c in per_batch)
    share = np.mean([c[0] for c in per_batch])
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 400), share  # 4 standard errors


@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_each_example_gets_the_output_of_the_mixer_chosen(mode):
    layer = ks.MixingPolicy(
        [ks.MixUp(alpha=1.0), ks.CutMix(alpha=1.0)], num_classes=4, return_mix_info=True, seed=0
    )
    fn = lambda d: layer(d, training=True)  # noqa: E731
    if mode == "xla":
        fn = tf.function(fn, jit_compile=True)
    out = fn({"spectrograms": X, "labels": Y})
    x, x_out = X.numpy(), out["spectrograms"].numpy()
    y = np.eye(4)[Y.numpy()]
    lam, partner, method = (out[k].numpy() for k in ("mix_weights", "partners", "mix_methods"))
    assert set(method.tolist()) == {0, 1}  # both used in 12 examples (P(fail) = 2·0.5^12)
    assert (partner != np.arange(12)).all()
    np.testing.assert_allclose(
        out["labels"], lam[:, None] * y + (1 - lam[:, None]) * y[partner], atol=1e-6
    )
    for b in range(12):
        if method[b] == 0:  # MixUp: the convex combination
            np.testing.assert_allclose(
                x_out[b], lam[b] * x[b] + (1 - lam[b]) * x[partner[b]], atol=1e-5
            )
        else:  # CutMix: every cell is its own or the partner's; λ is the share kept
            own = (x_out[b] == x[b]).all(-1)
            assert (own | (x_out[b] == x[partner[b]]).all(-1)).all()
            assert lam[b] == pytest.approx(own.mean(), abs=1e-6)


def test_prob_zero_and_inference_report_no_method():
    layer = ks.MixingPolicy(
        [ks.MixUp(), ks.SpecMix()], prob=0.0, num_classes=4, return_mix_info=True
    )
    out = layer({"spectrograms": X, "labels": Y})
    np.testing.assert_array_equal(out["spectrograms"], X)
    assert (out["mix_methods"].numpy() == -1).all() and (out["mix_weights"].numpy() == 1).all()
    idle = layer({"spectrograms": X, "labels": Y}, training=False)
    assert (idle["mix_methods"].numpy() == -1).all()


def test_policy_trains_inside_mixing_model_and_round_trips(tmp_path):
    net = keras.Sequential(
        [keras.Input((30, 16, 2)), keras.layers.Flatten(), keras.layers.Dense(4, "softmax")]
    )
    model = ks.MixingModel(
        net, ks.MixingPolicy([ks.MixUp(), ks.CutMix()], probs=[0.3, 0.7], num_classes=4, seed=1)
    )
    model.compile("adam", "categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.mixer.get_config() == model.mixer.get_config()
    assert [type(m) for m in loaded.mixer.mixers] == [ks.MixUp, ks.CutMix]


def test_bad_mixers_are_refused_by_type():
    with pytest.raises(TypeError, match="mixers"):
        ks.MixingPolicy([ks.SpecAugment()])


# ------------------------------------------------ nesting, label rules, mix info
def _indexed(batch, time=8, freq=6):
    """Examples that are constants equal to their index: the partner is read off the output."""
    return tf.constant(
        np.arange(batch, dtype="float32")[:, None, None, None] * np.ones([1, time, freq, 1])
    )


def _partner_used(x_out, lam):
    """The partner each example's output came from (its own index where λ = 1).

    A region mixer leaves cells of ``b`` and of ``p`` (the one that is not ``b``
    is ``p``); a uniform output is MixUp's ``λ·b + (1 − λ)·p`` (or a region
    covering everything, λ = 0), so ``p = (v − λ·b) / (1 − λ)``.
    """
    used = []
    for b, (cells, weight) in enumerate(zip(np.asarray(x_out), np.asarray(lam))):
        values = np.unique(cells)
        if weight >= 1:
            used.append(b)
        elif len(values) == 2:
            used.append(int(values[values != b][0]))
        else:
            used.append(int(round((values[0] - weight * b) / (1 - weight))))
    return used


@pytest.mark.parametrize(
    "inner",
    [
        lambda: ks.MixingPolicy([ks.MixUp(alpha=1.0)], seed=3),
        lambda: ks.MixingPolicy([ks.MixingPolicy([ks.CutMix(alpha=1.0)], seed=4)], seed=3),
        lambda: ks.MixingPolicy([ks.SpecMix(gamma=0.4), ks.MixUp(alpha=1.0)], seed=5),
    ],
    ids=["depth2-mixup", "depth3-cutmix", "depth2-two-mixers"],
)
def test_nested_policies_report_the_partner_they_used(inner):
    """Issue 20 item 2: a policy inside a policy mixed with its own partner."""
    layer = ks.MixingPolicy([inner()], return_mix_info=True, seed=0)
    x, y = _indexed(6), tf.eye(6)
    out = layer({"spectrograms": x, "labels": y})
    lam, reported = out["mix_weights"].numpy(), out["partners"].numpy()
    used = _partner_used(out["spectrograms"], lam)
    mixed = lam < 1
    assert mixed.sum() >= 3, lam
    np.testing.assert_array_equal(reported[mixed], np.asarray(used)[mixed])
    expected = lam[:, None] * np.eye(6) + (1 - lam[:, None]) * np.eye(6)[reported]
    np.testing.assert_allclose(out["labels"], expected, atol=1e-6)


def test_loss_mixing_model_packs_the_partner_a_nested_policy_used():
    policy = ks.MixingPolicy([ks.MixingPolicy([ks.MixUp(alpha=1.0)], seed=3)], seed=0)
    net = keras.Sequential([keras.Input((8, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(6)])
    model = ks.losses.LossMixingModel(net, policy)
    x, y = _indexed(6), tf.eye(6)
    x_out, packed = model._through_mixer((x, y), training=True)
    packed = np.asarray(packed)
    lam = packed[:, -1]
    used = _partner_used(x_out, lam)
    mixed = lam < 1
    assert mixed.sum() >= 3, lam
    np.testing.assert_array_equal(packed[mixed, 6:12], np.eye(6)[np.asarray(used)[mixed]])


@pytest.mark.parametrize("nested", [False, True])
def test_each_mixer_keeps_its_own_label_rule(nested):
    """Issue 20 item 3: CutMix(label_rule="max") in a policy gives max labels, not soft ones."""
    y = tf.constant((np.random.default_rng(3).random((8, 5)) > 0.5).astype("float32"))
    cutmix = ks.CutMix(alpha=1.0, label_rule="max")
    mixers = [ks.MixingPolicy([cutmix], seed=2)] if nested else [cutmix]
    # MixUp keeps the convex rule in the same policy.
    layer = ks.MixingPolicy(mixers + [ks.MixUp(alpha=1.0)], return_mix_info=True, seed=1)
    out = layer({"spectrograms": _indexed(8), "labels": y})
    labels, lam = out["labels"].numpy(), out["mix_weights"].numpy()
    partner, method = out["partners"].numpy(), out["mix_methods"].numpy()
    y = y.numpy()
    assert {0, 1} <= set(method.tolist()), method
    for b in range(8):
        if method[b] == 0 and 0 < lam[b] < 1:
            np.testing.assert_array_equal(labels[b], np.maximum(y[b], y[partner[b]]))
        elif method[b] == 1:
            np.testing.assert_allclose(
                labels[b], lam[b] * y[b] + (1 - lam[b]) * y[partner[b]], atol=1e-6
            )


def test_a_policy_label_rule_is_refused_naming_the_mixers():
    with pytest.raises(ValueError, match="label_rule.*each mixer"):
        ks.MixingPolicy([ks.CutMix(), ks.SpecMix()], label_rule="max")


@pytest.mark.parametrize(
    "mixers",
    [
        lambda: [ks.MixUp(prob=0.0)],
        lambda: [ks.SpecMix(max_freq_bands=0, max_time_bands=0)],
        lambda: [ks.MixingPolicy([ks.CutMix(prob=0.0)])],
    ],
    ids=["mixup-prob0", "specmix-no-bands", "nested-prob0"],
)
def test_mix_methods_is_minus_one_for_every_unmixed_example(mixers):
    """Issue 20 item 10: whatever left an example unmixed, its method is −1."""
    x = tf.random.stateless_normal([8, 10, 6, 1], [1, 2])
    layer = ks.MixingPolicy(mixers(), num_classes=4, return_mix_info=True, seed=0)
    out = layer({"spectrograms": x, "labels": tf.range(8) % 4})
    np.testing.assert_array_equal(out["spectrograms"], x)
    np.testing.assert_array_equal(out["mix_weights"], np.ones(8))
    np.testing.assert_array_equal(out["mix_methods"], -np.ones(8))


def test_mix_methods_names_the_mixer_of_every_mixed_example():
    layer = ks.MixingPolicy(
        [ks.SpecMix(gamma=0.3), ks.MixUp(alpha=1.0)], num_classes=4, return_mix_info=True, seed=0
    )
    out = layer({"spectrograms": _indexed(64), "labels": tf.range(64) % 4})
    lam, method = out["mix_weights"].numpy(), out["mix_methods"].numpy()
    np.testing.assert_array_equal(method == -1, lam >= 1)
    assert set(method.tolist()) == {-1, 0, 1}, method  # SpecMix leaves ~1 in 9 unmixed
