"""Figures of a comparison (matplotlib): seeds, pairing, intervals, devices, classes.

Every panel keeps an honest scale: accuracies on a 0-100 axis with the
chance level drawn, differences on an axis symmetric around 0. Each seed is a
point; a thin line joins the same seed across conditions, so the pairing the
statistics use is visible.
"""

import io

import numpy as np

from keras_specmix import _optional
from keras_specmix.experiments import conditions as conditions_lib
from keras_specmix.experiments import report
from keras_specmix.experiments import stats

scipy_stats = _optional.lazy("scipy.stats", "The figures' confidence intervals")


def _pyplot():
    _optional.require("matplotlib", "The figures").use("Agg")
    return _optional.require("matplotlib.pyplot", "The figures")


def _save(fig, path):
    """Writes ``fig`` as a PNG atomically (a killed process leaves the old file or the new)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    report.write_atomic(path, buffer.getvalue())


def _grouped(runs, metric="accuracy"):
    """{condition: {seed: value}} in the talk's order."""
    out = {}
    for r in runs:
        if r.get(metric) is not None:
            out.setdefault(r["condition"], {})[r["seed"]] = r[metric]
    return {c: out[c] for c in conditions_lib.CONDITIONS if c in out}


def _t_interval(values, confidence=0.95):
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return 0.0
    return float(
        scipy_stats.t.ppf(0.5 + confidence / 2, values.size - 1)
        * values.std(ddof=1)
        / np.sqrt(values.size)
    )


def _chance(runs):
    classes = next((len(r["per_class"]) for r in runs if r.get("per_class")), None)
    return 100.0 / classes if classes else None


def _seeds_and_means(ax, grouped, chance):
    conds = list(grouped)
    seeds = sorted({s for g in grouped.values() for s in g})
    x = np.arange(len(conds))
    for seed in seeds:  # one grey line per seed: the pairing
        ys = [grouped[c].get(seed, np.nan) for c in conds]
        ax.plot(x, ys, color="0.75", lw=0.8, zorder=1)
    for k, c in enumerate(conds):
        vals = np.array(list(grouped[c].values()))
        ax.scatter(np.full(vals.size, k), vals, s=18, color=conditions_lib.COLORS[c], zorder=2)
        ax.errorbar(
            k + 0.18,
            vals.mean(),
            yerr=_t_interval(vals),
            fmt="D",
            color="black",
            ms=5,
            capsize=4,
            zorder=3,
        )
    if chance is not None:
        ax.axhline(chance, ls="--", color="0.4", lw=1)
        ax.text(
            len(conds) - 0.5,
            chance + 1,
            f"chance {chance:.0f}%",
            ha="right",
            fontsize=8,
            color="0.3",
        )
    ax.set_xticks(x, [conditions_lib.LABELS[c] for c in conds])
    ax.set_xlim(-0.5, len(conds) - 0.5)
    ax.set_ylim(-2, 102)  # 0-100, with room for the dots at the ends
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(
        f"each seed (dots, grey lines join a seed), mean ± 95% t interval ({len(seeds)} seeds)",
        fontsize=9,
    )


def _differences(ax, rows):
    lab = conditions_lib.LABELS
    names = [f"{lab[r['a']]}\n− {lab[r['b']]}" for r in rows]
    span = (
        max(
            [abs(d) for r in rows for d in r["differences"]]
            + [abs(r["ci_low"] or 0) for r in rows]
            + [abs(r["ci_high"] or 0) for r in rows]
            + [stats.TALK_GAIN]
        )
        * 1.15
    )
    for k, r in enumerate(rows):
        d = np.array(r["differences"])
        ax.scatter(np.full(d.size, k), d, s=18, color=conditions_lib.COLORS[r["a"]], zorder=2)
        if r["ci_low"] is not None:
            ax.errorbar(
                k + 0.18,
                r["mean"],
                yerr=[[r["mean"] - r["ci_low"]], [r["ci_high"] - r["mean"]]],
                fmt="D",
                color="black",
                ms=5,
                capsize=4,
                zorder=3,
            )
        ax.text(
            k,
            -span * 0.95,
            f"Holm p {r['p_holm']:.2f}" if r["p_holm"] is not None else "",
            ha="center",
            fontsize=7,
        )
    ax.axhline(0, color="0.3", lw=1)
    ax.axhline(stats.TALK_GAIN, ls=":", color="#d62728", lw=1)
    ax.text(
        len(rows) - 0.5,
        stats.TALK_GAIN,
        f"talk's gain {stats.TALK_GAIN:+.1f}",
        ha="right",
        va="bottom",
        fontsize=8,
        color="#d62728",
    )
    ax.set_xticks(np.arange(len(rows)), names, fontsize=7)
    ax.set_xlim(-0.5, len(rows) - 0.5)
    ax.set_ylim(-span, span)
    ax.set_ylabel("paired difference (accuracy points)")
    ax.set_title("per-seed differences, mean ± 95% t interval", fontsize=9)


