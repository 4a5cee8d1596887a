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
