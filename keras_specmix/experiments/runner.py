"""Command line: ``python -m keras_specmix.experiments`` (or ``keras-specmix-experiments``).

Runs one or all five augmentation conditions over several seeds, keeps every
finished run in a JSON file (a rerun skips them), and writes the talk's table
as Markdown and a PNG plot. ``--help`` lists every option.
"""

import argparse
import math
import os
import shlex
import sys
import tempfile
import time

from keras_specmix.datasets.audio_io import AudioFileError
from keras_specmix.experiments import conditions as conditions_lib
from keras_specmix.experiments import distribute
from keras_specmix.experiments import faults
from keras_specmix.experiments import models
from keras_specmix.experiments import optim
from keras_specmix.experiments import paper
from keras_specmix.experiments import sources

PAPER_MILESTONES = (10_000, 30_000, 50_000, 70_000, 90_000)
DEFAULT_CACHE = os.path.join(
    os.path.expanduser("~"), ".keras", "datasets", "keras_specmix_experiments"
)


def _number(cast, expected, low=None, high=None, low_open=False, high_open=False):
    """An argparse type: ``cast(text)``, finite and within the given bounds."""

    def parse(text):
        try:
            value = cast(text)
        except ValueError:
            value = None
        ok = (
            value is not None
            and math.isfinite(value)
            and (low is None or (value > low if low_open else value >= low))
            and (high is None or (value < high if high_open else value <= high))
        )
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {expected}, received {text!r}")
        return value

    return parse


_positive_int = _number(int, "an integer >= 1", low=1)
_nonnegative_int = _number(int, "an integer >= 0", low=0)
_positive_float = _number(float, "a finite number > 0", low=0.0, low_open=True)
_nonnegative_float = _number(float, "a finite number >= 0", low=0.0)
_fraction = _number(float, "a number in (0, 1)", low=0.0, high=1.0, low_open=True, high_open=True)
_num_locations = _number(
    int, "an integer >= 3 (one location each for training, validation and test)", low=3
)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" once: not for None/False defaults, nor where the help states it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default is None or action.default is False or "default" in text:
            return text
        return super()._get_help_string(action)


def _seeds(text):
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        seeds = None
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(
            f"expected distinct comma-separated integers >= 0 such as 0,1,2, received {text!r}"
        )
    return seeds


def _gamma(text):
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if (
        len(parts) not in (1, 2)
        or not all(0.0 <= p <= 1.0 for p in parts)
        or (len(parts) == 2 and parts[0] > parts[1])
    ):
        raise argparse.ArgumentTypeError(
            f"expected a ratio in [0, 1] (0.3) or a range low,high (0,1), received {text!r}"
        )
    return parts[0] if len(parts) == 1 else tuple(parts)


def _conditions(text):
    if text == "all":
        return list(conditions_lib.TALK_CONDITIONS)
    names = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in names if c not in conditions_lib.CONDITIONS]
    if not names or bad:
        raise argparse.ArgumentTypeError(
            f"expected 'all' (the talk's five) or a comma-separated subset of "
            f"{','.join(conditions_lib.CONDITIONS)}, received {text!r}"
        )
    return names


def _number_pair(text, kind=float):
    try:
        parts = [kind(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 2 or parts[0] > parts[1]:
        raise argparse.ArgumentTypeError(f"expected low,high with low <= high, received {text!r}")
    return tuple(parts)


def _band_counts(text):
    pair = _number_pair(text, int)
    if not 1 <= pair[0] < pair[1]:
        raise argparse.ArgumentTypeError(
            f"expected low,high band counts with 1 <= low < high (high excluded), received {text!r}"
        )
    return pair


def _probability(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], received {text!r}")
    return value


def _policy_mixers(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in conditions_lib.POLICY_MIXERS]
    if not names or bad:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated subset of {','.join(conditions_lib.POLICY_MIXERS)}, "
            f"received {text!r}"
        )
    return tuple(names)


def _policy_probs(text):
    try:
        probs = tuple(float(p) for p in text.split(","))
    except ValueError:
        probs = ()
    if not probs or any(p < 0 for p in probs) or abs(sum(probs) - 1.0) > 1e-6:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated probabilities summing to 1 (0.5,0.5), received {text!r}"
        )
    return probs


