"""The augmentation conditions of the comparison: one registry entry each.

A :class:`Condition` holds everything the runner knows about one condition:
its name (for ``--augmentation``), its column title and colour (the report
and the figures), its parameters with their command-line options
(:class:`Option`: flag, default, argparse type, help), how its layer is built
from the library (the layer's ``get_config()`` goes into each run's record),
and where the layer goes (:data:`PLACEMENTS`):

- ``"mixer"``: :class:`~keras_specmix.MixingModel` around the classifier, so
  ``fit`` mixes inputs and labels inside the compiled ``train_step`` (on the
  accelerator, per replica under ``tf.distribute``), while ``predict`` and
  ``evaluate`` see clean inputs;
- ``"front"``: the layer in front of the classifier; Keras runs it in ``fit``
  only;
- ``"data"``: the layer in ``tf.data``, on each process's training batches
  (:func:`keras_specmix.data.augment_dataset`), whatever ``--augment-in``
  says.

``--augment-in data`` puts every condition in ``tf.data``. By default every
condition of :data:`REGISTRY` runs in the model: one placement for all, so
differences in throughput and in randomness handling cannot favour one.

The talk's five (``--augmentation all``) are ``none``, ``mixup``, ``cutmix``,
``specaugment`` and ``specmix``; the registry adds the augmentations acoustic
scene classification uses for unseen devices: ``freqmixstyle``
(:class:`~keras_specmix.FrequencyMixStyle`, CP-JKU's α = 0.3, p = 0.4, one
gate per batch and a λ per example as in the DCASE 2024/2025 baseline),
``filteraugment`` (:class:`~keras_specmix.FilterAugment` on the log-mel
channel only: Δ and ΔΔ of a constant gain are 0), ``randomgain``
(:class:`~keras_specmix.RandomGain`, one level change per clip, on the log-mel
channel), ``mixpolicy`` (:class:`~keras_specmix.MixingPolicy` over
MixUp/CutMix/SpecMix), and the DCASE 2024/2025 Task 1 augmentations:
``timeroll`` (:class:`~keras_specmix.TimeRoll`, ±0.1 s of frames),
``freqmask`` (frequency masks of the mel power before the log,
:class:`~keras_specmix.experiments.recipe_layers.StackFloorMasking`), ``dir``
(:class:`~keras_specmix.DeviceImpulseResponse` as mel gains on the log-mel
channel, only on clips of the reference device ``a``), and the composites
``dir+freqmixstyle`` and ``dcase`` (DIR, roll, masks, Freq-MixStyle, in the
CP-JKU order). The device-reading ones run in ``tf.data``, where the
training split's ``device`` column is.

``--recipe`` names a set of conditions (and a model) in :data:`RECIPES`:
``talk`` (the talk's five) and ``dcase`` (none, freqmixstyle, dir,
dir+freqmixstyle, dcase on CP-Mobile).

Adding a condition is one :class:`Condition` in :data:`REGISTRY` (its
options become fields of :class:`AugmentationParams` and flags of the
command) plus its tests.

This module imports neither TensorFlow nor Keras: the command line is built
from it before TensorFlow starts. The layers are imported when one is built.
"""

import dataclasses
from typing import Any

from keras_specmix import _validation
from keras_specmix.experiments import argtypes

PLACEMENTS = ("mixer", "front", "data")
"""Where a condition's layer goes (see the module docstring)."""

_LAYER_KEYS = ("name", "trainable", "dtype", "seed")
"""Config entries every Keras layer has: left out of the run records."""

SYNTHETIC_FRONTEND = {"sample_rate": 16000, "n_fft": 1024, "hop_length": 512, "n_mels": 64}
"""The embedded synthetic scenes' front end (``keras_specmix.datasets.synthetic.FAST_CONFIG``)."""

DEFAULT_LOG_OFFSET = 1e-8
"""The ``eps`` of the library front end's ``log(x + eps)`` (``FrontEndConfig.log_offset``)."""


