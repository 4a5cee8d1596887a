"""``--recipe`` presets and the device-generalisation conditions (dir, dir+freqmixstyle, dcase):
the flags parse, each preset expands to its documented conditions and options, and DIR changes
only the reference device's clips."""

import types

import numpy as np
import pytest
import tensorflow as tf

import keras_specmix as ks
from keras_specmix.experiments import cli
from keras_specmix.experiments import conditions
from keras_specmix.experiments import presets
from keras_specmix.experiments import recipe_layers
from keras_specmix.experiments import train
from keras_specmix.experiments.splits import Splits
from keras_specmix.features import frontend


def _parse(argv):
    args, _ = cli.parse_args(argv)
    config, load = presets.resolve(args)
    return args, config


def test_recipe_dcase_expands_to_its_conditions_and_cp_mobile():
    args, config = _parse(["--recipe", "dcase"])
    assert args.augmentation == ["none", "freqmixstyle", "dir", "dir+freqmixstyle", "dcase"]
    assert config.model == "cp_mobile"
    assert list(conditions.RECIPES["dcase"].conditions) == args.augmentation


def test_recipe_talk_is_the_talks_five_and_the_default():
    args, config = _parse(["--recipe", "talk"])
    assert args.augmentation == list(conditions.TALK_CONDITIONS)
    assert config.model == "small"
    assert _parse([])[0].augmentation == list(conditions.TALK_CONDITIONS)


def test_given_flags_win_over_the_recipe():
    args, config = _parse(["--recipe", "dcase", "--augmentation", "none,dcase", "--model", "small"])
    assert args.augmentation == ["none", "dcase"] and config.model == "small"


def test_unknown_recipe_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as error:
        cli.parse_args(["--recipe", "dcase2024"])
    assert error.value.code == 2
    assert "--recipe: invalid choice: 'dcase2024'" in capsys.readouterr().err


def test_the_dcase_condition_is_the_baselines_augmentations_in_order():
    _, config = _parse(["--recipe", "dcase"])
    layer = conditions.make_augmentation("dcase", config.augmentation, 0)
    assert isinstance(layer, recipe_layers.Chain)
    dir_, roll, masks, style = layer.steps
    assert isinstance(dir_, ks.DeviceImpulseResponse)
    assert (dir_.prob, dir_.domain, dir_.channels) == (0.4, "log", (0,))
    # The synthetic scenes' front end: 16 kHz, FFT 1024, hop 512, 64 mels.
    front = dir_.frontend
    assert (front.sample_rate, front.n_fft, front.n_mels) == (16000, 1024, 64)
    assert isinstance(roll, ks.TimeRoll) and roll.max_shift == 3  # 0.1 s at 31.25 frames/s
    assert isinstance(masks, recipe_layers.StackFloorMasking)
    # 48 of 256 mel bins, scaled to 64; one mask; the features' log offset.
    assert (masks.freq_mask_param, masks.num_freq_masks, masks.log_offset) == (12, 1, 1e-8)
    assert isinstance(style, ks.FrequencyMixStyle) and (style.alpha, style.prob) == (0.3, 0.4)
    # The baseline's gate: one Bernoulli(0.4) draw per batch, a λ per example.
    assert (style.gate_granularity, style.param_granularity) == ("batch", "example")
    pair = conditions.make_augmentation("dir+freqmixstyle", config.augmentation, 0)
    assert [type(s) for s in pair.steps] == [ks.DeviceImpulseResponse, ks.FrequencyMixStyle]
    alone = conditions.make_augmentation("freqmixstyle", config.augmentation, 0)
    for fms in (pair.steps[1], alone):  # the recipe's three Freq-MixStyles are the same
        assert (fms.alpha, fms.prob, fms.gate_granularity) == (0.3, 0.4, "batch")
    for name in ("dir", "dir+freqmixstyle", "dcase"):
        assert conditions.eligible_devices(name, config.augmentation) == ("a",)
        assert conditions.placement(name) == "data"