def build_parser():
    """The argument parser (exposed for the docs and tests)."""
    p = argparse.ArgumentParser(
        prog="python -m keras_specmix.experiments",
        description="Scene-classification comparison of the SpecMix talk: none, MixUp, "
        "CutMix, SpecAugment and SpecMix over several seeds. Writes "
        "<output-dir>/<dataset>_<model>.{json,md,png}; finished runs are "
        "skipped on a rerun.",
        formatter_class=_HelpFormatter,
    )
    g = p.add_argument_group("presets")
    g.add_argument(
        "--paper",
        action="store_true",
        help="the paper's configuration: ResNet-101, 400-frame crops, whole clips "
        "at test, 200 epochs of 1000 steps, LR ×0.1 at 10k/30k/50k/70k/90k "
        "steps, the talk's γ; synthetic scenes at the paper's shape",
    )
    g.add_argument(
        "--smoke",
        action="store_true",
        help="a few ResNet-101 steps on a fake TAU 2020 Mobile tree (for CI)",
    )
    g = p.add_argument_group("data")
    g.add_argument(
        "--dataset",
        choices=sources.DATASETS,
        default=None,
        help="default: synthetic (tau2020_mobile with --smoke)",
    )
    g.add_argument(
        "--data-dir",
        help="needs --dataset; dataset root (TAU: the folder "
        "with meta.csv; "
        "SECL-UMONS: the folder with the split lists; folder: class "
        "sub-folders; csv: the CSV file; digits: where to render the "
        "WAVs, default ~/.keras/datasets)",
    )
    g.add_argument("--cache-dir", default=DEFAULT_CACHE, help="feature cache folder")
    g.add_argument("--no-cache", action="store_true", help="do not cache features")
    g.add_argument(
        "--clip-seconds",
        type=_positive_float,
        default=None,
        help="folder/csv: crop or zero-pad every clip to this length "
        "(needed when the clips differ in length)",
    )
    g.add_argument(
        "--skip-unreadable",
        action="store_true",
        help="skip audio files that cannot be read (listed with their "
        "reasons in the output and the result JSON) instead of stopping",
    )
    g.add_argument(
        "--data-seed",
        type=_nonnegative_int,
        default=0,
        help="seed of the synthetic data and of the validation hold-out",
    )
    g.add_argument(
        "--validation-fraction",
        type=_fraction,
        default=0.1,
        help="share of training locations/recordings/groups held out for checkpoint selection",
    )
    g.add_argument(
        "--num-locations",
        type=_num_locations,
        default=None,
        help="synthetic scenes: locations per class (default: 16)",
    )
    g.add_argument(
        "--clips-per-location",
        type=_positive_int,
        default=None,
        help="synthetic scenes: clips per location (default: 8)",
    )
    g = p.add_argument_group("model and training")
    g.add_argument(
        "--model",
        choices=models.MODELS,
        default=None,
        help="default: small (resnet101 with --paper/--smoke)",
    )
    g.add_argument(
        "--width",
        type=_positive_int,
        default=None,
        help="filters of the first stage of small or two_path "
        "(default: 16 for small, 28 for two_path)",
    )
    g.add_argument("--epochs", type=_positive_int, default=None, help="default: 20 (paper: 200)")
    g.add_argument(
        "--steps-per-epoch",
        type=_positive_int,
        default=None,
        help="default: one pass over the training split (paper: 1000)",
    )
    g.add_argument(
        "--batch-size",
        type=_positive_int,
        default=32,
        help="global batch size, split across replicas",
    )
    g.add_argument(
        "--eval-batch-size",
        type=_positive_int,
        default=64,
        help="batch size of validation and test",
    )
    g.add_argument(
        "--crop-frames",
        type=_positive_int,
        default=None,
        help="random training crop (default: 112 of 118 frames; paper: 400 of 423)",
    )
    g.add_argument("--learning-rate", type=_positive_float, default=1e-3, help="Adam's")
    g.add_argument(
        "--weight-decay", type=_nonnegative_float, default=1e-3, help="see --weight-decay-mode"
    )
    g.add_argument(
        "--weight-decay-mode",
        choices=optim.WEIGHT_DECAY_MODES,
        default="l2",
        help="l2: PyTorch Adam(weight_decay), as the paper; decoupled: Keras/AdamW",
    )
    g.add_argument("--jit-compile", action="store_true", help="compile steps with XLA")
    g.add_argument(
        "--shuffle-buffer",
        type=_positive_int,
        default=4096,
        help="cap of the training shuffle buffer (per process); 1: no shuffling",
    )
    g = p.add_argument_group("augmentation")
    g.add_argument(
        "--augmentation",
        type=_conditions,
        default="all",
        metavar="all|none,mixup,cutmix,specaugment,specmix,...",
        help="conditions to run, also freqmixstyle,filteraugment,mixpolicy; all: the talk's five",
    )
    g.add_argument(
        "--seeds",
        type=_seeds,
        default="0,1,2,3",
        help="one run per seed and condition; the same seed shares initial "
        "weights and data order across conditions (paired comparisons)",
    )
    g.add_argument(
        "--gamma",
        type=_gamma,
        default=None,
        help="SpecMix band ratio: 0.3, or a range 0,1 drawn per example "
        "(default: 0.3; --paper: the talk's value for the row)",
    )
    g.add_argument(
        "--augment-in",
        choices=("model", "data"),
        default=None,
        help="run the augmentation inside the compiled training step (model) or in "
        "tf.data on each process's batches (data). Default: model; data with "
        "--strategy keras-distribution (the layers run in tf.data on any backend)",
    )
    g.add_argument("--alpha", type=_positive_float, default=0.4, help="MixUp/CutMix Beta(α, α)")
    g.add_argument(
        "--cutmix-axes",
        choices=("both", "time", "freq"),
        default="both",
        help="CutMix boxes span both axes or cut one",
    )
    g.add_argument(
        "--specaugment-policy",
        choices=("LB", "LD", "SM", "SS"),
        default=None,
        help="a named policy instead of the masking-only values below",
    )
    g.add_argument(
        "--time-warp", type=_nonnegative_int, default=None, help="SpecAugment W (default: 0)"
    )
    g.add_argument(
        "--freq-mask",
        type=_nonnegative_int,
        default=None,
        help="SpecAugment F (default: n_mels // 5)",
    )
    g.add_argument(
        "--time-mask",
        type=_nonnegative_int,
        default=None,
        help="SpecAugment T (default: crop // 5)",
    )
    g.add_argument(
        "--num-masks",
        type=_nonnegative_int,
        default=None,
        help="SpecAugment m_F = m_T (default: 2)",
    )
    g.add_argument(
        "--mixstyle-alpha", type=_positive_float, default=0.3, help="Freq-MixStyle Beta(α, α)"
    )
    g.add_argument(
        "--mixstyle-prob",
        type=_probability,
        default=0.4,
        help="Freq-MixStyle probability per example",
    )
    g.add_argument(
        "--filter-db-range",
        type=_number_pair,
        default=(-6.0, 6.0),
        metavar="LOW,HIGH",
        help="FilterAugment gains in dB (default: -6,6)",
    )
    g.add_argument(
        "--filter-bands",
        type=_band_counts,
        default=(3, 6),
        metavar="LOW,HIGH",
        help="FilterAugment band count in [LOW, HIGH) (default: 3,6)",
    )
    g.add_argument(
        "--filter-min-bandwidth",
        type=_positive_int,
        default=6,
        help="FilterAugment narrowest band in mel bins",
    )
    g.add_argument(
        "--filter-mode", choices=("linear", "step"), default="linear", help="FilterAugment filter"
    )
    g.add_argument(
        "--policy-mixers",
        type=_policy_mixers,
        default=("mixup", "cutmix"),
        metavar="MIXERS",
        help="mixers of the mixpolicy condition (default: mixup,cutmix)",
    )
    g.add_argument(
        "--policy-probs",
        type=_policy_probs,
        default=None,
        metavar="PROBS",
        help="their probabilities, summing to 1 (default: equal shares)",
    )
    g.add_argument(
        "--policy-mode",
        choices=("example", "batch"),
        default="example",
        help="mixpolicy chooses a mixer per example or per batch",
    )
    g = p.add_argument_group("distribution")
    g.add_argument(
        "--strategy",
        choices=distribute.STRATEGIES,
        default="default",
        help="default/mirrored/multi-worker: tf.distribute (multi-worker reads "
        "TF_CONFIG and runs one worker only); keras-distribution: "
        "keras.distribution.DataParallel on KERAS_BACKEND=jax over every device of "
        "every process, the processes set by KERAS_DISTRIBUTION_JOB_ADDRESSES, "
        "_NUM_PROCESSES and _PROCESS_ID (docs/distribute.md)",
    )
    g.add_argument(
        "--cpu-replicas",
        type=_positive_int,
        default=None,
        help="split the CPU into N logical devices and mirror over them "
        "(testing tf.distribute without GPUs)",
    )
    g.add_argument(
        "--process-timeout",
        type=_positive_int,
        default=None,
        help="keras-distribution with several processes: seconds without a heartbeat "
        f"after which a process is declared lost and the others stop, naming it "
        f"(default: {distribute.DEFAULT_PROCESS_TIMEOUT}; JAX's own is 100)",
    )
    g.add_argument(
        "--op-determinism",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="tf.config.experimental.enable_op_determinism(): the same command, "
        "versions and seeds give the same numbers bit for bit on one machine "
        "(docs/reproducibility.md)",
    )
    g = p.add_argument_group("output")
    g.add_argument(
        "--output-dir",
        default=None,
        help="where <dataset>_<model>.{json,md,png} go. Default: a new folder "
        "results/<date>-<time>, so every command trains; name an existing "
        "folder to resume it (its finished runs are skipped)",
    )
    g.add_argument("--quiet", action="store_true", help="no Keras progress bars")
    return p


