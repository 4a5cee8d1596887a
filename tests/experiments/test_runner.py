"""The runner end to end on tiny configurations: outputs, resumability, smoke."""

import json
import warnings

import pytest
import tensorflow as tf

from keras_specmix.experiments import runner
from keras_specmix.experiments import splits
from keras_specmix.experiments import train


def _runs(folder):
    return json.loads((folder / "synthetic_small.json").read_text())["runs"]


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_writes_json_markdown_and_png(tiny_comparison):
    out = tiny_comparison.folders[0]
    runs = _runs(out)
    assert {"tensorflow", "keras", "keras_specmix", "numpy"} <= set(
        runs[0]["provenance"]["versions"]
    )
    assert "git_commit" in runs[0]["provenance"]
    assert sorted((r["condition"], r["seed"]) for r in runs) == [
        ("none", 0),
        ("none", 1),
        ("specmix", 0),
        ("specmix", 1),
    ]
    run = runs[0]
    assert len(run["per_class"]) == 10
    assert set(run["per_device"]) >= {"s4", "s5", "s6"}  # the unseen devices
    assert run["unseen_devices_accuracy"] is not None
    assert run["seen_devices_accuracy"] is not None
    assert run["settings"]["batch_size"] == 8
    assert run["settings"]["augmentation"]["gamma"] == 0.3
    assert len(run["validation_accuracy_per_epoch"]) == 2
    assert 1 <= run["best_epoch"] <= 2
    assert run["wall_time_s"] > 0 and run["train_steps_per_second"] > 0
    specmix = next(r for r in runs if r["condition"] == "specmix")
    assert specmix["augmentation_params"]["gamma"] == 0.3  # the layer's get_config()
    assert specmix["augmentation_params"]["max_freq_bands"] == 2
    table = (out / "synthetic_small.md").read_text()
    assert "| data / model | None | SpecMix |" in table
    assert "synthetic, small (ours)" in table and " ± " in table
    assert "seen" in table and "unseen" in table
    assert (out / "synthetic_small.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_rerun_skips_finished_runs(tiny_comparison, comparison_copy, monkeypatch, capsys):
    calls = []
    real = train.run_one

    def counting(splits, config, condition, seed, *a, **k):
        calls.append((condition, seed))
        return real(splits, config, condition, seed, *a, **k)

    monkeypatch.setattr(train, "run_one", counting)
    args = [a if a != "none,specmix" else "none,specmix,mixup" for a in tiny_comparison.args]
    args[args.index("--seeds") + 1] = "0"
    assert runner.main([*args, "--output-dir", str(comparison_copy)]) == 0
    assert calls == [("mixup", 0)]
    assert "2 of 3 runs already there (skipped)" in capsys.readouterr().out
    assert len(_runs(comparison_copy)) == 5


def _smoke(tmp_path, *extra):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        argv = ["--smoke", "--augmentation", "specmix", "--seeds", "0", "--quiet", *extra]
        assert runner.main([*argv, "--output-dir", str(tmp_path)]) == 0
    # The carved validation split states its length: Keras must not run off its end.
    assert not [w for w in caught if "ran out of data" in str(w.message)]
    return json.loads(next(tmp_path.glob("tau2020_mobile_*.json")).read_text())["runs"][0]


@pytest.mark.slow  # an end-to-end training (CI leg 3)
def test_smoke_preset_trains_on_a_fake_tau_tree(tmp_path):
    # The preset's data, crops and steps with a small network (ResNet-101 itself: the slow test).
    run = _smoke(tmp_path, "--model", "small", "--width", "4")
    assert run["settings"]["crop_frames"] == 400
    assert run["steps_per_epoch"] == 2
    assert set(run["per_class"]) == {"airport", "bus", "tram"}
    assert "s4" in run["per_device"] and run["unseen_devices_accuracy"] is not None


def test_smoke_preset_is_resnet101_on_400_frame_crops():
    config, load = runner.resolve(runner.build_parser().parse_args(["--smoke"]))
    assert (config.dataset, config.model, config.crop_frames) == (
        "tau2020_mobile",
        "resnet101",
        400,
    )
    assert (config.epochs, config.steps_per_epoch, config.batch_size) == (1, 2, 4)


@pytest.mark.slow
def test_smoke_runs_resnet101_on_fake_tau(tmp_path, capsys):
    run = _smoke(tmp_path)
    assert run["settings"]["model"] == "resnet101"
    assert run["settings"]["crop_frames"] == 400
    assert set(run["per_class"]) == {"airport", "bus", "tram"}
    table = capsys.readouterr().out
    assert "tau2020_mobile, resnet101 (paper, best test checkpoint) | 62.13 |" in table


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--gamma", "2"], "--gamma: `gamma` must be a number in [0.0, 1.0]. Received: gamma=2.0"),
        (["--gamma", "0.8,0.2"], "--gamma: `gamma` must be a (low, high) pair with low <= high"),
        (["--seeds", "0,x"], "--seeds: `seeds` must be an int. Received: seeds='x'"),
        (["--seeds", "0,0"], "--seeds: `seeds` must be distinct. Received: seeds=[0, 0]"),
        (["--augmentation", "none,mixop"], "Received: augmentation='mixop'"),
        (["--epochs", "0"], "--epochs: `epochs` must be an int >= 1. Received: epochs=0"),
        (["--dataset", "tau2020_mobile"], "--dataset tau2020_mobile needs --data-dir"),
        (["--paper", "--smoke"], "--paper and --smoke are exclusive"),
        (["--validation-fraction", "1.5"], "--validation-fraction: `validation_fraction` must be"),
    ],
)
def test_bad_arguments_exit_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as error:
        runner.main(argv)
    assert error.value.code == 2
    assert message in capsys.readouterr().err