@dataclasses.dataclass(frozen=True)
class Context:
    """What a computed default depends on (the dataset's features, ``--paper``).

    Attributes:
        dataset: the dataset name.
        model: the model name.
        paper: whether ``--paper`` was given.
        n_mels: mel bins of the features.
        crop_frames: the training crop, or None (whole clips).
        mask_frames: frames that SpecAugment's default time mask is a fifth
            of (the crop, or the clips' typical length).
        frontend: the ``FrontEndConfig`` fields of the features (those that
            differ from the library's default front end): DIR's mel gains,
            the roll's frames per second and the masks' log floor follow it.
    """

    dataset: str = "synthetic"
    model: str = "small"
    paper: bool = False
    n_mels: int = 64
    crop_frames: object = 112
    mask_frames: int = 112
    frontend: dict = dataclasses.field(default_factory=lambda: dict(SYNTHETIC_FRONTEND))


@dataclasses.dataclass(frozen=True)
class Option:
    """One parameter of a condition and its command-line option.

    Attributes:
        flag: the option (``"--alpha"``); its argparse ``dest`` is the flag
            without dashes (``"alpha"``). None for a parameter without a flag.
        fields: the :class:`AugmentationParams` fields the option sets
            (``--num-masks`` sets two).
        default: the fields' value when the option is not given, or a
            callable ``Context -> value`` for a default that depends on the
            data (then the flag's argparse default is None).
        fallback: the dataclass default of a computed field (the value for
            the synthetic scenes).
        type: argparse type (text -> value), or None with ``choices``.
        choices: the allowed values, or None.
        help: the option's help text.
        metavar: argparse's metavar, or None.
        doc: what the field holds (in :class:`AugmentationParams`' docstring).
    """

    flag: object
    fields: tuple
    default: object
    fallback: object = None
    type: object = None
    choices: object = None
    help: str = ""
    metavar: object = None
    doc: str = ""

    @property
    def dest(self):
        """The argparse ``dest`` (None without a flag)."""
        return None if self.flag is None else self.flag.lstrip("-").replace("-", "_")

    @property
    def computed(self):
        """Whether the default depends on the data (a callable)."""
        return callable(self.default)

    def value(self, given, context):
        """The option's value: ``given`` if not None, else its default for ``context``."""
        if given is not None:
            return given
        return self.default(context) if self.computed else self.default


@dataclasses.dataclass(frozen=True)
class Condition:
    """One condition of the comparison (see the module docstring).

    Attributes:
        name: the ``--augmentation`` name and the results' ``condition``.
        label: column title in the report and the figures.
        color: its colour in the figures.
        placement: one of :data:`PLACEMENTS`, or None (no augmentation).
        build: ``(layers, params, seed) -> layer``: the layer from
            ``keras_specmix.layers`` (``layers``), :class:`AugmentationParams`
            and an int seed (None inside a policy); None for ``"none"``.
        options: the :class:`Option` objects the condition owns.
        uses: the other conditions whose options its layer reads too
            (CutMix reads MixUp's ``--alpha``).
        talk: one of the talk's five (``--augmentation all``).
        conflicts: ``args -> str or None``: a message when flags given
            together contradict each other (checked before TensorFlow
            starts), or None.
        eligible: the :class:`AugmentationParams` field that names the
            devices whose training clips the layer may change (DIR: the
            reference device), or None. The runner then feeds the layer an
            ``"eligible"`` column from the training split's ``device``
            metadata, which only ``tf.data`` has: such a condition's
            placement is ``"data"``.
        parts: for a composite condition, the conditions whose layers run in
            order (:class:`~keras_specmix.experiments.recipe_layers.Chain`);
            their options are its options (``uses``).
    """

    name: str
    label: str
    color: str
    placement: object = None
    build: object = None
    options: tuple = ()
    uses: tuple = ()
    talk: bool = False
    conflicts: object = None
    eligible: object = None
    parts: tuple = ()

    def __post_init__(self):
        if self.placement is not None:
            _validation.check_choice("placement", self.placement, PLACEMENTS)
        if self.eligible is not None and self.placement != "data":
            raise ValueError(
                f"condition {self.name!r} reads the devices of its clips: its placement "
                f"must be 'data'. Received: placement={self.placement!r}"
            )

    @property
    def flags(self):
        """The condition's option strings."""
        return tuple(o.flag for o in self.options if o.flag is not None)


def _mixup(layers, params, seed):
    return layers.MixUp(alpha=params.alpha, seed=seed)


def _cutmix(layers, params, seed):
    return layers.CutMix(alpha=params.alpha, axes=params.cutmix_axes, seed=seed)


def _specmix(layers, params, seed):
    return layers.SpecMix(gamma=params.gamma, seed=seed)