def test_recipe_options_follow_the_datas_front_end_and_the_flags():
    _, config = _parse(["--recipe", "dcase", "--paper"])  # 44.1 kHz, hop 1024, 128 mels
    params = config.augmentation
    assert (params.roll_frames, params.floor_mask_param) == (4, 24)
    assert params.dir_frontend == {}  # the library's default front end
    _, config = _parse(
        [
            "--recipe=dcase",
            "--dir-prob",
            "0.6",
            "--dir-devices",
            "a,b",
            "--roll-frames",
            "5",
            "--floor-mask-param",
            "8",
            "--floor-num-masks",
            "2",
        ]
    )
    dir_, roll, masks, _ = conditions.make_augmentation("dcase", config.augmentation, 0).steps
    assert dir_.prob == 0.6 and roll.max_shift == 5
    assert (masks.freq_mask_param, masks.num_freq_masks) == (8, 2)
    assert conditions.eligible_devices("dir", config.augmentation) == ("a", "b")


def test_the_dcase_recipes_freq_mixstyle_mixes_whole_batches_with_a_lambda_per_example():
    """60 batches of 16 through the recipe's Freq-MixStyle (the ``dcase`` condition's last step).

    Mixed or not is one draw per batch: Bin(60, 0.4) mixed batches, 24, within 4.5 standard
    deviations (5 to 43; a gate per example would leave a batch of 16 unmixed with probability
    0.6 ** 16, about 3e-4, so nearly all 60 would be mixed). A mixed batch has a λ per example:
    at least 12 distinct values of 16 (Beta(0.3, 0.3) puts a few % of its mass within float32
    rounding of 1; a per-example gate would give about 6.4 mixed examples of 16).
    """
    _, config = _parse(["--recipe", "dcase"])
    style = conditions.make_augmentation("dcase", config.augmentation, 0).steps[-1]
    x = tf.random.stateless_normal([16, 30, 64, 3], seed=[1, 2])
    mixed = 0
    for i in range(60):
        lam = style.sample_params(style._unpack(x), tf.constant([i, 5]))["lam"].numpy()
        if np.all(lam == 1.0):
            continue
        mixed += 1
        assert len(set(lam.tolist())) >= 12, lam
    assert 5 <= mixed <= 43


def test_mixstyle_gate_example_gives_the_per_example_gate():
    _, config = _parse(["--recipe", "dcase", "--mixstyle-gate", "example"])
    assert config.augmentation.mixstyle_gate == "example"
    for name in ("freqmixstyle", "dir+freqmixstyle", "dcase"):
        layer = conditions.make_augmentation(name, config.augmentation, 0)
        style = layer.steps[-1] if isinstance(layer, recipe_layers.Chain) else layer
        assert style.gate_granularity == "example", name


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--mixstyle-gate", "batches"], "--mixstyle-gate: invalid choice: 'batches'"),
        (["--dir-prob", "1.5"], "--dir-prob: `dir_prob` must be a number in [0.0"),
        (["--dir-devices", ","], "`dir_devices` must name at least one device"),
        (["--roll-frames", "-1"], "--roll-frames: `roll_frames` must be"),
    ],
)
def test_bad_recipe_flags_exit_with_argparse_messages(argv, message, capsys):
    with pytest.raises(SystemExit) as error:
        cli.parse_args(argv)
    assert error.value.code == 2
    assert message in capsys.readouterr().err


def _splits(devices, shard=None):
    n = len(devices)
    x = np.stack([np.full((6, 64, 3), float(i), np.float32) for i in range(n)])
    ds = tf.data.Dataset.from_tensor_slices((x, np.arange(n) % 2))
    if shard is not None:
        ds = ds.shard(*shard)
    return Splits(
        ds,
        ds,
        ds,
        ("p", "q"),
        {"device": np.asarray(devices)},
        {},
        {"train": n, "validation": n, "test": n},
        shard=shard,
        shard_size=n if shard is None else len(range(shard[1], n, shard[0])),
    ), x