def _breakdown(ax, runs, key, title, chance, unseen=()):
    grouped = {}
    for r in runs:
        for name, value in (r.get(key) or {}).items():
            if value is not None:
                grouped.setdefault(r["condition"], {}).setdefault(name, []).append(value)
    conds = [c for c in conditions_lib.CONDITIONS if c in grouped]
    names = (
        sorted({n for g in grouped.values() for n in g})
        if key == "per_device"
        else list(dict.fromkeys(n for r in runs for n in (r.get(key) or {})))
    )
    width = 0.8 / max(len(conds), 1)
    for k, c in enumerate(conds):
        for i, name in enumerate(names):
            vals = grouped[c].get(name, [])
            xpos = i - 0.4 + (k + 0.5) * width
            ax.scatter(
                np.full(len(vals), xpos), vals, s=6, color=conditions_lib.COLORS[c], alpha=0.5
            )
            if vals:
                ax.plot(
                    [xpos - width / 2.5, xpos + width / 2.5],
                    [np.mean(vals)] * 2,
                    color=conditions_lib.COLORS[c],
                    lw=2,
                    label=conditions_lib.LABELS[c] if i == 0 else None,
                )
    for i, name in enumerate(names):
        if name in unseen:
            ax.axvspan(i - 0.5, i + 0.5, color="#f2e6c9", zorder=0)
    labels = [f"{n}\n(unseen)" if n in unseen else n for n in names]
    ax.set_xticks(
        np.arange(len(names)),
        labels,
        fontsize=7,
        rotation=0 if key == "per_device" else 30,
        ha="center" if key == "per_device" else "right",
    )
    ax.set_xlim(-0.5, len(names) - 0.5)
    if chance is not None:
        ax.axhline(chance, ls="--", color="0.4", lw=1)
    ax.set_ylim(-2, 102)  # 0-100, with room for the dots at the ends
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=len(conds), loc="upper left")


def plot(runs, rows, path, title=""):
    """Writes the comparison figure (PNG).

    Panels: accuracy per condition (each seed a dot, grey lines join a seed,
    mean ± 95% t interval, chance level, 0-100 axis); the paired differences
    of :func:`~keras_specmix.experiments.report.compare` with their intervals,
    Holm p-values and the talk's gain; per device (unseen devices shaded and
    labelled) and per class, where the runs have them.

    Args:
        runs: run records of one configuration.
        rows: from :func:`~keras_specmix.experiments.report.compare`.
        path: the PNG file.
        title: figure title.

    Raises:
        ImportError: when matplotlib is missing.
    """
    plt = _pyplot()
    grouped = _grouped(runs)
    chance = _chance(runs)
    has_devices = any(r.get("per_device") for r in runs)
    has_classes = any(r.get("per_class") for r in runs)
    n_rows = 1 + int(has_devices) + int(has_classes)
    fig = plt.figure(figsize=(13, 4.2 * n_rows))
    grid = fig.add_gridspec(n_rows, 2)
    _seeds_and_means(fig.add_subplot(grid[0, 0]), grouped, chance)
    ax = fig.add_subplot(grid[0, 1])
    if rows:
        _differences(ax, rows)
    else:
        ax.set_axis_off()
    row = 1
    if has_devices:
        unseen = set()
        for r in runs:
            if r.get("seen_devices") is not None:
                unseen |= set(r["per_device"]) - set(r["seen_devices"])
        _breakdown(
            fig.add_subplot(grid[row, :]),
            runs,
            "per_device",
            "per device: dots are seeds, bars are means (shaded: devices unseen in training)",
            chance,
            unseen,
        )
        row += 1
    if has_classes:
        _breakdown(
            fig.add_subplot(grid[row, :]),
            runs,
            "per_class",
            "per class: dots are seeds, bars are means",
            chance,
        )
    fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def confusion(runs, conditions, path, title=""):
    """Writes row-normalised confusion matrices (summed over seeds), one per condition.

    Args:
        runs: run records with ``"confusion_matrix"`` (rows: true class,
            columns: predicted) and ``"per_class"`` (the class names, in order).
        conditions: the conditions to draw (e.g. the baseline and the best).
        path: the PNG file.
        title: figure title.

    Returns:
        True when the figure was written, False when no run has a matrix.
    """
    mats = {}
    for c in conditions:
        group = [
            np.asarray(r["confusion_matrix"])
            for r in runs
            if r["condition"] == c and r.get("confusion_matrix") is not None
        ]
        if group:
            mats[c] = np.sum(group, axis=0)
    if not mats:
        return False
    plt = _pyplot()
    names = list(next(r["per_class"] for r in runs if r.get("per_class")))
    fig, axes = plt.subplots(1, len(mats), figsize=(6.2 * len(mats), 5.6), squeeze=False)
    for ax, (c, m) in zip(axes[0], mats.items()):
        share = 100.0 * m / np.maximum(m.sum(axis=1, keepdims=True), 1)
        ax.imshow(share, vmin=0, vmax=100, cmap="Blues")
        for i in range(share.shape[0]):
            for j in range(share.shape[1]):
                ax.text(
                    j,
                    i,
                    f"{share[i, j]:.0f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if share[i, j] > 60 else "black",
                )
        ax.set_xticks(np.arange(len(names)), names, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(np.arange(len(names)), names, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        n_seeds = sum(1 for r in runs if r["condition"] == c and r.get("confusion_matrix"))
        ax.set_title(
            f"{conditions_lib.LABELS[c]}: % of each true class, summed over {n_seeds} seeds",
            fontsize=9,
        )
    fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return True