def _check_flags(args, dataset, model, parser):
    """Refuses flags that the chosen dataset or model would silently ignore, and bad paths."""
    if args.data_dir is not None and dataset == "synthetic":
        parser.error(
            f"--data-dir needs --dataset (one of {', '.join(sources.DATASETS[1:])}); "
            f"the default synthetic scenes read no files. Received: "
            f"--data-dir {args.data_dir}"
        )
    if args.data_dir is not None and dataset in sources.NEEDS_DATA_DIR and not args.smoke:
        want_file = dataset == "csv"
        exists = os.path.isfile if want_file else os.path.isdir
        if not exists(args.data_dir):
            kind = "a CSV file" if want_file else "a folder"
            parser.error(
                f"--data-dir must be {kind} for --dataset {dataset}; no such "
                f"{'file' if want_file else 'folder'}: {args.data_dir}"
            )
    if dataset == "digits" and args.data_dir and os.path.isfile(args.data_dir):
        parser.error(
            f"--data-dir must be a folder for --dataset digits (where the WAVs "
            f"are rendered). Received a file: {args.data_dir}"
        )
    if args.clip_seconds is not None and dataset not in ("folder", "csv"):
        parser.error(
            f"--clip-seconds applies to --dataset folder or csv; received --dataset {dataset}"
        )
    if args.skip_unreadable and dataset in ("synthetic", "digits"):
        parser.error(
            f"--skip-unreadable applies to datasets read from files; received --dataset {dataset}"
        )
    for flag, value in (
        ("--num-locations", args.num_locations),
        ("--clips-per-location", args.clips_per_location),
    ):
        if value is not None and dataset != "synthetic":
            parser.error(
                f"{flag} applies to the synthetic scenes only; received {flag} "
                f"{value} with --dataset {dataset}"
            )
    if args.width is not None and model == "resnet101":
        parser.error(
            f"--width applies to --model small or two_path; resnet101 has a fixed "
            f"width. Received: --width {args.width} with --model resnet101"
        )
    if args.specaugment_policy is not None:
        given = [
            f"{flag} {value}"
            for flag, value in (
                ("--time-warp", args.time_warp),
                ("--freq-mask", args.freq_mask),
                ("--time-mask", args.time_mask),
                ("--num-masks", args.num_masks),
            )
            if value is not None
        ]
        if given:
            parser.error(
                f"--specaugment-policy {args.specaugment_policy} sets its own masks "
                f"and warp; drop {', '.join(given)} (or the policy)"
            )
    if args.policy_probs is not None and len(args.policy_probs) != len(args.policy_mixers):
        parser.error(
            f"--policy-probs needs one probability per mixer of --policy-mixers "
            f"({','.join(args.policy_mixers)}). Received: --policy-probs "
            f"{','.join(str(p) for p in args.policy_probs)}"
        )
    if (
        args.output_dir is not None
        and os.path.exists(args.output_dir)
        and not os.path.isdir(args.output_dir)
    ):  # None: a new folder under results/
        parser.error(f"--output-dir must be a folder; a file is in the way: {args.output_dir}")


