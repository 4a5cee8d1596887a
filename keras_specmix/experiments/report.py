"""Results of a comparison: the resumable JSON store, the Markdown table, the plot."""

import hashlib
import json
import os
import platform
import subprocess
import sys

import numpy as np

from keras_specmix.experiments import conditions as conditions_lib
from keras_specmix.experiments import paper


def environment():
    """Library versions, git commit and machine of this process (a dict)."""
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    import keras_specmix  # noqa: PLC0415

    versions = {"python": platform.python_version(), "tensorflow": tf.__version__,
                "keras": keras.__version__, "numpy": np.__version__,
                "keras_specmix": keras_specmix.__version__}
    try:
        import tensorflow_io  # noqa: PLC0415

        versions["tensorflow_io"] = tensorflow_io.__version__
    except ImportError:
        versions["tensorflow_io"] = None
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=root,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    return {"versions": versions, "git_commit": commit, "git_dirty": dirty,
            "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "devices": [d.name for d in tf.config.list_logical_devices()],
            "command": " ".join(sys.argv)}


def run_key(settings, condition, seed):
    """A stable id of one run: the settings, the condition and the seed."""
    text = json.dumps({"settings": settings, "condition": condition, "seed": seed},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ResultsStore:
    """The JSON file of every finished run; a rerun skips the runs it holds.

    The file is rewritten atomically after each run, so an interrupted
    comparison resumes where it stopped.

    Args:
        path: the JSON file (created if missing).

    Examples:

    >>> import tempfile
    >>> store = ResultsStore(tempfile.mkdtemp() + "/results.json")
    >>> store.add({"key": "k1", "condition": "none", "accuracy": 50.0})
    >>> ResultsStore(store.path).has("k1")
    True
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self.data = {"runs": []}
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                self.data = json.load(f)

    @property
    def runs(self):
        """The list of run records."""
        return self.data["runs"]

    def has(self, key):
        """Whether a run with ``key`` is stored."""
        return any(run.get("key") == key for run in self.runs)

    def add(self, record):
        """Stores one run record and saves the file."""
        self.runs.append(record)
        self.save()

    def save(self):
        """Writes the file atomically."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.data, f, indent=1, sort_keys=False)
        os.replace(tmp, self.path)


def _stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"mean": float(np.mean(values)), "std": std, "n": len(values)}


def summarize(runs):
    """Mean ± std over seeds per condition (test, seen and unseen accuracy).

    Args:
        runs: run records (from :class:`ResultsStore`).

    Returns:
        ``{condition: {"accuracy", "seen", "unseen", "steps_per_second":
        {"mean", "std", "n"} or None, "per_device": {device: mean}}}`` in
        the talk's condition order (conditions without runs are left out).
    """
    out = {}
    for condition in conditions_lib.CONDITIONS:
        group = [r for r in runs if r["condition"] == condition]
        if not group:
            continue
        devices = sorted({d for r in group for d in (r.get("per_device") or {})})
        out[condition] = {
            "accuracy": _stats([r["accuracy"] for r in group]),
            "seen": _stats([r.get("seen_devices_accuracy") for r in group]),
            "unseen": _stats([r.get("unseen_devices_accuracy") for r in group]),
            "steps_per_second": _stats([r.get("train_steps_per_second") for r in group]),
            "per_device": {d: float(np.mean([r["per_device"][d] for r in group
                                             if r["per_device"].get(d) is not None]))
                           for d in devices},
            "seeds": sorted(r["seed"] for r in group),
        }
    return out


def _fmt(stats):
    return "–" if stats is None else f"{stats['mean']:.2f} ± {stats['std']:.2f}"


def compare_to_baseline(summary, baseline="none"):
    """Each condition's gain over ``baseline`` and whether it exceeds the noise.

    The gain is the difference of the means; the noise is twice its standard
    error, ``2·sqrt(s_a²/n_a + s_b²/n_b)`` (about a 95% interval).

    Returns:
        ``{condition: {"gain", "noise", "significant"}}``.
    """
    base = summary.get(baseline, {}).get("accuracy")
    out = {}
    for condition, entry in summary.items():
        stats = entry["accuracy"]
        if condition == baseline or base is None or stats is None:
            continue
        noise = 2.0 * float(np.sqrt(stats["std"] ** 2 / stats["n"] + base["std"] ** 2 / base["n"]))
        gain = stats["mean"] - base["mean"]
        out[condition] = {"gain": gain, "noise": noise,
                          "significant": bool(min(stats["n"], base["n"]) > 1 and
                                              abs(gain) > noise)}
    return out


