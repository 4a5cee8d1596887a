"""The condition registry: each condition's flags reach its layer; the conditions beyond the
talk's five (freqmixstyle, filteraugment, randomgain, mixpolicy) in one comparison; the docs'
table lists every condition with its flags."""

import dataclasses
import json
import pathlib

import pytest

import keras_specmix as ks
from keras_specmix.experiments import cli
from keras_specmix.experiments import conditions
from keras_specmix.experiments import runner


def _resolve(argv):
    args, _ = cli.parse_args(argv)
    config, _ = runner.resolve(args)
    return args, config


def test_flags_reach_the_layers():
    args, config = _resolve(
        [
            "--augmentation",
            "none,specmix,freqmixstyle,filteraugment,mixpolicy",
            "--mixstyle-alpha",
            "0.5",
            "--mixstyle-prob",
            "0.6",
            "--filter-db-range=-3,9",
            "--filter-bands",
            "2,5",
            "--filter-min-bandwidth",
            "4",
            "--filter-mode",
            "step",
            "--policy-mixers",
            "mixup,specmix",
            "--policy-probs",
            "0.25,0.75",
            "--policy-mode",
            "batch",
        ]
    )
    assert args.augmentation == ["none", "specmix", "freqmixstyle", "filteraugment", "mixpolicy"]
    params = config.augmentation
    style = conditions.make_augmentation("freqmixstyle", params, 0)
    assert isinstance(style, ks.FrequencyMixStyle) and (style.alpha, style.prob) == (0.5, 0.6)
    filt = conditions.make_augmentation("filteraugment", params, 0)
    assert isinstance(filt, ks.FilterAugment)
    assert (filt.db_range, filt.num_bands, filt.min_bandwidth, filt.mode) == (
        (-3.0, 9.0),
        (2, 5),
        4,
        "step",
    )
    assert (filt.domain, filt.channels) == ("log", (0,))
    policy = conditions.make_augmentation("mixpolicy", params, 0)
    assert [type(m) for m in policy.mixers] == [ks.MixUp, ks.SpecMix]
    assert (policy.probs, policy.mode) == ((0.25, 0.75), "batch")
    record = conditions.record_config(policy)
    assert [m["class_name"] for m in record["mixers"]] == ["MixUp", "SpecMix"]
    assert record["probs"] == [0.25, 0.75] and "name" not in record["mixers"][0]


def test_defaults_are_the_authors_and_all_is_still_the_talks_five():
    args, config = _resolve([])
    assert args.augmentation == list(conditions.TALK_CONDITIONS)
    params = config.augmentation
    # CP-JKU's and the DCASE 2024/2025 baseline's: one gate per batch.
    assert (params.mixstyle_alpha, params.mixstyle_prob) == (0.3, 0.4)
    assert params.mixstyle_gate == "batch"
    assert (params.filter_db_range, params.filter_bands, params.filter_mode) == (
        (-6.0, 6.0),
        (3, 6),
        "linear",
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--mixstyle-prob", "1.5"], "--mixstyle-prob: `mixstyle_prob` must be a number in [0.0"),
        (["--filter-db-range", "6,-6"], "`filter_db_range` must be a (low, high)"),
        (["--filter-bands", "3,x"], "--filter-bands: `filter_bands` must be an int."),
        (["--policy-mixers", "mixup,specaugment"], "--policy-mixers: `policy_mixers` must be"),
        (["--policy-probs", "0.5,1.6"], "--policy-probs: `policy_probs` must be a number in [0.0"),
        (["--policy-probs", "0.2,0.3,0.5"], "--policy-probs needs one probability per mixer"),
        (["--augmentation", "freqmixstyles"], "Received: augmentation='freqmixstyles'"),
        # Rules only the layer holds: checked when the runner builds every condition's layer.
        (["--filter-bands", "3,3"], "(condition filteraugment): `num_bands` must be a (low, high)"),
        (["--policy-probs", "0.5,0.6"], "(condition mixpolicy): `probs` must be probabilities"),
    ],
)
def test_bad_flags_exit_with_argparse_messages(argv, message, capsys):
    with pytest.raises(SystemExit) as error:
        runner.main(argv)
    assert error.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow  # an end-to-end comparison of four more conditions (CI leg 3)
