"""Results of a comparison: the resumable JSON store, the Markdown table, the plot."""

import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys

import numpy as np

from keras_specmix.experiments import conditions as conditions_lib
from keras_specmix.experiments import paper
from keras_specmix.experiments import stats


def _device_names(tf):
    """The CPU model and the accelerators TensorFlow sees."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu
            )
    except OSError:
        pass
    gpus = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        gpus.append(details.get("device_name", gpu.name))
    return cpu, gpus


def environment(command=None):
    """Provenance of this process: versions, git commit, command and device.

    Stored on every run record (``record["provenance"]``), so runs added to a
    file by a later command keep their own.

    Args:
        command: the command line to record (default: this process's
            ``sys.argv``).

    Returns:
        ``{"versions": {python, tensorflow, keras, numpy, keras_specmix,
        tensorflow_io}, "git_commit", "git_dirty", "command", "platform",
        "cpu", "cpu_count", "gpus", "devices", "op_determinism",
        "onednn_opts"}``; the git entries are None outside a git checkout.
    """
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    import keras_specmix  # noqa: PLC0415

    versions = {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "keras_specmix": keras_specmix.__version__,
    }
    try:
        import tensorflow_io  # noqa: PLC0415

        versions["tensorflow_io"] = tensorflow_io.__version__
    except ImportError:
        versions["tensorflow_io"] = None
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or None
        )
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
        )
    except (OSError, subprocess.SubprocessError):
        commit, dirty = None, None
    if commit is None:
        dirty = None
    cpu, gpus = _device_names(tf)
    from tensorflow.python.framework import config as tf_config  # noqa: PLC0415

    return {
        "versions": versions,
        "git_commit": commit,
        "git_dirty": dirty,
        "command": command or shlex.join([os.path.basename(sys.executable), *sys.argv]),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "gpus": gpus,
        "devices": [d.name for d in tf.config.list_logical_devices()],
        "op_determinism": bool(tf_config.is_op_determinism_enabled()),
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
    }


def run_key(settings, condition, seed):
    """A stable id of one run: the settings, the condition and the seed."""
    text = json.dumps({"settings": settings, "condition": condition, "seed": seed}, sort_keys=True)
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
        {"mean", "std", "n"} or None, "per_device": {device: mean},
        "seeds": [...]}}`` in the talk's condition order (conditions without
        runs are left out).
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
            "per_device": {
                d: float(
                    np.mean(
                        [r["per_device"][d] for r in group if r["per_device"].get(d) is not None]
                    )
                )
                for d in devices
            },
            "seeds": sorted(r["seed"] for r in group),
        }
    return out


def comparison_pairs(conditions, baseline="none", focus="specmix"):
    """The comparisons made: each condition against ``baseline``, then ``focus``
    against each other condition (each unordered pair once)."""
    pairs = [(c, baseline) for c in conditions if c != baseline and baseline in conditions]
    if focus in conditions:
        pairs += [(focus, c) for c in conditions if c not in (baseline, focus)]
    return pairs


def compare(
    runs, metric="accuracy", baseline="none", focus="specmix", alpha=0.05, effect=stats.TALK_GAIN
):
    """Paired comparisons over the seeds both conditions ran, Holm-corrected.

    Args:
        runs: run records.
        metric: the record entry compared (``"accuracy"``,
            ``"unseen_devices_accuracy"``, ...).
        baseline: every other condition is compared with it.
        focus: compared with every condition other than ``baseline`` too.
        alpha: family-wise significance level of the verdicts.
        effect: the gain whose required number of seeds is reported.

    Returns:
        A list of dicts, one per comparison: ``"a"``, ``"b"``, ``"seeds"``,
        the fields of :func:`~keras_specmix.experiments.stats.paired_difference`
        (differences ``a - b``), ``"p_holm"`` (Holm over all comparisons in
        the list), ``"seeds_needed"`` (for ``effect`` at power 0.8 given the
        observed std of the differences) and ``"verdict"``: ``"better"`` or
        ``"worse"`` when ``p_holm < alpha``, ``"no detectable difference"``
        otherwise, ``"one seed: no test"`` with fewer than two seeds.

    Examples:

    >>> runs = [{"condition": c, "seed": s, "accuracy": a} for c, s, a in
    ...         [("none", 0, 50.0), ("none", 1, 52.0), ("specmix", 0, 53.0),
    ...          ("specmix", 1, 54.0)]]
    >>> [(r["a"], r["b"], r["mean"]) for r in compare(runs)]
    [('specmix', 'none', 2.5)]
    """
    by_condition = {}
    for r in runs:
        if r.get(metric) is not None:
            by_condition.setdefault(r["condition"], {})[r["seed"]] = r[metric]
    conditions = [c for c in conditions_lib.CONDITIONS if c in by_condition]
    rows = []
    for a, b in comparison_pairs(conditions, baseline, focus):
        seeds = sorted(set(by_condition[a]) & set(by_condition[b]))
        if not seeds:
            continue
        row = {
            "a": a,
            "b": b,
            "seeds": seeds,
            **stats.paired_difference(
                [by_condition[a][s] for s in seeds],
                [by_condition[b][s] for s in seeds],
                confidence=1.0 - alpha,
            ),
        }
        row["seeds_needed"] = stats.seeds_needed(row["std"], effect=effect, alpha=alpha)
        rows.append(row)
    for row, p_holm in zip(rows, stats.holm([row["p_value"] for row in rows])):
        row["p_holm"] = p_holm
        if p_holm is None:
            row["verdict"] = "one seed: no test"
        elif p_holm < alpha:
            row["verdict"] = "better" if row["mean"] > 0 else "worse"
        else:
            row["verdict"] = "no detectable difference"
    return rows


def _fmt(entry):
    return "–" if entry is None else f"{entry['mean']:.2f} ± {entry['std']:.2f}"


def _fmt_p(p):
    return "–" if p is None else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def comparison_table(rows, effect=stats.TALK_GAIN):
    """Markdown lines of :func:`compare`'s rows (one line per comparison)."""
    if not rows:
        return []
    lab = conditions_lib.LABELS
    lines = [
        "| comparison | per-seed differences | mean | 95% CI (t) | p (paired t) "
        f"| p (Holm, {len(rows)} tests) | seeds for {effect:+.1f} | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ci = "–" if r["ci_low"] is None else f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]"
        lines.append(
            f"| {lab[r['a']]} − {lab[r['b']]} | "
            + ", ".join(f"{d:+.2f}" for d in r["differences"])
            + f" | {r['mean']:+.2f} | {ci} | {_fmt_p(r['p_value'])} | {_fmt_p(r['p_holm'])} | "
            f"{'–' if r['seeds_needed'] is None else r['seeds_needed']} | {r['verdict']} |"
        )
    return lines


def markdown_table(runs, dataset, model, title=None, alpha=0.05, effect=stats.TALK_GAIN):
    """The talk's table, ours beside the paper's where it has the row, and the
    paired comparisons.

    Args:
        runs: run records of one configuration (from :class:`ResultsStore`).
        dataset: dataset name.
        model: model name.
        title: optional heading.
        alpha: family-wise significance level of the verdicts.
        effect: the gain whose required number of seeds is reported.

    Returns:
        Markdown text: the accuracy table (mean ± std over seeds), the
        seen/unseen device table, training speed, and the paired comparisons
        with their verdicts.
    """
    summary = summarize(runs)
    conds = [c for c in conditions_lib.CONDITIONS if c in summary]
    head = "| data / model | " + " | ".join(conditions_lib.LABELS[c] for c in conds) + " |"
    rule = "|---|" + "---|" * len(conds)
    seeds = max((summary[c]["accuracy"]["n"] for c in conds), default=0)
    lines = [f"## {title}", ""] if title else []
    lines += [
        "Test accuracy (%), mean ± std over "
        f"{seeds} seed{'s' if seeds != 1 else ''}; checkpoint picked on validation.",
        "",
        head,
        rule,
        f"| {dataset}, {model} (ours) | "
        + " | ".join(_fmt(summary[c]["accuracy"]) for c in conds)
        + " |",
    ]
    row = paper.paper_results(dataset, model)
    if row:
        lines.append(
            f"| {dataset}, {model} (paper, best test checkpoint) | "
            + " | ".join(f"{row[c]:.2f}" for c in conds)
            + " |"
        )
    if any(summary[c]["seen"] for c in conds):
        lines += [
            "",
            "| devices | " + " | ".join(conditions_lib.LABELS[c] for c in conds) + " |",
            rule,
            "| seen | " + " | ".join(_fmt(summary[c]["seen"]) for c in conds) + " |",
            "| unseen | " + " | ".join(_fmt(summary[c]["unseen"]) for c in conds) + " |",
        ]
    lines += [
        "",
        "| training steps/s | " + " | ".join(conditions_lib.LABELS[c] for c in conds) + " |",
        rule,
        "| mean | "
        + " | ".join(
            f"{summary[c]['steps_per_second']['mean']:.2f}"
            if summary[c]["steps_per_second"]
            else "–"
            for c in conds
        )
        + " |",
    ]
    rows = compare(runs, alpha=alpha, effect=effect)
    if rows:
        lines += [
            "",
            "Paired comparisons of test accuracy (points; the same seed shares "
            "initial weights and data order across conditions): differences per seed, "
            f"their mean, its {100 * (1 - alpha):.0f}% t interval, the paired t-test and "
            f"the Holm correction for {len(rows)} comparisons; the last columns give how "
            f"many seeds this spread needs to detect a {effect:+.1f}-point gain (the "
            f"talk's) with power 0.8 at α = {alpha}, and the verdict at α = {alpha} "
            "after correction.",
            "",
            *comparison_table(rows, effect),
        ]
        lines += ["", "Verdicts:", ""]
        lab = conditions_lib.LABELS
        for r in rows:
            ci = (
                "" if r["ci_low"] is None else f", 95% CI [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]"
            )
            lines.append(
                f"- {lab[r['a']]} vs {lab[r['b']]}: {r['mean']:+.2f} points{ci}, "
                f"Holm p = {_fmt_p(r['p_holm'])}: {r['verdict']}."
            )
    return "\n".join(lines) + "\n"
