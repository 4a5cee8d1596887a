"""Accuracy breakdown, summary statistics and the Markdown table."""

import numpy as np
import pytest

from keras_specmix.experiments import paper
from keras_specmix.experiments import report
from keras_specmix.experiments import train


def _run(condition, seed, accuracy):
    return {"condition": condition, "seed": seed, "accuracy": accuracy,
            "seen_devices_accuracy": accuracy + 5, "unseen_devices_accuracy": accuracy - 5,
            "train_steps_per_second": 10.0, "per_device": {"a": accuracy + 5}}


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


def test_summary_and_significance():
    runs = [_run("none", s, a) for s, a in enumerate([50.0, 52.0, 54.0])]
    runs += [_run("specmix", s, a) for s, a in enumerate([60.0, 61.0, 62.0])]
    runs += [_run("mixup", s, a) for s, a in enumerate([49.0, 53.0, 57.0])]
    summary = report.summarize(runs)
    assert list(summary) == ["none", "mixup", "specmix"]  # the talk's order
    assert summary["none"]["accuracy"] == {"mean": 52.0, "std": 2.0, "n": 3}
    gains = report.compare_to_baseline(summary)
    assert gains["specmix"]["gain"] == 9.0 and gains["specmix"]["significant"]
    assert gains["mixup"]["gain"] == 1.0 and not gains["mixup"]["significant"]
    text = report.markdown_table(summary, "tau2020_mobile", "resnet101")
    assert "| tau2020_mobile, resnet101 (ours) | 52.00 ± 2.00 | 53.00 ± 4.00 | 61.00 ± 1.00 |" \
        in text
    assert "| 59.60 | 58.15 | 62.13 |" in text
    assert "SpecMix: +9.00" in text and "larger than the noise" in text
    assert "MixUp: +1.00" in text and "within the noise" in text
    assert "paper" not in report.markdown_table(summary, "synthetic", "small")


def test_a_single_seed_is_never_called_significant():
    summary = report.summarize([_run("none", 0, 50.0), _run("specmix", 0, 90.0)])
    assert not report.compare_to_baseline(summary)["specmix"]["significant"]


def test_paper_numbers_match_the_design_table():
    assert paper.paper_results("tau2020_mobile", "two_path")["specmix"] == 71.60
    assert paper.paper_results("secl_umons", "resnet101")["specaugment"] == 96.90
    assert all(set(row) == {"none", "mixup", "cutmix", "specaugment", "specmix"}
               for row in paper.PAPER_RESULTS.values())


def test_store_is_resumable(tmp_path):
    store = report.ResultsStore(tmp_path / "r.json")
    key = report.run_key({"epochs": 1}, "none", 0)
    assert key != report.run_key({"epochs": 2}, "none", 0)
    assert key != report.run_key({"epochs": 1}, "none", 1)
    store.add({"key": key, "condition": "none"})
    assert report.ResultsStore(tmp_path / "r.json").has(key)
    assert not report.ResultsStore(tmp_path / "r.json").has("other")
