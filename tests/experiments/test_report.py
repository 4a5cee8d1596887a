"""Accuracy breakdown, summary statistics and the Markdown table."""

import numpy as np
import pytest

from keras_specmix.experiments import paper
from keras_specmix.experiments import report
from keras_specmix.experiments import stats
from keras_specmix.experiments import train


def _run(condition, seed, accuracy):
    return {
        "condition": condition,
        "seed": seed,
        "accuracy": accuracy,
        "seen_devices_accuracy": accuracy + 5,
        "unseen_devices_accuracy": accuracy - 5,
        "train_steps_per_second": 10.0,
        "per_device": {"a": accuracy + 5},
    }


def test_accuracy_breakdown_by_class_and_device():
    probs = np.eye(3)[[0, 1, 2, 0, 0, 2]]
    labels = np.array([0, 1, 1, 0, 2, 2])
    devices = np.array(["a", "a", "b", "s4", "s4", "a"])
    out = train.accuracy_breakdown(probs, labels, ("x", "y", "z"), devices, seen=["a", "b"])
    assert out["accuracy"] == pytest.approx(100 * 4 / 6)
    assert out["per_class"] == {"x": 100.0, "y": 50.0, "z": 50.0}
    assert out["per_device"] == {"a": 100.0, "b": 0.0, "s4": 50.0}
    assert out["seen_devices_accuracy"] == 75.0
    assert out["unseen_devices_accuracy"] == 50.0
    assert out["seen_devices"] == ["a", "b"]
    # Rows: true class, columns: predicted (label 1 predicted 2 once, label 2 predicted 0 once).
    assert out["confusion_matrix"] == [[2, 0, 0], [0, 1, 1], [1, 0, 1]]


def test_summary_and_paired_verdicts():
    runs = [_run("none", s, a) for s, a in enumerate([50.0, 52.0, 54.0])]
    runs += [_run("specmix", s, a) for s, a in enumerate([60.0, 61.0, 62.0])]
    runs += [_run("mixup", s, a) for s, a in enumerate([49.0, 53.0, 57.0])]
    summary = report.summarize(runs)
    assert list(summary) == ["none", "mixup", "specmix"]  # the talk's order
    assert summary["none"]["accuracy"] == {"mean": 52.0, "std": 2.0, "n": 3}
    rows = {(r["a"], r["b"]): r for r in report.compare(runs)}
    # Comparisons: each against None, SpecMix against each other: 3 in all.
    assert list(rows) == [("mixup", "none"), ("specmix", "none"), ("specmix", "mixup")]
    specmix = rows[("specmix", "none")]
    assert specmix["differences"] == [10.0, 9.0, 8.0] and specmix["mean"] == 9.0
    # By hand: sd 1, t = 9 / (1 / sqrt 3) = 15.588; df 2: p = 1 - t / sqrt(2 + t^2).
    t = 9.0 * np.sqrt(3.0)
    assert specmix["p_value"] == pytest.approx(1.0 - t / np.sqrt(2.0 + t * t), rel=1e-9)
    assert specmix["verdict"] == "better"
    mixup = rows[("mixup", "none")]
    assert mixup["differences"] == [-1.0, 1.0, 3.0] and mixup["p_value"] > 0.3
    assert mixup["verdict"] == "no detectable difference"
    text = report.markdown_table(runs, "tau2020_mobile", "resnet101")
    assert (
        "| tau2020_mobile, resnet101 (ours) | 52.00 ± 2.00 | 53.00 ± 4.00 | 61.00 ± 1.00 |" in text
    )
    assert "| 59.60 | 58.15 | 62.13 |" in text
    assert "| SpecMix − None | +10.00, +9.00, +8.00 | +9.00 |" in text
    assert "SpecMix vs None: +9.00 points" in text and ": better." in text
    assert "MixUp vs None: +1.00 points" in text and "no detectable difference" in text
    assert "p (Holm, 3 tests)" in text
    assert "paper" not in report.markdown_table(runs, "synthetic", "small")


def test_a_single_seed_is_never_called_significant():
    rows = report.compare([_run("none", 0, 50.0), _run("specmix", 0, 90.0)])
    assert rows[0]["p_holm"] is None and rows[0]["verdict"] == "one seed: no test"


def test_comparisons_pair_only_the_shared_seeds():
    runs = [_run("none", s, 50.0 + s) for s in (0, 1, 2)]
    runs += [_run("cutmix", s, 52.0 + s * 1.5) for s in (1, 2, 3)]
    (row,) = report.compare(runs)
    assert row["seeds"] == [1, 2] and row["differences"] == [2.5, 3.0]


def test_paper_numbers_match_the_design_table():
    assert paper.paper_results("tau2020_mobile", "two_path")["specmix"] == 71.60
    assert paper.paper_results("secl_umons", "resnet101")["specaugment"] == 96.90
    assert all(
        set(row) == {"none", "mixup", "cutmix", "specaugment", "specmix"}
        for row in paper.PAPER_RESULTS.values()
    )


def test_store_is_resumable(tmp_path):
    store = report.ResultsStore(tmp_path / "r.json")
    key = report.run_key({"epochs": 1}, "none", 0)
    assert key != report.run_key({"epochs": 2}, "none", 0)
    assert key != report.run_key({"epochs": 1}, "none", 1)
    store.add({"key": key, "condition": "none"})
    assert report.ResultsStore(tmp_path / "r.json").has(key)
    assert not report.ResultsStore(tmp_path / "r.json").has("other")


def test_seeds_needed_uses_the_level_the_holm_verdict_needs():
    runs = [_run("none", s, 50.0) for s in range(4)]
    for name, gains in (("mixup", [1, 2, 0, 3]), ("specmix", [4, 1, 3, 2])):
        runs += [_run(name, s, 50.0 + g) for s, g in enumerate(gains)]
    rows = report.compare(runs)
    assert len(rows) == 3
    for row in rows:  # alpha / m with m = 3 comparisons
        assert row["seeds_needed"] == stats.seeds_needed(row["std"], alpha=0.05 / 3)
        assert row["seeds_needed"] > stats.seeds_needed(row["std"], alpha=0.05)
    text = report.markdown_table(runs, "synthetic", "small")
    assert "at α/3 = 0.01667" in text


def test_seeds_needed_beyond_the_search_limit_reads_as_more_than_it():
    runs = [_run("none", s, 50.0) for s in range(3)]
    runs += [_run("specmix", s, a) for s, a in enumerate([0.0, 100.0, 50.0])]  # std 50
    (row,) = report.compare(runs, effect=0.01)
    assert row["std"] > 0 and row["seeds_needed"] is None
    assert f"| > {stats.MAX_SEEDS} |" in "\n".join(report.comparison_table([row], effect=0.01))
