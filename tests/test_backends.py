"""Checks that must hold under every Keras backend (``KERAS_BACKEND``).

In ``tf.data`` the layers run on TensorFlow whatever the backend, as
Keras' own preprocessing layers do: they augment, parallel calls never share
a draw, and ``augment_dataset`` is reproducible. CI runs this module with
``KERAS_BACKEND=jax`` and ``KERAS_BACKEND=torch`` as well as TensorFlow.
"""

import keras
import numpy as np
import pytest
from scipy import stats

from keras_specmix.ops import _backend as ks_backend
from keras_specmix.ops import mixing as ks_mixing
from keras_specmix.ops import random as ks_random
from keras_specmix.ops import spec_augment as ks_spec_augment
from tests.layer_checks import TF_DATA_CHECKS
from tests.layer_checks import backend_check_params
from tests.layer_checks import layer_check_params
from tests.layer_checks import run_backend_check
from tests.layer_checks import run_tf_data_check
from tests.layers.test_device_layers_common import CASES as DEVICE_CASES
from tests.layers.test_mixing_layers_common import CASES as MIXING_CASES
from tests.layers.test_mixstyle_filter_policy_common import CASES as MIXSTYLE_FILTER_POLICY_CASES
from tests.layers.test_spec_augment_layers import CASES as MASKING_CASES

CASES = {**MIXING_CASES, **MASKING_CASES, **MIXSTYLE_FILTER_POLICY_CASES, **DEVICE_CASES}
BACKEND = keras.backend.backend()


def test_the_backend_is_the_one_ci_asked_for():
    import os

    assert keras.backend.backend() == os.environ.get("KERAS_BACKEND", "tensorflow")


@pytest.mark.parametrize(("name", "check"), layer_check_params(CASES, TF_DATA_CHECKS))
def test_layers_augment_in_tf_data_on_this_backend(name, check):
    layer_cls, kwargs, _ = CASES[name]
    run_tf_data_check(check, layer_cls, kwargs)


@pytest.mark.parametrize(("name", "check"), backend_check_params(CASES))
def test_layers_on_this_backend(name, check, tmp_path):
    layer_cls, kwargs, _ = CASES[name]
    run_backend_check(check, layer_cls, kwargs, tmp_path)


# ------------------------------------------------------------ statistics
# The same statistical checks as tests/ops, on this backend's own random
# primitives (JAX's threefry, PyTorch's generator, TensorFlow's Philox).
def _seed(a, b):
    return keras.ops.convert_to_tensor(np.array([a, b], "int32"))


@pytest.mark.parametrize("alpha", [0.2, 1.0, 3.0])
def test_beta_draws_follow_the_beta_law_on_this_backend(alpha):
    draws = keras.ops.convert_to_numpy(
        ks_random.stateless_beta(_seed(1, alpha * 10), [4000], alpha)
    )
    assert ks_backend.backend_of(ks_random.stateless_beta(_seed(1, 2), [2], alpha)) == BACKEND
    # Kolmogorov-Smirnov against scipy's Beta(alpha, alpha): a correct
    # sampler fails at p < 1e-3 one time in a thousand.
    assert stats.kstest(draws, stats.beta(alpha, alpha).cdf).pvalue > 1e-3


def test_partners_are_a_derangement_on_this_backend():
    for i in range(20):
        partner = keras.ops.convert_to_numpy(ks_random.pair_indices(_seed(i, 3), 16))
        assert sorted(partner.tolist()) == list(range(16))
        assert not np.any(partner == np.arange(16))


def test_mask_widths_are_uniform_on_this_backend():
    params = ks_spec_augment.sample_freq_mask_params(_seed(4, 4), 3000, 64, 9, 2)
    widths = keras.ops.convert_to_numpy(params["freq_widths"]).ravel()
    counts = np.bincount(widths, minlength=10)
    assert counts.shape == (10,)  # widths in {0, ..., F}
    # Chi-square against uniform on {0, ..., 9}: fails one time in 10^4.
    assert stats.chisquare(counts).pvalue > 1e-4
    starts = keras.ops.convert_to_numpy(params["freq_starts"]).ravel()
    assert np.all(starts + widths <= 64) and np.all(starts >= 0)


