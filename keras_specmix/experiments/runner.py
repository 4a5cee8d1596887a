"""Command line: ``python -m keras_specmix.experiments`` (or ``keras-specmix-experiments``).

Runs the augmentation conditions of
:data:`~keras_specmix.experiments.conditions.REGISTRY` that ``--augmentation``
names (default: the talk's five) over several seeds, keeps every finished run
in a JSON file (a rerun with the same ``--output-dir`` skips them), and writes
the talk's table as Markdown and PNG figures. ``--help`` lists every option.

:func:`main` is the command: it parses and checks the command line
(:mod:`~keras_specmix.experiments.cli`), applies the presets
(:mod:`~keras_specmix.experiments.presets`), starts the distribution strategy,
has every condition's layer check its parameters, and runs the comparison
(:mod:`~keras_specmix.experiments.comparison`) with TensorFlow's op
determinism set as ``--op-determinism`` says (and restored afterwards).
"""

import os
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence

from keras_specmix import _compat
from keras_specmix.datasets import AudioFileError
from keras_specmix.experiments import cli
from keras_specmix.experiments import comparison
from keras_specmix.experiments import conditions
from keras_specmix.experiments import distribute
from keras_specmix.experiments.cli import DEFAULT_CACHE
from keras_specmix.experiments.cli import build_parser
from keras_specmix.experiments.comparison import Progress
from keras_specmix.experiments.comparison import default_output_dir
from keras_specmix.experiments.comparison import run_comparison
from keras_specmix.experiments.presets import PAPER_MILESTONES
from keras_specmix.experiments.presets import resolve

__all__ = [
    "main",
    "run_comparison",
    "build_parser",
    "resolve",
    "Progress",
    "default_output_dir",
    "DEFAULT_CACHE",
    "PAPER_MILESTONES",
]


def main(argv: Sequence[str] | None = None, prog: str = cli.PROG) -> int:
    """Runs the experiment command; returns the process exit status.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).
        prog: the command's name in usage and error lines.

    Returns:
        int, 0 when the comparison is written.

    Raises:
        SystemExit: after ``--help`` (0), or on an argument error (2, with
            one line naming the option).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args, parser = cli.parse_args(argv, prog)
    command = shlex.join([sys.executable, "-m", "keras_specmix.experiments", *argv])
    config, load = resolve(args)
    import tensorflow as tf  # noqa: PLC0415

    tf.get_logger().setLevel("ERROR")  # one model per run: retracing warnings are expected
    try:
        strategy = distribute.make_strategy(args.strategy, args.cpu_replicas, args.process_timeout)
    except (ValueError, RuntimeError) as error:
        parser.error(str(error))
    try:  # after the strategy: the layers' variables must not start JAX before it
        conditions.check_params(config.augmentation)
    except ValueError as error:
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
    lead = distribute.process_index(strategy) == 0
    output_dir = args.output_dir or (default_output_dir() if lead else None)
    if args.output_dir is None and lead:
        print(
            f"Writing to a new folder, {output_dir} (an interrupted job resumes with "
            f"--output-dir {output_dir})."
        )
    was_deterministic = _compat.op_determinism(args.op_determinism)
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
            _compat.op_determinism(was_deterministic)
    if not lead:
        print(
            f"Process {distribute.process_index(strategy)} of "
            f"{distribute.process_count(strategy)} done; process 0 wrote the results."
        )
        return 0
    print()
    print(text)
    print(f"Wrote {', '.join(paths.values())} in {comparison.clock(time.perf_counter() - start)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
