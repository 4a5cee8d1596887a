"""Results of a comparison: the resumable JSON store, the Markdown table, the plot."""

import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys

import numpy as np

from keras_specmix import _faults as faults
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
    from keras_specmix import _compat  # noqa: PLC0415

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
        "op_determinism": _compat.op_determinism(),
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
    }


def canonical(settings):
    """The one form in which settings are stored, keyed and compared.

    What a JSON round trip gives back: tuples become lists, and every value
    is a JSON type. Settings built in this process and settings read back
    from a results file are equal in this form; :func:`settings_key` and
    :func:`run_key` hash it with sorted keys.

    Args:
        settings: a JSON-serialisable dict (tuples allowed).

    Returns:
        A new dict of JSON types.

    Examples:

    >>> canonical({"gamma": (0.0, 1.0), "epochs": 3})
    {'gamma': [0.0, 1.0], 'epochs': 3}
    """
    return json.loads(json.dumps(settings))


def _digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def settings_key(settings):
    """A stable id of a comparison's settings (the same for every condition and seed).

    Examples:

    >>> settings_key({"gamma": (0.0, 1.0)}) == settings_key({"gamma": [0.0, 1.0]})
    True
    """
    return _digest(canonical(settings))


def run_key(settings, condition, seed):
    """A stable id of one run: its settings (:func:`canonical` form), condition and seed.

    The settings are those the condition's run depends on
    (:func:`~keras_specmix.experiments.conditions.settings_for`: of the
    augmentation parameters, only the condition's own).

    Examples:

    >>> settings = {"augmentation": {"alpha": 0.4, "gamma": 0.3}}
    >>> run_key(settings, "specmix", 0) == run_key({"augmentation": {"gamma": 0.3}}, "specmix", 0)
    True
    """
    settings = canonical(conditions_lib.settings_for(settings, condition))
    return _digest({"settings": settings, "condition": condition, "seed": seed})


def runs_of(runs, settings):
    """The stored runs of one comparison: those whose key is ``settings``' key for their
    condition and seed (each key once, the first stored).

    Runs are matched by key, never by comparing settings objects, so runs
    read back from the file and runs trained by this process match alike.

    Args:
        runs: run records (``"key"``, ``"condition"``, ``"seed"``).
        settings: the comparison's settings (any form :func:`canonical` accepts).

    Returns:
        The matching records, in stored order.
    """
    settings = canonical(settings)
    out, seen = [], set()
    for run in runs:
        key = run.get("key")
        if key not in seen and key == run_key(settings, run.get("condition"), run.get("seed")):
            seen.add(key)
            out.append(run)
    return out


def write_atomic(path, data):
    """Writes ``data`` (str or bytes) to ``path`` through a temporary file and ``os.replace``.

    A reader, or a process killed halfway, sees the old file or the new one,
    never a part. The temporary file is ``<path>.tmp``: one left by a killed
    writer is replaced by the next write.

    Args:
        path: the file.
        data: ``str`` (written as UTF-8) or ``bytes``.
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    faults.point("write" + os.path.splitext(path)[1])
    os.replace(tmp, path)


class ResultsStore:
    """The JSON file of every finished run; a rerun skips the runs it holds.

    The file is rewritten atomically after each run, so an interrupted
    comparison resumes where it stopped. Each stored run's key is recomputed
    from its stored settings, condition and seed (:func:`run_key`), so a file
    written by an earlier version keyed differently still resumes.

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
        for run in self.runs:
            # The key this version gives the run's stored settings, condition
            # and seed: a file keyed by an earlier version resumes, not retrains.
            if {"settings", "condition", "seed"} <= run.keys():
                run["key"] = run_key(run["settings"], run["condition"], run["seed"])

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
        """Writes the file atomically (:func:`write_atomic`)."""
        write_atomic(self.path, json.dumps(self.data, indent=1, sort_keys=False))


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
        observed std of the differences, at level ``alpha / m`` for the ``m``
        comparisons of the list: a p-value below it is rejected by the Holm
        correction whatever the other p-values, so the number is enough for
        the verdict; None with one paired seed (``"std"`` None) or when more
        than :data:`~keras_specmix.experiments.stats.MAX_SEEDS` would be
        needed) and ``"verdict"``: ``"better"`` or
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
        rows.append(row)
    for row in rows:  # at α/m: the level Holm over the m comparisons rejects at, whatever else
        row["seeds_needed"] = stats.seeds_needed(row["std"], effect=effect, alpha=alpha / len(rows))
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


