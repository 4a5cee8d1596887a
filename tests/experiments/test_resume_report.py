"""Which runs a report shows after a resumed or extended comparison.

Runs are stored in JSON, so a resumed command compares its settings with
stored ones after a JSON round trip (tuples come back as lists): the runner
keys runs by one canonical form of their settings and never compares
settings objects. Training and data loading are replaced by fakes here (the
report is under test); ``tests/faults`` trains for real.
"""

import json
import types

import pytest

from keras_specmix.experiments import report
from keras_specmix.experiments import runner
from keras_specmix.experiments import splits
from keras_specmix.experiments import train

ARGS = ["--num-locations", "3", "--clips-per-location", "4", "--epochs", "3", "--quiet"]
CLASSES = ("a", "b", "c", "d")


def _fake_record(condition, seed):
    """A deterministic record: accuracy from (condition, seed) alone."""
    accuracy = (
        40.0
        + 3.0 * sorted(["none", "mixup", "cutmix", "specaugment", "specmix"]).index(condition)
        + 1.5 * seed
    )
    return {
        "condition": condition,
        "seed": seed,
        "accuracy": accuracy,
        "per_class": {c: accuracy for c in CLASSES},
        "confusion_matrix": [[1 if i == j else 0 for j in range(4)] for i in range(4)],
        "per_device": {"a": accuracy + 1, "s4": accuracy - 1},
        "seen_devices": ["a"],
        "seen_devices_accuracy": accuracy + 1,
        "unseen_devices_accuracy": accuracy - 1,
        "best_epoch": 1,
        "train_steps_per_second": 10.0,
        "wall_time_s": 1.0,
    }


@pytest.fixture
def fake_training(monkeypatch):
    calls = []

    def run_one(splits, config, condition, seed, run_dir, strategy=None, verbose=1):
        calls.append((condition, seed))
        return _fake_record(condition, seed)

    def load_splits(**kwargs):
        sizes = {"train": 8, "validation": 4, "test": 4}
        return types.SimpleNamespace(
            sizes=sizes, feature_shape=(8, 6, 3), class_names=CLASSES, skipped=[]
        )

    monkeypatch.setattr(train, "run_one", run_one)
    monkeypatch.setattr(splits, "load_splits", load_splits)
    return calls


def _main(out, *extra):
    assert runner.main([*ARGS, *extra, "--output-dir", str(out), "--no-cache"]) == 0


def test_an_extended_comparison_reports_every_run_it_holds(tmp_path, fake_training, capsys):
    _main(tmp_path, "--augmentation", "none,specmix", "--seeds", "0,1")
    _main(tmp_path, "--augmentation", "all", "--seeds", "0")
    assert fake_training == [
        ("none", 0),
        ("specmix", 0),
        ("none", 1),
        ("specmix", 1),
        ("mixup", 0),
        ("cutmix", 0),
        ("specaugment", 0),
    ]
    data = json.loads((tmp_path / "synthetic_small.json").read_text())
    assert len(data["runs"]) == 7
    assert list(data["summary"]) == ["none", "mixup", "cutmix", "specaugment", "specmix"]
    text = (tmp_path / "synthetic_small.md").read_text()
    assert "| data / model | None | MixUp | CutMix | SpecAugment | SpecMix |" in text
    # Seeds that exist for some conditions only: said, and paired honestly.
    assert "None, SpecMix: 2 seeds (0, 1); MixUp, CutMix, SpecAugment: 1 seed (0)" in text
    rows = {(r["a"], r["b"]): r for r in data["comparisons"]}
    assert rows[("specmix", "none")]["seeds"] == [0, 1]
    assert rows[("mixup", "none")]["seeds"] == [0]
    assert rows[("mixup", "none")]["verdict"] == "one seed: no test"
    # Holm counts the comparisons that have a test: SpecMix − None alone.
    assert "p (Holm, 1 test)" in text
    assert "| SpecMix − None | +6.00, +6.00 (seeds 0, 1) |" in text


def test_a_rerun_with_nothing_to_do_changes_no_byte(tmp_path, fake_training, capsys):
    _main(tmp_path, "--augmentation", "none,specmix", "--seeds", "0,1")
    _main(tmp_path, "--augmentation", "all", "--seeds", "0")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    del fake_training[:]
    _main(tmp_path, "--augmentation", "all", "--seeds", "0")
    assert fake_training == []
    assert "5 of 5 runs already there (skipped); 0 to do." in capsys.readouterr().out
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before


def test_runs_of_other_settings_stay_in_the_file_but_not_in_the_report(
    tmp_path, fake_training, capsys
):
    _main(tmp_path, "--augmentation", "none,specmix", "--seeds", "0")
    _main(tmp_path, "--augmentation", "none", "--seeds", "0", "--learning-rate", "0.01")
    out = capsys.readouterr().out
    assert "2 runs in " in out and "have other settings" in out
    data = json.loads((tmp_path / "synthetic_small.json").read_text())
    assert len(data["runs"]) == 3
    assert list(data["summary"]) == ["none"]


def test_an_option_of_one_condition_keys_only_its_runs(tmp_path, fake_training, capsys):
    _main(tmp_path, "--augmentation", "none,mixup,specmix", "--seeds", "0")
    del fake_training[:]
    # --gamma is SpecMix's: the None and MixUp runs stay this comparison's.
    _main(tmp_path, "--augmentation", "none,mixup,specmix", "--seeds", "0", "--gamma", "0.5")
    assert fake_training == [("specmix", 0)]
    assert "2 of 3 runs already there" in capsys.readouterr().out
    # --alpha is MixUp's, and CutMix's and MixingPolicy's (they read it too).
    del fake_training[:]
    _main(tmp_path, "--augmentation", "none,mixup,cutmix,specmix", "--seeds", "0", "--alpha", "1")
    assert fake_training == [("mixup", 0), ("cutmix", 0)]  # SpecMix (γ = 0.3) ran first


def test_runs_keyed_by_an_earlier_version_are_still_this_comparisons(
    tmp_path, fake_training, capsys
):
    # A results file whose keys an earlier key scheme wrote: the runs are
    # matched by their stored settings, condition and seed, not retrained.
    _main(tmp_path, "--augmentation", "none,specmix", "--seeds", "0")
    path = tmp_path / "synthetic_small.json"
    data = json.loads(path.read_text())
    for i, run in enumerate(data["runs"]):
        run["key"] = f"written-by-an-earlier-version-{i}"
    path.write_text(json.dumps(data))
    del fake_training[:]
    _main(tmp_path, "--augmentation", "none,specmix", "--seeds", "0")
    assert fake_training == []
    assert "2 of 2 runs already there" in capsys.readouterr().out
    data = json.loads(path.read_text())
    assert list(data["summary"]) == ["none", "specmix"]


def test_settings_keys_survive_a_json_round_trip():
    config = train.RunConfig()
    settings = config.to_dict()
    settings["data"] = {"synthetic_kwargs": {"num_locations": 3}, "shard": (1, 0)}
    stored = json.loads(json.dumps(report.canonical(settings)))
    assert report.canonical(settings) == stored
    assert report.settings_key(settings) == report.settings_key(stored)
    assert report.run_key(settings, "none", 0) == report.run_key(stored, "none", 0)
    assert report.settings_key(settings) != report.settings_key({**stored, "epochs": 99})