_SPECAUGMENT_FIELDS = (
    "time_warp_param",
    "freq_mask_param",
    "num_freq_masks",
    "time_mask_param",
    "num_time_masks",
    "mask_value",
)


def _specaugment(layers, params, seed):
    if params.specaugment_policy is not None:
        return layers.SpecAugment(
            policy=params.specaugment_policy, mask_value=params.mask_value, seed=seed
        )
    return layers.SpecAugment(**{k: getattr(params, k) for k in _SPECAUGMENT_FIELDS}, seed=seed)


def _specaugment_conflicts(args):
    if args.specaugment_policy is None:
        return None
    given = [
        f"{flag} {getattr(args, flag[2:].replace('-', '_'))}"
        for flag in ("--time-warp", "--freq-mask", "--time-mask", "--num-masks")
        if getattr(args, flag[2:].replace("-", "_")) is not None
    ]
    if not given:
        return None
    return (
        f"--specaugment-policy {args.specaugment_policy} sets its own masks "
        f"and warp; drop {', '.join(given)} (or the policy)"
    )


def _freqmixstyle(layers, params, seed):
    return layers.FrequencyMixStyle(
        alpha=params.mixstyle_alpha,
        prob=params.mixstyle_prob,
        gate_granularity=params.mixstyle_gate,
        seed=seed,
    )


def _filteraugment(layers, params, seed):
    return layers.FilterAugment(
        db_range=params.filter_db_range,
        num_bands=params.filter_bands,
        min_bandwidth=params.filter_min_bandwidth,
        mode=params.filter_mode,
        domain="log",  # the runner's features are log(mel power + 1e-8)
        channels=[0],
        seed=seed,
    )


def _randomgain(layers, params, seed):
    return layers.RandomGain(
        db_range=params.gain_db_range,
        domain="log",  # the runner's features are log(mel power + 1e-8)
        channels=[0],  # a constant offset has no Δ or ΔΔ
        seed=seed,
    )


def _dir(layers, params, seed):
    from keras_specmix.features import FrontEndConfig  # noqa: PLC0415 - plain data

    return layers.DeviceImpulseResponse(
        params.dir_responses,
        prob=params.dir_prob,
        domain="log",  # the runner's features are log(mel power + eps)
        frontend=FrontEndConfig(**params.dir_frontend),
        channels=[0],  # a gain constant in time has no Δ or ΔΔ
        seed=seed,
    )


def _timeroll(layers, params, seed):
    return layers.TimeRoll(max_shift=params.roll_frames, seed=seed)


def _freqmask(layers, params, seed):
    from keras_specmix.experiments import recipe_layers  # noqa: PLC0415 - imports Keras

    return recipe_layers.StackFloorMasking(
        params.floor_mask_param,
        params.floor_num_masks,
        log_offset=params.floor_log_offset,
        seed=seed,
    )


def _chain(layers, params, seed, parts):
    from keras_specmix.experiments import recipe_layers  # noqa: PLC0415 - imports Keras

    steps = [REGISTRY[name].build(layers, params, None) for name in parts]
    return recipe_layers.Chain(steps, seed=seed)


def _composite(*parts):
    return lambda layers, params, seed: _chain(layers, params, seed, parts)


def _device_names(text):
    names = tuple(n for n in text if n)
    if not names:
        raise ValueError(f"`dir_devices` must name at least one device. Received: {text!r}")
    return names


def _frames(seconds):
    """A frame count from seconds and the data's front end (hop and sample rate)."""

    def frames(context):
        frontend = context.frontend
        rate = frontend.get("sample_rate", 44100) / frontend.get("hop_length", 1024)
        return int(round(seconds * rate))

    return frames


def _mel_share(bins, of):
    """``bins`` of ``of`` mel bins, scaled to the data's mel count."""
    return lambda context: int(round(bins * context.n_mels / of))


def _mixpolicy(layers, params, seed):
    return layers.MixingPolicy(
        [REGISTRY[name].build(layers, params, None) for name in params.policy_mixers],
        probs=None if params.policy_probs is None else list(params.policy_probs),
        mode=params.policy_mode,
        seed=seed,
    )


def _mixpolicy_conflicts(args):
    if args.policy_probs is None or len(args.policy_probs) == len(args.policy_mixers):
        return None
    return (
        f"--policy-probs needs one probability per mixer of --policy-mixers "
        f"({','.join(args.policy_mixers)}). Received: --policy-probs "
        f"{','.join(str(p) for p in args.policy_probs)}"
    )


