"""The experiment command's options, built from the registries, and their checks.

:func:`build_parser` makes the ``argparse`` parser: the general options here,
the augmentation options from
:data:`~keras_specmix.experiments.conditions.REGISTRY` and the dataset
choices from :data:`~keras_specmix.experiments.sources.SOURCES`.
:func:`check_args` refuses what argparse cannot see: combinations of flags,
flags the chosen dataset or model would silently ignore, and bad paths.
:func:`parse_args` does both.

This module imports only the standard library, :mod:`keras_specmix._validation`
and the registries (which import neither TensorFlow nor Keras):
``_keras_specmix_cli`` parses the command line with it before TensorFlow
starts, so ``--help`` and argument errors answer at once.
"""

import argparse
import os

from keras_specmix.experiments import argtypes
from keras_specmix.experiments import choices
from keras_specmix.experiments import conditions
from keras_specmix.experiments import presets
from keras_specmix.experiments import sources

PROG = "python -m keras_specmix.experiments"
"""The command's name in usage lines (the console script passes its own)."""

DEFAULT_CACHE = os.path.join(
    os.path.expanduser("~"), ".keras", "datasets", "keras_specmix_experiments"
)
"""Where features are cached unless ``--cache-dir`` says otherwise."""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds "(default: X)" once: not for None/False defaults, nor where the help states it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default is None or action.default is False or "default" in text:
            return text
        return super()._get_help_string(action)


def _conditions(text):
    """``all`` (the talk's five) or a comma-separated list of condition names."""
    if text == "all":
        return list(conditions.TALK_CONDITIONS)
    return list(argtypes.choices("augmentation", lambda: conditions.CONDITIONS)(text))


def _or(names):
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _add_condition_options(group):
    for option in conditions.OPTIONS:
        if option.flag is None:
            continue
        kwargs = dict(help=option.help, metavar=option.metavar)
        if option.choices is not None:
            kwargs["choices"] = option.choices
        else:
            kwargs["type"] = option.type
        group.add_argument(
            option.flag, default=None if option.computed else option.default, **kwargs
        )


