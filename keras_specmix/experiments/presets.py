"""The runner's presets: what ``--paper``, ``--smoke`` and each dataset set by default.

:func:`resolve` turns the parsed command line into the comparison's
:class:`~keras_specmix.experiments.train.RunConfig` and the arguments of
:func:`~keras_specmix.experiments.splits.load_splits`. The defaults that
depend on the data (mel bins, training crop, SpecAugment's masks) come from
the dataset's entry in :data:`~keras_specmix.experiments.sources.SOURCES`;
each augmentation's from its entry in
:data:`~keras_specmix.experiments.conditions.REGISTRY`.

This module imports neither TensorFlow nor Keras (the command line is checked
with it before TensorFlow starts); :func:`resolve` imports the training
module when it runs.
"""

from keras_specmix.experiments import conditions
from keras_specmix.experiments import sources

PAPER_MILESTONES = (10_000, 30_000, 50_000, 70_000, 90_000)
"""Steps where ``--paper`` drops the learning rate ×0.1."""


def chosen_dataset(args):
    """The dataset of a command line: ``--dataset``, or its preset's."""
    return args.dataset or ("tau2020_mobile" if args.smoke else "synthetic")


def chosen_model(args):
    """The model of a command line: ``--model``, or its preset's (``--recipe``, ``--paper``)."""
    recipe = conditions.RECIPES[args.recipe] if getattr(args, "recipe", None) else None
    if args.model:
        return args.model
    if recipe is not None and recipe.model is not None:
        return recipe.model
    return "resnet101" if (args.paper or args.smoke) else "small"


def chosen_conditions(args):
    """The conditions of a command line: ``--augmentation``, or ``--recipe``'s, or the talk's."""
    if args.augmentation is not None:
        return list(args.augmentation)
    recipe = getattr(args, "recipe", None)
    return list(conditions.RECIPES[recipe or "talk"].conditions)


def context(args):
    """The :class:`~keras_specmix.experiments.conditions.Context` of a command line."""
    dataset = chosen_dataset(args)
    source = sources.SOURCES[dataset]
    n_mels, crop = source.features(args.paper)
    mask_frames = crop or source.mask_frames
    if args.clip_seconds is not None and crop is not None:
        # TAU cut into --clip-seconds pieces: the 10-s clips' crop and length no longer apply.
        fields = source.frontend_fields(args.paper)
        rate = fields.get("sample_rate", 44100) / fields.get("hop_length", 1024)
        crop, mask_frames = None, max(1, int(args.clip_seconds * rate))
    crop = args.crop_frames if args.crop_frames is not None else crop
    return conditions.Context(
        dataset=dataset,
        model=chosen_model(args),
        paper=args.paper,
        n_mels=n_mels,
        crop_frames=crop,
        mask_frames=crop or mask_frames,
        frontend=source.frontend_fields(args.paper),
    )


def resolve(args):
    """Applies the presets; returns ``(RunConfig, load_splits arguments)``.

    Args:
        args: the ``argparse.Namespace`` of
            :func:`~keras_specmix.experiments.cli.parse_args` (already
            checked).

    Returns:
        ``(config, load)``: a :class:`~keras_specmix.experiments.train.RunConfig`
        and a dict of :func:`~keras_specmix.experiments.splits.load_splits`
        arguments (without ``shard``).
    """
    from keras_specmix.experiments import train  # noqa: PLC0415 - it imports Keras

    ctx = context(args)
    config = train.RunConfig(
        dataset=ctx.dataset,
        model=ctx.model,
        width=args.width,
        epochs=args.epochs or (200 if args.paper else 1 if args.smoke else 20),
        steps_per_epoch=args.steps_per_epoch or (1000 if args.paper else 2 if args.smoke else None),
        batch_size=4 if args.smoke and args.batch_size == 32 else args.batch_size,
        crop_frames=ctx.crop_frames,
        learning_rate=args.learning_rate,
        weight_decay=args.weight_decay,
        weight_decay_mode=args.weight_decay_mode,
        lr_milestones=PAPER_MILESTONES if args.paper else (),
        eval_batch_size=4 if args.smoke else args.eval_batch_size,
        jit_compile=args.jit_compile,
        shuffle_buffer=args.shuffle_buffer,
        augmentation=conditions.params_from_args(args, ctx),
        augment_in=args.augment_in
        or ("data" if args.strategy == "keras-distribution" else "model"),
    )
    load = dict(
        name=ctx.dataset,
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