def _talk_gamma(context):
    """SpecMix γ: the talk's value for the row with ``--paper``, else 0.3."""
    if not context.paper:
        return 0.3
    from keras_specmix.experiments import paper  # noqa: PLC0415 - plain data, no TensorFlow

    return paper.PAPER_SPECMIX_GAMMA.get((context.dataset, context.model), 0.3)


_ENTRIES = (
    Condition("none", "None", "#4d4d4d", talk=True),
    Condition(
        "mixup",
        "MixUp",
        "#1f77b4",
        "mixer",
        _mixup,
        talk=True,
        options=(
            Option(
                "--alpha",
                ("alpha",),
                0.4,
                type=argtypes.real("alpha", 0.0, open_min=True),
                help="MixUp/CutMix Beta(α, α)",
                doc="Beta(α, α) of MixUp and CutMix (0.4 in the SpecMix code).",
            ),
        ),
    ),
    Condition(
        "cutmix",
        "CutMix",
        "#ff7f0e",
        "mixer",
        _cutmix,
        uses=("mixup",),
        talk=True,
        options=(
            Option(
                "--cutmix-axes",
                ("cutmix_axes",),
                "both",
                choices=("both", "time", "freq"),
                help="CutMix boxes span both axes or cut one",
                doc='CutMix boxes: ``"both"``, ``"time"`` or ``"freq"``.',
            ),
        ),
    ),
    Condition(
        "specaugment",
        "SpecAugment",
        "#2ca02c",
        "front",
        _specaugment,
        talk=True,
        conflicts=_specaugment_conflicts,
        options=(
            Option(
                "--specaugment-policy",
                ("specaugment_policy",),
                None,
                choices=("LB", "LD", "SM", "SS"),
                help="a named policy instead of the masking-only values below",
                doc='SpecAugment policy ("LB", "LD", "SM", "SS") or None for the values below.',
            ),
            Option(
                "--time-warp",
                ("time_warp_param",),
                lambda context: 0,
                fallback=0,
                type=argtypes.integer("time_warp", 0),
                help="SpecAugment W (default: 0)",
                doc="W (0: no warp).",
            ),
            Option(
                "--freq-mask",
                ("freq_mask_param",),
                lambda context: context.n_mels // 5,
                fallback=12,
                type=argtypes.integer("freq_mask", 0),
                help="SpecAugment F (default: n_mels // 5)",
                doc="F (default: a fifth of the mel bins).",
            ),
            Option(
                "--time-mask",
                ("time_mask_param",),
                lambda context: context.mask_frames // 5,
                fallback=20,
                type=argtypes.integer("time_mask", 0),
                help="SpecAugment T (default: crop // 5)",
                doc="T (default: a fifth of the training crop).",
            ),
            Option(
                "--num-masks",
                ("num_freq_masks", "num_time_masks"),
                lambda context: 2,
                fallback=2,
                type=argtypes.integer("num_masks", 0),
                help="SpecAugment m_F = m_T (default: 2)",
                doc="m_F and m_T.",
            ),
            Option(None, ("mask_value",), 0.0, doc='0.0 or "mean".'),
        ),
    ),
    Condition(
        "specmix",
        "SpecMix",
        "#d62728",
        "mixer",
        _specmix,
        talk=True,
        options=(
            Option(
                "--gamma",
                ("gamma",),
                _talk_gamma,
                fallback=0.3,
                type=argtypes.ratio_or_range("gamma"),
                help="SpecMix band ratio: 0.3, or a range 0,1 drawn per example "
                "(default: 0.3; --paper: the talk's value for the row)",
                doc="SpecMix band-width ratio, a float or a ``(low, high)`` range.",
            ),
        ),
    ),
    Condition(
        "freqmixstyle",
        "Freq-MixStyle",
        "#9467bd",
        "front",
        _freqmixstyle,
        options=(
            Option(
                "--mixstyle-alpha",
                ("mixstyle_alpha",),
                0.3,
                type=argtypes.real("mixstyle_alpha", 0.0, open_min=True),
                help="Freq-MixStyle Beta(α, α)",
                doc="Freq-MixStyle Beta(α, α) (CP-JKU: 0.3).",
            ),
            Option(
                "--mixstyle-prob",
                ("mixstyle_prob",),
                0.4,
                type=argtypes.real("mixstyle_prob", 0.0, 1.0),
                help="Freq-MixStyle probability that a batch is mixed (of each example "
                "with --mixstyle-gate example)",
                doc="Freq-MixStyle's gate probability (CP-JKU: 0.4).",
            ),
            Option(
                "--mixstyle-gate",
                ("mixstyle_gate",),
                "batch",
                choices=("batch", "example"),
                help="Freq-MixStyle's gate: one draw per batch, the whole batch mixed or "
                "none of it, as the DCASE 2024/2025 baseline (default), or one per example",
                doc='Freq-MixStyle\'s ``gate_granularity``: ``"batch"`` (one Bernoulli draw '
                'per batch, the DCASE 2024/2025 baseline and CP-JKU) or ``"example"``.',
            ),
        ),
    ),
    Condition(
        "filteraugment",
        "FilterAugment",
        "#8c564b",
        "front",
        _filteraugment,
        options=(
            Option(
                "--filter-db-range",
                ("filter_db_range",),
                (-6.0, 6.0),
                type=argtypes.number_pair("filter_db_range"),
                metavar="LOW,HIGH",
                help="FilterAugment gains in dB (default: -6,6)",
                doc="FilterAugment ``(low, high)`` gains in dB.",
            ),
            Option(
                "--filter-bands",
                ("filter_bands",),
                (3, 6),
                type=argtypes.integer_pair("filter_bands", minimum=1),
                metavar="LOW,HIGH",
                help="FilterAugment band count in [LOW, HIGH) (default: 3,6)",
                doc="FilterAugment band count range ``(low, high)``, high excluded.",
            ),
            Option(
                "--filter-min-bandwidth",
                ("filter_min_bandwidth",),
                6,
                type=argtypes.integer("filter_min_bandwidth", 1),
                help="FilterAugment narrowest band in mel bins",
                doc="FilterAugment narrowest band in bins.",
            ),
            Option(
                "--filter-mode",
                ("filter_mode",),
                "linear",
                choices=("linear", "step"),
                help="FilterAugment filter",
                doc='FilterAugment ``"linear"`` or ``"step"``.',
            ),
        ),
    ),
    Condition(
        "randomgain",
        "RandomGain",
        "#17becf",
        "front",
        _randomgain,
        options=(
            Option(
                "--gain-db-range",
                ("gain_db_range",),
                (-12.0, 12.0),
                type=argtypes.number_pair("gain_db_range"),
                metavar="LOW,HIGH",
                help="RandomGain level change in dB, one per clip (default: -12,12)",
                doc="RandomGain ``(low, high)`` in dB (EfficientAT's DCASE recipe: ±12).",
            ),
        ),
    ),
    Condition(
        "timeroll",
        "TimeRoll",
        "#bcbd22",
        "front",
        _timeroll,
        options=(
            Option(
                "--roll-frames",
                ("roll_frames",),
                _frames(0.1),
                fallback=3,
                type=argtypes.integer("roll_frames", 0),
                help="TimeRoll: the largest shift in frames, each way (default: 0.1 s, "
                "the DCASE 2024/2025 baseline's roll_sec)",
                doc="TimeRoll's largest shift in frames (default: 0.1 s of the features).",
            ),
        ),
    ),
    Condition(
        "freqmask",
        "FreqMask (before log)",
        "#aec7e8",
        "front",
        _freqmask,
        options=(
            Option(
                "--floor-mask-param",
                ("floor_mask_param",),
                _mel_share(48, 256),
                fallback=12,
                type=argtypes.integer("floor_mask_param", 0),
                help="freqmask: the widest frequency mask in mel bins (default: the "
                "DCASE baseline's 48 of 256, scaled to the features' mel count)",
                doc="Widest mask of ``freqmask`` (default: 48/256 of the mel bins).",
            ),
            Option(
                "--floor-num-masks",
                ("floor_num_masks",),
                1,
                type=argtypes.integer("floor_num_masks", 0),
                help="freqmask: masks per clip",
                doc="Masks per clip of ``freqmask`` (the baseline: 1).",
            ),
            Option(
                None,
                ("floor_log_offset",),
                lambda context: context.frontend.get("log_offset", DEFAULT_LOG_OFFSET),
                fallback=DEFAULT_LOG_OFFSET,
                doc="The features' log offset: masked log-mel cells become log(offset).",
            ),
        ),
    ),
    Condition(
        "dir",
        "DIR",
        "#ffbb78",
        "data",
        _dir,
        eligible="dir_devices",
        options=(
            Option(
                "--dir-prob",
                ("dir_prob",),
                0.4,
                type=argtypes.real("dir_prob", 0.0, 1.0),
                help="DIR: probability that a clip of --dir-devices gets a response",
                doc="DIR probability per eligible clip (the DIR paper and CP-JKU: 0.4).",
            ),
            Option(
                "--dir-devices",
                ("dir_devices",),
                ("a",),
                type=argtypes.arg_type(_device_names, str, sequence=True),
                metavar="DEVICES",
                help="DIR: the devices whose training clips may be convolved (the "
                "reference device; the others already carry a device response)",
                doc="Devices whose clips DIR may change (default: the reference ``a``).",
            ),
            Option(
                "--dir-responses",
                ("dir_responses",),
                "synthetic",
                type=str,
                metavar="PATH",
                help="DIR: a folder or file of impulse responses, or 'synthetic' "
                "(12 responses generated in code, not measurements)",
                doc='The bank: ``"synthetic"`` or a folder/file of responses.',
            ),
            Option(
                None,
                ("dir_frontend",),
                lambda context: dict(context.frontend),
                fallback=SYNTHETIC_FRONTEND,
                doc="The features' front end (DIR's mel gains are computed for it).",
            ),
        ),
    ),
    Condition(
        "dir+freqmixstyle",
        "DIR + Freq-MixStyle",
        "#98df8a",
        "data",
        _composite("dir", "freqmixstyle"),
        uses=("dir", "freqmixstyle"),
        parts=("dir", "freqmixstyle"),
        eligible="dir_devices",
    ),
    Condition(
        "dcase",
        "DCASE recipe",
        "#ff9896",
        "data",
        _composite("dir", "timeroll", "freqmask", "freqmixstyle"),
        uses=("dir", "timeroll", "freqmask", "freqmixstyle"),
        parts=("dir", "timeroll", "freqmask", "freqmixstyle"),
        eligible="dir_devices",
    ),
    Condition(
        "mixpolicy",
        "MixingPolicy",
        "#e377c2",
        "mixer",
        _mixpolicy,
        uses=("mixup", "cutmix", "specmix"),
        conflicts=_mixpolicy_conflicts,
        options=(
            Option(
                "--policy-mixers",
                ("policy_mixers",),
                ("mixup", "cutmix"),
                type=argtypes.choices("policy_mixers", lambda: POLICY_MIXERS),
                metavar="MIXERS",
                help="mixers of the mixpolicy condition (default: mixup,cutmix)",
                doc="Mixers of ``mixpolicy``, names from :data:`POLICY_MIXERS`.",
            ),
            Option(
                "--policy-probs",
                ("policy_probs",),
                None,
                type=argtypes.reals("policy_probs", 0.0, 1.0),
                metavar="PROBS",
                help="their probabilities, summing to 1 (default: equal shares)",
                doc="Their probabilities (None: equal shares).",
            ),
            Option(
                "--policy-mode",
                ("policy_mode",),
                "example",
                choices=("example", "batch"),
                help="mixpolicy chooses a mixer per example or per batch",
                doc='``"example"`` or ``"batch"``.',
            ),
        ),
    ),
)