def markdown_table(summary, dataset, model, title=None):
    """The talk's table layout, ours beside the paper's where it has the row.

    Args:
        summary: from :func:`summarize`.
        dataset: dataset name.
        model: model name.
        title: optional heading.

    Returns:
        Markdown text: the accuracy table (mean ± std over seeds), the
        seen/unseen device table, training speed, and the gains over "none"
        against the seed-to-seed noise.
    """
    conds = [c for c in conditions_lib.CONDITIONS if c in summary]
    head = "| data / model | " + " | ".join(conditions_lib.LABELS[c] for c in conds) + " |"
    rule = "|---|" + "---|" * len(conds)
    seeds = max((summary[c]["accuracy"]["n"] for c in conds), default=0)
    lines = [f"## {title}", ""] if title else []
    lines += ["Test accuracy (%), mean ± std over "
              f"{seeds} seed{'s' if seeds != 1 else ''}; checkpoint picked on validation.",
              "", head, rule,
              f"| {dataset}, {model} (ours) | "
              + " | ".join(_fmt(summary[c]["accuracy"]) for c in conds) + " |"]
    row = paper.paper_results(dataset, model)
    if row:
        lines.append(f"| {dataset}, {model} (paper, best test checkpoint) | "
                     + " | ".join(f"{row[c]:.2f}" for c in conds) + " |")
    if any(summary[c]["seen"] for c in conds):
        lines += ["", "| devices | " + " | ".join(conditions_lib.LABELS[c] for c in conds) + " |",
                  rule,
                  "| seen | " + " | ".join(_fmt(summary[c]["seen"]) for c in conds) + " |",
                  "| unseen | " + " | ".join(_fmt(summary[c]["unseen"]) for c in conds) + " |"]
    lines += ["", "| training steps/s | " + " | ".join(conditions_lib.LABELS[c] for c in conds)
              + " |", rule, "| mean | " + " | ".join(
                  f"{summary[c]['steps_per_second']['mean']:.2f}"
                  if summary[c]["steps_per_second"] else "–" for c in conds) + " |"]
    gains = compare_to_baseline(summary)
    if gains:
        lines += ["", "Gain over None (points) against the seed-to-seed noise "
                  "(2 standard errors of the difference):", ""]
        for c, g in gains.items():
            verdict = "larger than the noise" if g["significant"] else "within the noise"
            lines.append(f"- {conditions_lib.LABELS[c]}: {g['gain']:+.2f} ± {g['noise']:.2f}"
                         f" ({verdict})")
    return "\n".join(lines) + "\n"


def plot(summary, path, title=""):
    """Writes a PNG: accuracy per condition (error bars) and per device.

    Args:
        summary: from :func:`summarize`.
        path: the PNG file.
        title: figure title.

    Raises:
        ImportError: when matplotlib is missing (``pip install
            keras_specmix[experiments]``).
    """
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    conds = [c for c in conditions_lib.CONDITIONS if c in summary]
    labels = [conditions_lib.LABELS[c] for c in conds]
    devices = sorted({d for c in conds for d in summary[c]["per_device"]})
    fig, axes = plt.subplots(1, 2 if devices else 1, figsize=(12 if devices else 6, 4),
                             squeeze=False)
    ax = axes[0, 0]
    means = [summary[c]["accuracy"]["mean"] for c in conds]
    stds = [summary[c]["accuracy"]["std"] for c in conds]
    ax.bar(labels, means, yerr=stds, capsize=4, color="#4c72b0")
    low = min(m - s for m, s in zip(means, stds))
    ax.set_ylim(max(0.0, low - 5), min(100.0, max(m + s for m, s in zip(means, stds)) + 3))
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("mean ± std over seeds")
    if devices:
        ax = axes[0, 1]
        width = 0.8 / len(conds)
        x = np.arange(len(devices))
        for k, c in enumerate(conds):
            ax.bar(x + k * width, [summary[c]["per_device"].get(d, np.nan) for d in devices],
                   width, label=conditions_lib.LABELS[c])
        ax.set_xticks(x + 0.4 - width / 2, devices)
        ax.set_ylabel("test accuracy (%)")
        ax.set_title("per device (mean over seeds)")
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