def build_parser(prog=PROG):
    """The argument parser (exposed for the docs and tests).

    Args:
        prog: the command's name in usage and error lines.

    Returns:
        ``argparse.ArgumentParser``.
    """
    p = argparse.ArgumentParser(
        prog=prog,
        description="Scene-classification comparison of the SpecMix talk: none, MixUp, "
        "CutMix, SpecAugment and SpecMix (and the other conditions --augmentation "
        "names) over several seeds. Writes "
        "<output-dir>/<dataset>_<model>.{json,md,png}; the finished runs of an "
        "existing --output-dir are skipped.",
        formatter_class=_HelpFormatter,
    )
    positive = argtypes.integer
    g = p.add_argument_group("presets")
    g.add_argument(
        "--paper",
        action="store_true",
        help="the paper's configuration: ResNet-101, 400-frame crops, whole clips "
        "at test, 200 epochs of 1000 steps, LR ×0.1 at 10k/30k/50k/70k/90k "
        "steps, the talk's γ; synthetic scenes at the paper's shape",
    )
    g.add_argument(
        "--recipe",
        choices=tuple(conditions.RECIPES),
        default=None,
        help="a named set of conditions (and model) to compare; --augmentation and "
        "--model, when given, win. "
        + "; ".join(f"{r.name}: {r.help}" for r in conditions.RECIPES.values()),
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
    where = "; ".join(s.data_dir_help for s in sources.SOURCES.values() if s.data_dir_help)
    g.add_argument("--data-dir", help=f"needs --dataset; dataset root ({where})")
    g.add_argument("--cache-dir", default=DEFAULT_CACHE, help="feature cache folder")
    g.add_argument("--no-cache", action="store_true", help="do not cache features")
    g.add_argument(
        "--clip-seconds",
        type=argtypes.real("clip_seconds", 0.0, open_min=True),
        default=None,
        help="folder/csv: crop or zero-pad every clip to this length "
        "(needed when the clips differ in length); tau2020_mobile: cut every 10-s "
        "clip into pieces of this length (1: the TAU22 clips of DCASE 2022-2025), "
        "trained whole unless --crop-frames is given",
    )
    g.add_argument(
        "--skip-unreadable",
        action="store_true",
        help="skip audio files that cannot be read (listed with their "
        "reasons in the output and the result JSON) instead of stopping",
    )
    g.add_argument(
        "--data-seed",
        type=positive("data_seed", 0),
        default=0,
        help="seed of the synthetic data and of the validation hold-out",
    )
    g.add_argument(
        "--validation-fraction",
        type=argtypes.real("validation_fraction", 0.0, 1.0, open_min=True),
        default=0.1,
        help="share of training locations/recordings/groups held out for checkpoint selection",
    )
    g.add_argument(
        "--num-locations",
        type=positive("num_locations", 3),  # one each for training, validation and test
        default=None,
        help="synthetic scenes: locations per class (default: 16)",
    )
    g.add_argument(
        "--clips-per-location",
        type=positive("clips_per_location", 1),
        default=None,
        help="synthetic scenes: clips per location (default: 8)",
    )
    g = p.add_argument_group("model and training")
    g.add_argument(
        "--model",
        choices=choices.MODELS,
        default=None,
        help="default: small (resnet101 with --paper/--smoke)",
    )
    g.add_argument(
        "--width",
        type=positive("width", 1),
        default=None,
        help="filters of the first stage of small, two_path or cp_mobile "
        "(default: 16 for small, 28 for two_path, 32 for cp_mobile)",
    )
    g.add_argument(
        "--epochs", type=positive("epochs", 1), default=None, help="default: 20 (paper: 200)"
    )
    g.add_argument(
        "--steps-per-epoch",
        type=positive("steps_per_epoch", 1),
        default=None,
        help="default: one pass over the training split (paper: 1000)",
    )
    g.add_argument(
        "--batch-size",
        type=positive("batch_size", 1),
        default=32,
        help="global batch size, split across replicas",
    )
    g.add_argument(
        "--eval-batch-size",
        type=positive("eval_batch_size", 1),
        default=64,
        help="batch size of validation and test",
    )
    g.add_argument(
        "--crop-frames",
        type=positive("crop_frames", 1),
        default=None,
        help="random training crop (default: 112 of 118 frames; paper: 400 of 423)",
    )
    g.add_argument(
        "--learning-rate",
        type=argtypes.real("learning_rate", 0.0, open_min=True),
        default=1e-3,
        help="Adam's",
    )
    g.add_argument(
        "--weight-decay",
        type=argtypes.real("weight_decay", 0.0),
        default=1e-3,
        help="see --weight-decay-mode",
    )
    g.add_argument(
        "--weight-decay-mode",
        choices=choices.WEIGHT_DECAY_MODES,
        default="l2",
        help="l2: PyTorch Adam(weight_decay), as the paper; decoupled: Keras/AdamW",
    )
    g.add_argument("--jit-compile", action="store_true", help="compile steps with XLA")
    g.add_argument(
        "--shuffle-buffer",
        type=positive("shuffle_buffer", 1),
        default=4096,
        help="cap of the training shuffle buffer (per process); 1: no shuffling",
    )
    g = p.add_argument_group("augmentation")
    others = [c for c in conditions.CONDITIONS if c not in conditions.TALK_CONDITIONS]
    g.add_argument(
        "--augmentation",
        type=_conditions,
        default=None,
        metavar=f"all|{','.join(conditions.TALK_CONDITIONS)},...",
        help=f"conditions to run, also {','.join(others)}; all: the talk's five "
        "(default: --recipe's conditions, else all)",
    )
    g.add_argument(
        "--seeds",
        type=argtypes.seeds,
        default="0,1,2,3",
        help="one run per seed and condition; the same seed shares initial "
        "weights and data order across conditions (paired comparisons)",
    )
    g.add_argument(
        "--augment-in",
        choices=("model", "data"),
        default=None,
        help="run the augmentation inside the compiled training step (model) or in "
        "tf.data on each process's batches (data). Default: model; data with "
        "--strategy keras-distribution (the layers run in tf.data on any backend)",
    )
    _add_condition_options(g)
    g = p.add_argument_group("distribution")
    g.add_argument(
        "--strategy",
        choices=choices.STRATEGIES,
        default="default",
        help="default/mirrored/multi-worker: tf.distribute (multi-worker reads "
        "TF_CONFIG and runs one worker only); keras-distribution: "
        "keras.distribution.DataParallel on KERAS_BACKEND=jax over every device of "
        "every process, the processes set by KERAS_DISTRIBUTION_JOB_ADDRESSES, "
        "_NUM_PROCESSES and _PROCESS_ID (docs/distribute.md)",
    )
    g.add_argument(
        "--cpu-replicas",
        type=positive("cpu_replicas", 1),
        default=None,
        help="split the CPU into N logical devices and mirror over them "
        "(testing tf.distribute without GPUs)",
    )
    g.add_argument(
        "--process-timeout",
        type=positive("process_timeout", 1),
        default=None,
        help="keras-distribution with several processes: seconds without a heartbeat "
        f"after which a process is declared lost and the others stop, naming it "
        f"(default: {choices.DEFAULT_PROCESS_TIMEOUT}; JAX's own is 100)",
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


def _check_data_dir(args, source):
    """The message for a ``--data-dir`` the source cannot use, or None."""
    path, name = args.data_dir, source.name
    if source.data_dir == "none":
        readers = [s.name for s in sources.SOURCES.values() if s.data_dir != "none"]
        return (
            f"--data-dir needs --dataset (one of {', '.join(readers)}); "
            f"--dataset {name} reads no files. Received: --data-dir {path}"
        )
    if args.smoke:
        return None
    kind = source.data_dir_kind
    exists = os.path.isfile if kind == "file" else os.path.isdir
    if source.data_dir == "required" and not exists(path):
        return f"--data-dir must be a {kind} for --dataset {name}; no such {kind}: {path}"
    other = os.path.isdir if kind == "file" else os.path.isfile
    if other(path):
        return f"--data-dir must be a {kind} for --dataset {name}. Received: {path}"
    return None


def check_args(args, parser):
    """Refuses flags that contradict each other, that the chosen dataset or model
    would silently ignore, and bad paths (``parser.error``: exit status 2).

    Args:
        args: the parsed ``argparse.Namespace``.
        parser: the parser (its ``error`` ends the command).
    """
    if args.paper and args.smoke:
        parser.error("--paper and --smoke are exclusive")
    dataset, model = presets.chosen_dataset(args), presets.chosen_model(args)
    source = sources.SOURCES[dataset]
    if args.smoke and (dataset != "tau2020_mobile" or args.data_dir):
        parser.error(
            "--smoke writes and uses its own fake TAU tree; drop "
            f"--dataset/--data-dir (received --dataset {dataset})"
        )
    if not args.smoke and source.data_dir == "required" and not args.data_dir:
        parser.error(f"--dataset {dataset} needs --data-dir")
    if args.data_dir is not None:
        message = _check_data_dir(args, source)
        if message:
            parser.error(message)
    for dest, flag in sources.SOURCE_FLAGS.items():
        value = getattr(args, dest)
        if value not in (None, False) and dest not in source.flags:
            takers = [s.name for s in sources.SOURCES.values() if dest in s.flags]
            shown = "" if value is True else f" {value}"
            parser.error(
                f"{flag} applies to --dataset {_or(takers)}; received {flag}{shown} "
                f"with --dataset {dataset}"
            )
    if dataset == "tau2020_mobile" and args.clip_seconds is not None and args.clip_seconds > 10:
        parser.error(
            "--clip-seconds cuts TAU's 10-s clips into pieces, so it must be at most 10. "
            f"Received: --clip-seconds {args.clip_seconds}"
        )
    if args.width is not None and model in choices.FIXED_WIDTH_MODELS:
        others = [m for m in choices.MODELS if m not in choices.FIXED_WIDTH_MODELS]
        parser.error(
            f"--width applies to --model {_or(others)}; {model} has a fixed "
            f"width. Received: --width {args.width} with --model {model}"
        )
    message = conditions.check_conflicts(args)
    if message:
        parser.error(message)
    out = args.output_dir
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        parser.error(f"--output-dir must be a folder; a file is in the way: {out}")


def parse_args(argv, prog=PROG):
    """Parses and checks the command line (:func:`build_parser`, :func:`check_args`).

    Args:
        argv: the arguments, without the program name.
        prog: the command's name in usage and error lines.

    Returns:
        ``(args, parser)``.

    Raises:
        SystemExit: after ``--help`` (status 0) or an argument error
            (status 2, one line naming the option).
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    check_args(args, parser)
    args.augmentation = presets.chosen_conditions(args)
    return args, parser