REGISTRY = {c.name: c for c in _ENTRIES}
"""``{name: Condition}`` in table order."""

CONDITIONS = tuple(REGISTRY)
"""Every condition name, in table order."""

TALK_CONDITIONS = tuple(c.name for c in _ENTRIES if c.talk)
"""The talk's five conditions, in the order of its table (``--augmentation all``)."""

POLICY_MIXERS: tuple[str, ...] = tuple(
    c.name for c in _ENTRIES if c.placement == "mixer" and c.name != "mixpolicy"
)
"""The mixers a ``"mixpolicy"`` condition may switch between."""

LABELS = {c.name: c.label for c in _ENTRIES}
"""Column titles of the talk's table."""

COLORS = {c.name: c.color for c in _ENTRIES}
"""Each condition's colour in the figures."""

OPTIONS = tuple(o for c in _ENTRIES for o in c.options)
"""Every condition's options, in registry order."""


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A named set of conditions (and a model) the comparison runs: ``--recipe NAME``.

    The recipe fills in ``--augmentation`` and ``--model`` when they are not
    given; flags given on the command line win. Each condition keeps its own
    defaults (the registry's, which are the published recipes' values).

    Attributes:
        name: the ``--recipe`` name.
        conditions: condition names of :data:`REGISTRY`, in table order.
        model: the model name, or None (the runner's default).
        help: one line for ``--help``.
    """

    name: str
    conditions: tuple
    model: object = None
    help: str = ""


RECIPES = {
    r.name: r
    for r in (
        Recipe(
            "talk",
            TALK_CONDITIONS,
            help="the talk's five conditions (the same as --augmentation all)",
        ),
        Recipe(
            "dcase",
            ("none", "freqmixstyle", "dir", "dir+freqmixstyle", "dcase"),
            model="cp_mobile",
            help="device generalisation as DCASE 2024/2025 Task 1 does it: none, "
            "freqmixstyle, dir, dir+freqmixstyle and dcase (DIR on reference-device "
            "clips, time roll, frequency masks before the log, Freq-MixStyle), on "
            "CP-Mobile",
        ),
    )
}
"""``{name: Recipe}``: the presets of ``--recipe``."""


def eligible_devices(condition, params):
    """The devices whose training clips ``condition``'s layer may change, or None (all).

    Args:
        condition: one of :data:`CONDITIONS`.
        params: :class:`AugmentationParams`.

    Returns:
        A tuple of device names, or None when the condition does not read
        devices.

    Examples:

    >>> eligible_devices("dcase", AugmentationParams())
    ('a',)
    >>> eligible_devices("freqmixstyle", AugmentationParams()) is None
    True
    """
    entry = REGISTRY[_validation.check_choice("condition", condition, CONDITIONS)]
    return None if entry.eligible is None else tuple(getattr(params, entry.eligible))


def _params_class():
    fields, lines = [], []
    for option in OPTIONS:
        default = option.fallback if option.computed else option.default
        for name in option.fields:
            if isinstance(default, dict):  # a mutable default: each instance its own copy
                field = dataclasses.field(default_factory=lambda d=default: dict(d))
            else:
                field = dataclasses.field(default=default)
            fields.append((name, object, field))
            lines.append(f"    {name}: {option.doc}")
    doc = (
        "Parameters of the augmentations (the paper's names): the fields of\n"
        "the conditions' options in :data:`REGISTRY`.\n\n"
        "Attributes:\n" + "\n".join(lines) + "\n"
    )
    cls = dataclasses.make_dataclass(
        "AugmentationParams", fields, frozen=True, namespace={"__doc__": doc}
    )
    cls.__module__ = __name__  # pickles and docs find it here
    return cls


AugmentationParams: Any = _params_class()  # a dataclass made from the registry


def fields_of(condition):
    """The :class:`AugmentationParams` fields a condition's layer reads (its own and ``uses``')."""
    entry = REGISTRY[condition]
    own = {f for o in entry.options for f in o.fields}
    return own.union(*(fields_of(other) for other in entry.uses))


def settings_for(settings, condition):
    """The settings one run of ``condition`` depends on (what its results key hashes).

    Every setting, but of the ``"augmentation"`` parameters only those of
    :func:`fields_of` the condition: a run keeps its key when another
    condition's options change or a condition is added to the registry.

    Args:
        settings: a comparison's settings dict (with ``"augmentation"``).
        condition: a condition name (others, and settings without
            ``"augmentation"``, come back unchanged).

    Returns:
        A dict.

    Examples:

    >>> settings_for({"epochs": 2, "augmentation": {"alpha": 0.4, "gamma": 0.3}}, "specmix")
    {'epochs': 2, 'augmentation': {'gamma': 0.3}}
    """
    augmentation = settings.get("augmentation")
    if not isinstance(augmentation, dict) or condition not in REGISTRY:
        return settings
    keep = fields_of(condition)
    return {**settings, "augmentation": {k: v for k, v in augmentation.items() if k in keep}}


def params_from_args(args, context):
    """:class:`AugmentationParams` from parsed flags and the data's :class:`Context`.

    Args:
        args: the ``argparse.Namespace`` of the command line.
        context: :class:`Context`.

    Returns:
        :class:`AugmentationParams`.
    """
    values = {}
    for option in OPTIONS:
        given = getattr(args, option.dest) if option.flag is not None else None
        value = option.value(given, context)
        values.update(dict.fromkeys(option.fields, value))
    return AugmentationParams(**values)


def check_conflicts(args):
    """The first contradiction among the given flags (each condition's ``conflicts``), or None."""
    for condition in _ENTRIES:
        message = condition.conflicts(args) if condition.conflicts else None
        if message:
            return message
    return None


def check_params(params):
    """Builds every condition's layer once, so each layer validates its parameters.

    The layers' own checks are the only ones (a policy's probabilities
    summing to 1, FilterAugment's band counts, ...); this runs them before
    any training, and names the condition and its flags.

    Args:
        params: :class:`AugmentationParams`.

    Raises:
        ValueError: naming the condition, its flags and the layer's message.
    """
    for condition in _ENTRIES:
        if condition.build is None:
            continue
        try:
            make_augmentation(condition.name, params, 0)
        except (TypeError, ValueError) as error:
            flags = "/".join(condition.flags) or "its parameters"
            raise ValueError(f"{flags} (condition {condition.name}): {error}") from None


def make_augmentation(condition, params, seed):
    """The library layer of one condition (None for ``"none"``).

    Args:
        condition: one of :data:`CONDITIONS`.
        params: :class:`AugmentationParams`.
        seed: int >= 0, the layer's seed.

    Returns:
        A ``keras_specmix`` layer, or None.

    Raises:
        ValueError: for an unknown ``condition`` (or invalid parameters,
            raised by the layer).

    Examples:

    >>> make_augmentation("specmix", AugmentationParams(gamma=(0.0, 1.0)), 0).gamma
    (0.0, 1.0)
    >>> make_augmentation("freqmixstyle", AugmentationParams(), 0).prob
    0.4
    """
    condition = REGISTRY[_validation.check_choice("condition", condition, CONDITIONS)]
    if condition.build is None:
        return None
    from keras_specmix import layers  # noqa: PLC0415 - this module is read before TensorFlow

    return condition.build(layers, params, seed)


def record_config(layer):
    """The layer's ``get_config()`` for a run's record: every argument, no Keras bookkeeping.

    The name, ``trainable``, dtype policy and seed are left out (the record
    has the seed; a name's counter depends on what the process built
    before); nested layers (a policy's mixers) become ``{"class_name", ...
    their arguments}``.

    Args:
        layer: a layer of :func:`make_augmentation`, or None.

    Returns:
        A JSON-ready dict (``{}`` for None).

    Examples:

    >>> record_config(make_augmentation("mixup", AugmentationParams(), 0))["alpha"]
    0.4
    """
    return {} if layer is None else _clean(layer.get_config())


def _clean(value):
    if isinstance(value, dict):
        if "class_name" in value and "config" in value:  # a serialised Keras object
            return {"class_name": value["class_name"], **_clean(value["config"])}
        return {k: _clean(v) for k, v in value.items() if k not in _LAYER_KEYS}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def placement(condition, augment_in="model"):
    """Where ``condition``'s layer goes: ``"mixer"``, ``"front"``, ``"data"`` or None.

    Args:
        condition: one of :data:`CONDITIONS`.
        augment_in: ``"model"`` (each condition's own placement) or
            ``"data"`` (every condition in ``tf.data``).

    Returns:
        str or None (``"none"``).
    """
    entry = REGISTRY[_validation.check_choice("condition", condition, CONDITIONS)]
    if entry.placement is None:
        return None
    return "data" if augment_in == "data" else entry.placement


def wrap_model(classifier, augmentation, condition=None):
    """Puts ``augmentation`` around/in front of ``classifier`` for ``fit``.

    Args:
        classifier: a ``keras.Model`` (features -> probabilities).
        augmentation: the layer from :func:`make_augmentation`, or None.
        condition: its condition name (its placement decides); None: a layer
            that needs labels is a mixer, any other goes in front.

    Returns:
        The model to compile and fit; its ``predict`` is the classifier's,
        without augmentation.
    """
    if augmentation is None:
        return classifier
    import keras  # noqa: PLC0415 - this module is read before TensorFlow

    from keras_specmix.training import MixingModel  # noqa: PLC0415

    where = placement(condition) if condition is not None else None
    if where == "mixer" or (where is None and augmentation.requires_labels):
        return MixingModel(classifier, augmentation, name=f"mixing_{classifier.name}")
    inputs = keras.Input(classifier.input_shape[1:])
    outputs = classifier(augmentation(inputs))
    prefix = (condition or augmentation.name).replace("+", "_")  # "dir+freqmixstyle": no "+"
    return keras.Model(inputs, outputs, name=f"{prefix}_{classifier.name}")
