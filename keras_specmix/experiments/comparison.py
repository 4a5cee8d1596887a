"""The comparison loop: every (seed, condition) not yet stored, then the reports.

:func:`run_comparison` trains the runs a results file lacks, stores each with
its provenance as it finishes, and writes the Markdown table and the
figures from every stored run of the same settings.
"""

import os
import tempfile
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from keras_specmix import _faults
from keras_specmix.datasets import skip_report
from keras_specmix.experiments import conditions as conditions_lib
from keras_specmix.experiments import distribute
from keras_specmix.experiments import figures
from keras_specmix.experiments import report
from keras_specmix.experiments import splits as splits_lib
from keras_specmix.experiments import train

if TYPE_CHECKING:  # annotations only
    import tensorflow as tf

    from keras_specmix.experiments.train import RunConfig


def default_output_dir(root="results", now=None):
    """Creates and returns a new folder, ``<root>/<YYYYmmdd-HHMMSS>`` (``-2``, ... if taken).

    The runner's default output: a command without ``--output-dir`` never
    finds earlier runs to skip, so it always trains.
    """
    base = os.path.join(root, time.strftime("%Y%m%d-%H%M%S", time.localtime(now)))
    path, k = base, 1
    while True:
        try:
            os.makedirs(path)  # claims the name: two commands started together differ
            return path
        except FileExistsError:
            k += 1
            path = f"{base}-{k}"


def clock(seconds):
    """``m:ss``, or ``h:mm:ss`` from an hour on."""
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        if seconds >= 3600
        else f"{seconds // 60}:{seconds % 60:02d}"
    )


class Progress:
    """One line per finished run: overall count, elapsed time and time left.

    The time left is the mean wall time of the runs finished by this command
    times the runs still to do.

    Args:
        total: runs this command trains.
        log: a print-like function.
        clock: a ``time.perf_counter``-like function (tests inject one).
    """

    def __init__(self, total, log=print, clock=time.perf_counter):
        self.total, self.done, self.log, self.clock = total, 0, log, clock
        self.start = clock()

    def finished(self, record):
        """Logs the line of one finished run; returns the estimated seconds left."""
        self.done += 1
        elapsed = self.clock() - self.start
        left = elapsed / self.done * (self.total - self.done)
        self.log(
            f"[{self.done}/{self.total}] {record['condition']}, seed {record['seed']}: "
            f"test accuracy {record['accuracy']:.2f}% (best epoch {record['best_epoch']}),"
            f" {record['wall_time_s']:.0f} s | elapsed {clock(elapsed)}, "
            f"about {clock(left)} left"
        )
        return left