def resolve(args, parser):
    """Applies the presets and checks combinations; returns (config, load kwargs)."""
    from keras_specmix.experiments import train  # noqa: PLC0415

    if args.paper and args.smoke:
        parser.error("--paper and --smoke are exclusive")
    dataset = args.dataset or ("tau2020_mobile" if args.smoke else "synthetic")
    model = args.model or ("resnet101" if (args.paper or args.smoke) else "small")
    if args.smoke:
        if dataset != "tau2020_mobile" or args.data_dir:
            parser.error(
                "--smoke writes and uses its own fake TAU tree; drop "
                f"--dataset/--data-dir (received --dataset {dataset})"
            )
    elif dataset in sources.NEEDS_DATA_DIR and not args.data_dir:
        parser.error(f"--dataset {dataset} needs --data-dir")
    _check_flags(args, dataset, model, parser)
    big = args.paper or dataset in ("tau2020_mobile", "secl_umons")
    n_mels = 128 if big or dataset in ("folder", "csv") else 64
    crop = args.crop_frames
    if crop is None:
        crop = {True: 400, False: 112}[args.paper or dataset == "tau2020_mobile"]
        if dataset == "secl_umons" or dataset in ("folder", "csv", "digits"):
            crop = None  # SECL-UMONS: no crop (2-s clips), as the author
    gamma = args.gamma
    if gamma is None:
        gamma = paper.PAPER_SPECMIX_GAMMA.get((dataset, model), 0.3) if args.paper else 0.3
    mask_base = crop or (400 if big else 112)
    aug = conditions_lib.AugmentationParams(
        alpha=args.alpha,
        gamma=gamma,
        cutmix_axes=args.cutmix_axes,
        specaugment_policy=args.specaugment_policy,
        time_warp_param=args.time_warp if args.time_warp is not None else 0,
        freq_mask_param=args.freq_mask if args.freq_mask is not None else n_mels // 5,
        num_freq_masks=args.num_masks if args.num_masks is not None else 2,
        time_mask_param=args.time_mask if args.time_mask is not None else mask_base // 5,
        num_time_masks=args.num_masks if args.num_masks is not None else 2,
        mixstyle_alpha=args.mixstyle_alpha,
        mixstyle_prob=args.mixstyle_prob,
        filter_db_range=args.filter_db_range,
        filter_bands=args.filter_bands,
        filter_min_bandwidth=args.filter_min_bandwidth,
        filter_mode=args.filter_mode,
        policy_mixers=args.policy_mixers,
        policy_probs=args.policy_probs,
        policy_mode=args.policy_mode,
    )
    config = train.RunConfig(
        dataset=dataset,
        model=model,
        width=args.width,
        epochs=args.epochs or (200 if args.paper else 1 if args.smoke else 20),
        steps_per_epoch=args.steps_per_epoch or (1000 if args.paper else 2 if args.smoke else None),
        batch_size=4 if args.smoke and args.batch_size == 32 else args.batch_size,
        crop_frames=crop,
        learning_rate=args.learning_rate,
        weight_decay=args.weight_decay,
        weight_decay_mode=args.weight_decay_mode,
        lr_milestones=PAPER_MILESTONES if args.paper else (),
        eval_batch_size=4 if args.smoke else args.eval_batch_size,
        jit_compile=args.jit_compile,
        shuffle_buffer=args.shuffle_buffer,
        augmentation=aug,
        augment_in=args.augment_in
        or ("data" if args.strategy == "keras-distribution" else "model"),
    )
    load = dict(
        name=dataset,
        data_dir=args.data_dir,
        seed=args.data_seed,
        paper_shape=args.paper,
        validation_fraction=args.validation_fraction,
        cache_dir=None if args.no_cache else args.cache_dir,
        synthetic_kwargs=dict(
            num_locations=args.num_locations or 16, clips_per_location=args.clips_per_location or 8
        ),
    )
    if args.clip_seconds is not None:  # only then: earlier results keep their keys
        load["clip_seconds"] = args.clip_seconds
    if args.skip_unreadable:  # likewise
        load["on_error"] = "skip"
    return config, load


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