def test_specmix_lambda_is_the_share_kept_on_this_backend():
    x = keras.ops.convert_to_tensor(np.zeros([512, 40, 32, 1], "float32"))
    y = keras.ops.convert_to_tensor(np.eye(4, dtype="float32")[np.arange(512) % 4])
    params = ks_mixing.sample_specmix_params(_seed(8, 1), 512, 40, 32)
    x_marked = keras.ops.convert_to_tensor(
        np.arange(512, dtype="float32")[:, None, None, None] * np.ones([1, 40, 32, 1], "float32")
    )
    out, _, lam = ks_mixing.apply_specmix(x_marked, y, params)
    out, lam = keras.ops.convert_to_numpy(out), keras.ops.convert_to_numpy(lam)
    own = (out == np.arange(512)[:, None, None, None]).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(lam, own, atol=1e-6)
    # gamma = 0.3, 0-2 bands per axis: about 1 example in 9 is left unmixed.
    assert 0.05 < np.mean(lam == 1.0) < 0.2
    del x


def test_loss_side_mixing_runs_in_tf_data_on_this_backend():
    """Issue 20 item 6: pack_mixed_targets in a tf.data map, as docs/new_augmentations.md shows."""
    import tensorflow as tf

    import keras_specmix as ks

    x = np.arange(6, dtype="float32")[:, None, None, None] * np.ones([1, 8, 6, 1], "float32")
    y = np.eye(6, dtype="float32")
    mixer = ks.MixUp(alpha=1.0, return_mix_info=True, seed=0)

    def pack(d):
        d = mixer({**d, "targets": d["labels"]})
        packed = ks.losses.pack_mixed_targets(d["targets"], d["partners"], d["mix_weights"])
        return d["spectrograms"], packed, d["partners"], d["mix_weights"]

    ds = tf.data.Dataset.from_tensors({"spectrograms": x, "labels": y}).map(pack)
    x_out, packed, partners, lam = (t.numpy() for t in next(iter(ds)))
    np.testing.assert_array_equal(packed[:, :6], y)
    np.testing.assert_array_equal(packed[:, 6:12], y[partners])
    np.testing.assert_allclose(packed[:, 12], lam)
    np.testing.assert_allclose(x_out[:, 0, 0, 0], lam * np.arange(6) + (1 - lam) * partners)


def test_torch_generators_live_on_the_device_of_the_tensors_they_make():
    """Issue 20 item 8: PyTorch refuses a generator on one device drawing onto another.

    No GPU here, so the device is faked: every draw records its generator's
    device and the device it writes to, with ``get_device()`` answering
    ``cuda:0``. Seeds (``split``) live on the CPU, draws on the device. Only a
    CUDA machine can show that PyTorch then accepts every draw and that the
    draws land on the GPU; no test here runs on one.
    """
    torch = pytest.importorskip("torch")
    from keras_specmix.ops.random import _TorchRandom

    calls = []

    class Generator:
        def __init__(self, device="cpu"):
            self.device = torch.device(device)
            self.real = torch.Generator()

        def manual_seed(self, value):
            self.real.manual_seed(value)
            return self

    def recording(fn):
        def draw(*args, generator, device, **kwargs):
            calls.append((fn.__name__, generator.device, torch.device(device)))
            return fn(*args, generator=generator.real, **kwargs)

        return draw

    class FakeTorch:
        def __getattr__(self, name):
            return getattr(torch, name)

    fake = FakeTorch()
    fake.Generator = Generator
    for name in ("rand", "randn", "randint"):
        setattr(fake, name, recording(getattr(torch, name)))
    rng = _TorchRandom()
    rng.torch, rng.device = fake, lambda: "cuda:0"
    seed = rng.as_seed([1, 2])
    rng.uniform(seed, (3,), "float32", 0.0, 1.0)
    rng.normal(seed, (3,), "float32")
    seeds = rng.split(seed, 2)
    assert {name for name, _, _ in calls} == {"rand", "randn", "randint"}
    for name, generator_device, output_device in calls:
        assert generator_device == output_device, (name, generator_device, output_device)
    assert [c[2].type for c in calls] == ["cuda", "cuda", "cpu"]
    assert all(s.device.type == "cpu" for s in seeds)