def run_comparison(
    config: "RunConfig",
    load_kwargs: Mapping[str, Any],
    conditions: Sequence[str],
    seeds: Sequence[int],
    output_dir: str | os.PathLike[str] | None,
    strategy: "tf.distribute.Strategy | distribute.KerasDistribution | None" = None,
    verbose: int = 1,
    log: Callable[[str], object] = print,
    command: str | None = None,
) -> tuple[dict[str, str], str]:
    """Runs every (seed, condition) not yet in the JSON file, then writes the reports.

    Each run record carries its own provenance (versions, git commit and
    dirty flag, command line, device: :func:`~keras_specmix.experiments.report.environment`),
    so runs added to a file by a later command keep theirs.

    Args:
        config: :class:`~keras_specmix.experiments.train.RunConfig`.
        load_kwargs: arguments of :func:`~keras_specmix.experiments.splits.load_splits`.
        conditions: condition names.
        seeds: run seeds.
        output_dir: where ``<dataset>_<model>.{json,md,png}`` and
            ``<dataset>_<model>_confusion.png`` go.
        strategy: ``tf.distribute.Strategy``, a
            :class:`~keras_specmix.experiments.distribute.KerasDistribution`
            or None. With several processes, every process calls this with
            the same arguments; process 0's results file decides which runs
            are left (broadcast to the others), each process loads only its
            shard of the training files, and process 0 alone logs and
            writes the files (``output_dir`` may be None elsewhere).
        verbose: Keras ``fit`` verbosity.
        log: a print-like function for progress lines.
        command: the command line recorded in each run's provenance
            (default: this process's ``sys.argv``).

    Returns:
        ``(paths dict, markdown text)``; ``({}, "")`` on processes other than 0.
    """
    num_processes = distribute.process_count(strategy)
    index = distribute.process_index(strategy)
    lead = index == 0
    if not lead:  # process 0 speaks and writes for all
        log, verbose = (lambda *args, **kwargs: None), 0
    # One canonical form (what the JSON file gives back): runs are matched by key.
    settings = report.canonical(
        {**config.to_dict(), "data": {k: v for k, v in load_kwargs.items() if k != "cache_dir"}}
    )
    pairs = [(s, c) for s in seeds for c in conditions]
    if lead:
        assert output_dir is not None, "process 0 writes the reports: it needs `output_dir`"
        stem = os.path.join(output_dir, f"{config.dataset}_{config.model}")
        paths = {k: f"{stem}.{k}" for k in ("json", "md", "png")}
        paths["confusion"] = f"{stem}_confusion.png"
        store = report.ResultsStore(paths["json"])
        done = [store.has(report.run_key(settings, c, s)) for s, c in pairs]
    else:
        done = [False] * len(pairs)
    if num_processes > 1:  # process 0's results file decides, on every host
        assert isinstance(strategy, distribute.KerasDistribution)  # the one with processes
        done = strategy.broadcast(np.asarray(done, bool)).tolist()
    todo = [pair for pair, finished in zip(pairs, done) if not finished]
    total = len(pairs)
    if not lead:
        pass
    elif len(todo) < total:
        log(
            f"Resuming {paths['json']}: {total - len(todo)} of {total} runs already there "
            f"(skipped); {len(todo)} to do."
        )
    else:
        log(f"{total} runs ({len(conditions)} conditions x {len(seeds)} seeds) into {output_dir}.")
    if todo:
        start = time.perf_counter()
        shard = (num_processes, index) if num_processes > 1 else None
        splits = splits_lib.load_splits(**load_kwargs, shard=shard)
        log(
            f"Data: {splits.sizes} examples, features {splits.feature_shape}, "
            f"{len(splits.class_names)} classes ({time.perf_counter() - start:.0f} s)."
        )
        if shard is not None:
            print(
                f"Process {index} of {num_processes}: trains on its shard, "
                f"{splits.shard_size} of {splits.sizes['train']} training examples "
                "(the only training files it reads).",
                flush=True,
            )
        provenance = report.environment(command)
        if lead:
            store.data["data_sizes"] = splits.sizes
            if splits.skipped:
                log(skip_report(splits.skipped, load_kwargs["name"], limit=None))
                store.data["skipped_files"] = splits.skipped
        progress = Progress(len(todo), log)
        for seed, condition in todo:
            if verbose:
                log(f"[{progress.done + 1}/{len(todo)}] training {condition}, seed {seed}")
            with tempfile.TemporaryDirectory() as run_dir:
                record = train.run_one(
                    splits, config, condition, seed, run_dir, strategy=strategy, verbose=verbose
                )
            if not lead:
                continue
            assert record is not None  # process 0 scores the test set
            record.update(
                key=report.run_key(settings, condition, seed),
                settings=settings,
                provenance=provenance,
            )
            store.add(record)
            _faults.point("run.stored")
            progress.finished(record)
    if not lead:
        return {}, ""
    _faults.point("report.start")
    # Every stored run of these settings, whichever command trained it.
    runs = report.runs_of(store.runs, settings)
    if len(runs) < len(store.runs):
        log(
            f"{len(store.runs) - len(runs)} runs in {paths['json']} have other settings "
            "(kept in the file, not in this report)."
        )
    rows = report.compare(runs)
    store.data["summary"] = report.summarize(runs)
    store.data["comparisons"] = rows
    store.save()
    title = f"{config.dataset}, {config.model}"
    text = report.markdown_table(runs, config.dataset, config.model, title=title)
    summary = store.data["summary"]
    best = max(
        (c for c in summary if c != "none"),
        key=lambda c: summary[c]["accuracy"]["mean"],
        default=None,
    )
    shown = [c for c in ("none", best) if c is not None and c in summary]
    if figures.confusion(runs, shown, paths["confusion"], title=title):
        labels = [conditions_lib.LABELS[c] for c in shown]
        text += (
            f"\nConfusion matrices of {' and of '.join(labels)}"
            + (" (the augmentation with the best mean)" if best in shown else "")
            + f", summed over seeds: `{os.path.basename(paths['confusion'])}`.\n"
        )
    else:
        del paths["confusion"]
    report.write_atomic(paths["md"], text)
    figures.plot(runs, rows, paths["png"], title=title)
    return paths, text