def _fmt_seeds_needed(row):
    if row["std"] is None:
        return "–"
    return f"> {stats.MAX_SEEDS}" if row["seeds_needed"] is None else str(row["seeds_needed"])


def _seeds_needed_level(alpha, m):
    if m == 1:
        return f"α = {alpha}"
    return (
        f"α/{m} = {alpha / m:.4g} (a p-value below α/m passes the Holm correction over "
        f"the table's {m} comparisons whatever the others' p-values)"
    )


def _fmt_p(p):
    return "–" if p is None else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def _seed_list(seeds):
    return ", ".join(str(s) for s in seeds)


def comparison_table(rows, effect=stats.TALK_GAIN):
    """Markdown lines of :func:`compare`'s rows (one line per comparison).

    When the rows pair different seeds (conditions run over different
    seeds), each row's differences name the seeds they pair.
    """
    if not rows:
        return []
    lab = conditions_lib.LABELS
    tests = sum(r["p_holm"] is not None for r in rows)
    uneven = len({tuple(r["seeds"]) for r in rows}) > 1
    lines = [
        "| comparison | per-seed differences | mean | 95% CI (t) | p (paired t) "
        f"| p (Holm, {_plural(tests, 'test')}) | seeds for {effect:+.1f} | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ci = "–" if r["ci_low"] is None else f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]"
        seeds = f" (seed{'s' if len(r['seeds']) > 1 else ''} {_seed_list(r['seeds'])})"
        lines.append(
            f"| {lab[r['a']]} − {lab[r['b']]} | "
            + ", ".join(f"{d:+.2f}" for d in r["differences"])
            + (seeds if uneven else "")
            + f" | {r['mean']:+.2f} | {ci} | {_fmt_p(r['p_value'])} | {_fmt_p(r['p_holm'])} | "
            f"{_fmt_seeds_needed(r)} | {r['verdict']} |"
        )
    return lines


def _seeds_header(summary, conds):
    """How many seeds the means are over: one count, or each group of conditions' seeds."""
    groups = {}
    for c in conds:
        groups.setdefault(tuple(summary[c]["seeds"]), []).append(conditions_lib.LABELS[c])
    if len(groups) == 1:
        ((seeds, _),) = groups.items()
        return f"mean ± std over {_plural(len(seeds), 'seed')}"
    parts = [
        f"{', '.join(names)}: {_plural(len(seeds), 'seed')} ({_seed_list(seeds)})"
        for seeds, names in sorted(groups.items(), key=lambda g: (-len(g[0]), g[0]))
    ]
    return "mean ± std over each condition's seeds (" + "; ".join(parts) + ")"


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
    lines = [f"## {title}", ""] if title else []
    lines += [
        f"Test accuracy (%), {_seeds_header(summary, conds)}; checkpoint picked on validation.",
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
        tests = sum(r["p_holm"] is not None for r in rows)
        uneven = len({tuple(summary[c]["seeds"]) for c in conds}) > 1
        lines += [
            "",
            "Paired comparisons of test accuracy (points; the same seed shares "
            "initial weights and data order across conditions): differences per seed, "
            f"their mean, its {100 * (1 - alpha):.0f}% t interval, the paired t-test and "
            f"the Holm correction over the {_plural(tests, 'comparison')} with two or "
            "more paired seeds; the seeds column gives how many seeds this spread "
            f"needs to detect a {effect:+.1f}-point gain (the talk's) with power 0.8 "
            f"at {_seeds_needed_level(alpha, len(rows))}, and the verdict is at "
            f"α = {alpha} after correction."
            + (
                " The conditions ran different seeds: each comparison pairs only the "
                "seeds both conditions ran (named after its differences); a condition's "
                "other seeds count in its mean ± std above but in no test, and a "
                "comparison with one shared seed is not tested."
                if uneven
                else ""
            ),
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