def test_one_command_compares_the_other_conditions_with_the_talks(tiny_comparison, comparison_copy):
    # Extends the shared comparison (None and SpecMix already there) with the others.
    args = list(tiny_comparison.args)
    args[args.index("--seeds") + 1] = "0"
    others = ["freqmixstyle", "filteraugment", "randomgain", "mixpolicy"]
    args[args.index("--augmentation") + 1] = ",".join(["none", "specmix", *others])
    assert runner.main([*args, "--output-dir", str(comparison_copy)]) == 0
    runs = json.loads((comparison_copy / "synthetic_small.json").read_text())["runs"]
    by = {r["condition"]: r for r in runs if r["seed"] == 0}
    assert set(by) == {"none", "specmix", *others}
    params = by["freqmixstyle"]["augmentation_params"]
    assert (params["alpha"], params["prob"]) == (0.3, 0.4)
    assert by["filteraugment"]["unseen_devices_accuracy"] is not None
    table = (comparison_copy / "synthetic_small.md").read_text()
    for title in ("Freq-MixStyle", "FilterAugment", "RandomGain", "MixingPolicy", "SpecMix"):
        assert title in table


def test_random_gain_flags_reach_the_layer():
    _, config = _resolve(["--augmentation", "randomgain", "--gain-db-range=-3,9"])
    gain = conditions.make_augmentation("randomgain", config.augmentation, 0)
    assert isinstance(gain, ks.RandomGain)
    assert (gain.db_range, gain.domain, gain.channels) == ((-3.0, 9.0), "log", (0,))
    assert conditions.record_config(gain)["db_range"] == [-3.0, 9.0]


def test_the_registry_is_the_one_place_of_a_condition():
    parser = runner.build_parser()
    flags = {s for action in parser._actions for s in action.option_strings}
    fields = {f.name for f in dataclasses.fields(conditions.AugmentationParams)}
    assert list(conditions.LABELS) == list(conditions.CONDITIONS) == list(conditions.REGISTRY)
    assert len(set(conditions.COLORS.values())) == len(conditions.CONDITIONS)
    for entry in conditions.REGISTRY.values():
        assert set(entry.flags) <= flags, entry.name
        for option in entry.options:
            assert set(option.fields) <= fields, option
        for other in entry.uses:
            assert other in conditions.REGISTRY
    # Each field has one owner: an option of one condition.
    owned = [f for option in conditions.OPTIONS for f in option.fields]
    assert sorted(owned) == sorted(fields)


def test_the_docs_table_lists_every_condition_with_its_flags():
    # docs/experiments.md, "The conditions": one row per registry entry, in registry order,
    # with its column title, its placement and every flag it owns.
    text = (pathlib.Path(__file__).parents[2] / "docs" / "experiments.md").read_text()
    section = text.split("## The conditions", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]
    assert [row[0].strip("`") for row in rows] == list(conditions.CONDITIONS)
    for row, entry in zip(rows, conditions.REGISTRY.values()):
        assert row[1] == entry.label, row
        assert row[3] == (entry.placement or ""), row
        for flag in entry.flags:
            assert f"`{flag}`" in row[4], (entry.name, flag)


@pytest.mark.parametrize("condition", conditions.CONDITIONS)
def test_every_condition_trains_in_a_model_and_predicts_clean(condition):
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    layer = conditions.make_augmentation(condition, conditions.AugmentationParams(), 0)
    classifier = keras.Sequential(
        [
            keras.Input((24, 64, 3)),  # 64 mel bins: DIR's gains are the synthetic front end's
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    model = conditions.wrap_model(classifier, layer, condition)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(8, 24, 64, 3)).astype("float32")
    y = np.eye(4, dtype="float32")[np.arange(8) % 4]
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    np.testing.assert_array_equal(model.predict(x, verbose=0), classifier.predict(x, verbose=0))
    where = conditions.placement(condition)
    assert where == conditions.REGISTRY[condition].placement
    assert conditions.placement(condition, "data") == (None if where is None else "data")