def _clock(seconds):
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
            f" {record['wall_time_s']:.0f} s | elapsed {_clock(elapsed)}, "
            f"about {_clock(left)} left"
        )
        return left


def run_comparison(
    config,
    load_kwargs,
    conditions,
    seeds,
    output_dir,
    strategy=None,
    verbose=1,
    log=print,
    command=None,
):
    """Runs every (seed, condition) not yet in the JSON file, then writes the reports.

    Each run record carries its own provenance (versions, git commit and
    dirty flag, command line, device: :func:`~keras_specmix.experiments.report.environment`),
    so runs added to a file by a later command keep theirs.

    Args:
        config: :class:`~keras_specmix.experiments.train.RunConfig`.
        load_kwargs: arguments of :func:`~keras_specmix.experiments.sources.load_splits`.
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
    import numpy as np  # noqa: PLC0415

    from keras_specmix.experiments import figures  # noqa: PLC0415
    from keras_specmix.experiments import report  # noqa: PLC0415
    from keras_specmix.experiments import train  # noqa: PLC0415

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
        stem = os.path.join(output_dir, f"{config.dataset}_{config.model}")
        paths = {k: f"{stem}.{k}" for k in ("json", "md", "png")}
        paths["confusion"] = f"{stem}_confusion.png"
        store = report.ResultsStore(paths["json"])
        done = [store.has(report.run_key(settings, c, s)) for s, c in pairs]
    else:
        done = [False] * len(pairs)
    if num_processes > 1:  # process 0's results file decides, on every host
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
        splits = sources.load_splits(**load_kwargs, shard=shard)
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
                log(sources.skip_report(splits.skipped))
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
            record.update(
                key=report.run_key(settings, condition, seed),
                settings=settings,
                provenance=provenance,
            )
            store.add(record)
            faults.point("run.stored")
            progress.finished(record)
    if not lead:
        return {}, ""
    faults.point("report.start")
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
    shown = [c for c in ("none", best) if c in summary]
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


def main(argv=None):
    """Entry point; returns the process exit status."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    command = shlex.join([sys.executable, "-m", "keras_specmix.experiments", *argv])
    config, load = resolve(args, parser)
    import tensorflow as tf  # noqa: PLC0415

    tf.get_logger().setLevel("ERROR")  # one model per run: retracing warnings are expected
    try:
        strategy = distribute.make_strategy(args.strategy, args.cpu_replicas, args.process_timeout)
    except (ValueError, RuntimeError) as error:
        parser.error(str(error))
    processes = distribute.process_count(strategy)
    if processes > 1 and config.augment_in == "model" and args.augmentation != ["none"]:
        # Inside one SPMD step, each process would draw the global batch's mixing
        # partners from its own seed: the processes' halves would not agree.
        parser.error(
            f"--augment-in model mixes inside the step across all {processes} processes' "
            "examples, which is not supported; use --augment-in data (each process "
            "augments its own batches). Received: --augment-in model"
        )
    from tensorflow.python.framework import config as tf_config  # noqa: PLC0415

    was_deterministic = tf_config.is_op_determinism_enabled()
    if args.op_determinism:
        tf.config.experimental.enable_op_determinism()
    else:
        tf_config.disable_op_determinism()
    lead = distribute.process_index(strategy) == 0
    output_dir = args.output_dir or (default_output_dir() if lead else None)
    if args.output_dir is None and lead:
        print(
            f"Writing to a new folder, {output_dir} (an interrupted job resumes with "
            f"--output-dir {output_dir})."
        )
    with tempfile.TemporaryDirectory() as fake_root:
        if args.smoke:
            from keras_specmix.datasets import fakes  # noqa: PLC0415

            load["data_dir"] = str(
                fakes.write_fake_tau2020_mobile(os.path.join(fake_root, "TAU"), clip_seconds=1.0)
            )
            load["cache_dir"] = None
            load["validation_fraction"] = 0.34
        start = time.perf_counter()
        try:
            paths, text = run_comparison(
                config,
                load,
                args.augmentation,
                args.seeds,
                output_dir,
                strategy=strategy,
                verbose=0 if args.quiet else 1,
                command=command,
            )
        except AudioFileError as error:  # a file of --data-dir: a user error, not a bug
            parser.error(str(error))
        except Exception as error:
            if processes > 1:  # maybe a lost process: say so, and let JAX name it
                distribute.explain_failure(strategy, error)
            raise
        finally:  # the process-wide switch goes back (the runner is called in-process too)
            (
                tf_config.enable_op_determinism
                if was_deterministic
                else tf_config.disable_op_determinism
            )()
    if not lead:
        print(
            f"Process {distribute.process_index(strategy)} of "
            f"{distribute.process_count(strategy)} done; process 0 wrote the results."
        )
        return 0
    print()
    print(text)
    print(f"Wrote {', '.join(paths.values())} in {_clock(time.perf_counter() - start)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