def test_paper_preset(tmp_path):
    parser = runner.build_parser()
    config, load = runner.resolve(parser.parse_args(["--paper"]))
    assert (config.model, config.crop_frames, config.batch_size) == ("resnet101", 400, 32)
    assert config.epochs * config.steps_per_epoch == 200_000
    assert config.lr_milestones == runner.PAPER_MILESTONES
    assert (config.learning_rate, config.weight_decay, config.weight_decay_mode) == (
        1e-3,
        1e-3,
        "l2",
    )
    assert load["paper_shape"] is True
    config, _ = runner.resolve(
        parser.parse_args(
            [
                "--paper",
                "--model",
                "two_path",
                "--dataset",
                "tau2020_mobile",
                "--data-dir",
                str(tmp_path),
            ]
        )
    )
    assert config.augmentation.gamma == (0.0, 1.0)
    config, _ = runner.resolve(parser.parse_args(["--gamma", "0,1"]))
    assert config.augmentation.gamma == (0.0, 1.0)


@pytest.mark.slow
def test_smoke_all_five_conditions(tmp_path):
    """The CI smoke command as written in .ci/run (all five conditions)."""
    assert runner.main(["--smoke", "--seeds", "0", "--quiet", "--output-dir", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "tau2020_mobile_resnet101.json").read_text())
    assert sorted(r["condition"] for r in data["runs"]) == sorted(
        ["none", "mixup", "cutmix", "specaugment", "specmix"]
    )


def test_carved_splits_know_their_length():
    picked = splits._select(tf.data.Dataset.range(10), [1, 3, 8], 10)
    assert int(picked.cardinality()) == 3
    assert [int(v) for v in picked] == [1, 3, 8]
    unknown = tf.data.Dataset.range(10).filter(lambda v: v >= 0)  # length hidden
    short = splits._select(unknown, [2, 12], 13)  # the metadata says 13, the source has 10
    with pytest.raises(tf.errors.FailedPreconditionError, match="expected to contain 13"):
        list(short)