@pytest.mark.parametrize("name", ["dir", "dir+freqmixstyle", "dcase"])
def test_dir_changes_only_the_reference_devices_clips(name):
    devices = ["a", "b", "a", "s1", "c", "a", "s2", "b"]
    splits, x = _splits(devices)
    params = conditions.AugmentationParams(dir_prob=1.0, mixstyle_prob=0.0, floor_num_masks=0)
    layer = conditions.make_augmentation(name, params, 0)
    if name == "dcase":  # no roll either: every change is DIR's
        params = conditions.AugmentationParams(
            dir_prob=1.0, mixstyle_prob=0.0, floor_num_masks=0, roll_frames=0
        )
        layer = conditions.make_augmentation(name, params, 0)
    eligible = train.eligible_examples(splits, conditions.eligible_devices(name, params), name)
    assert eligible.tolist() == [d == "a" for d in devices]
    config = train.RunConfig(batch_size=len(devices), shuffle_buffer=1, augmentation=params)
    for out, labels in train.training_dataset(splits, config, 0, layer, eligible).take(3):
        out = out.numpy()
        assert labels.shape == (len(devices), 2)
        for i, device in enumerate(devices):
            if device == "a":  # the gain is on the log-mel channel only
                assert not np.array_equal(out[i, ..., 0], x[i, ..., 0]), i
                np.testing.assert_array_equal(out[i, ..., 1:], x[i, ..., 1:])
            else:
                np.testing.assert_array_equal(out[i], x[i])


def test_eligible_examples_follow_the_shard_and_refuse_what_cannot_apply():
    devices = ["a", "b", "a", "s1", "c", "a"]
    splits, _ = _splits(devices, shard=(2, 1))
    assert train.eligible_examples(splits, ("a",), "dir").tolist() == [False, False, True]
    with pytest.raises(ValueError, match="no training clip is from them; the training devices"):
        train.eligible_examples(_splits(["b", "c"])[0], ("a",), "dir")
    no_devices = types.SimpleNamespace(train_metadata={}, shard=None)
    with pytest.raises(ValueError, match="has no device metadata"):
        train.eligible_examples(no_devices, ("a",), "dcase")


def test_stack_floor_masking_equals_the_features_of_the_masked_power():
    rng = np.random.default_rng(0)
    power = rng.exponential(size=(4, 30, 64)).astype(np.float32)  # (batch, frames, mels)
    eps = 1e-8
    layer = recipe_layers.StackFloorMasking(12, 2, log_offset=eps)
    features = frontend.stack_deltas(tf.math.log(power + eps)).numpy()  # (4, 22, 64, 3)
    params = layer.sample_params({"spectrograms": tf.constant(features)}, tf.constant([3, 4]))
    out = layer.transform({"spectrograms": tf.constant(features)}, params)["spectrograms"]
    starts = params["freq_starts"].numpy()[:, 0]
    widths = params["freq_widths"].numpy()[:, 0]
    masked = power.copy()
    for b in range(4):
        for start, width in zip(starts[b], widths[b]):
            masked[b, :, start : start + width] = 0.0
    assert widths.sum() > 0
    expected = frontend.stack_deltas(tf.math.log(masked + eps)).numpy()
    # Δ and ΔΔ of the masked bands are exactly 0; the log floor may differ by TensorFlow's
    # scalar/vectorised log rounding of log(1e-8) (one float32 ulp).
    np.testing.assert_array_equal(out[..., 1:], expected[..., 1:])
    np.testing.assert_allclose(out[..., 0], expected[..., 0], rtol=0, atol=4e-6)


def test_each_sources_front_end_is_its_readers():
    from keras_specmix.datasets import digits
    from keras_specmix.datasets import synthetic
    from keras_specmix.experiments import sources
    from keras_specmix.features import FrontEndConfig

    def config(name, paper=False):
        return FrontEndConfig(**sources.SOURCES[name].frontend_fields(paper))

    assert config("synthetic") == synthetic.FAST_CONFIG
    assert conditions.SYNTHETIC_FRONTEND == sources.SOURCES["synthetic"].frontend_fields()
    assert config("synthetic", paper=True) == FrontEndConfig()  # paper_shape=True
    assert config("digits") == digits.DIGITS_CONFIG
    for name in ("tau2020_mobile", "secl_umons", "folder", "csv"):  # config=None: the default
        assert config(name) == FrontEndConfig(), name
