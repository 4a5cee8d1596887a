"""The accuracies reported in the SpecMix talk (its results table), for comparison.

Kim, Han and Ko, "SpecMix: a mixed sample data augmentation method for
training with time-frequency domain features", Interspeech 2021. Accuracy in
percent, batch 32, soft-label cross-entropy; the author's script kept the
checkpoint with the best *test* accuracy, so these are optimistic.
"""

PAPER_RESULTS = {
    ("tau2020_mobile", "resnet101"): {
        "none": 59.60,
        "mixup": 58.15,
        "cutmix": 59.54,
        "specaugment": 57.68,
        "specmix": 62.13,
    },
    ("tau2020_mobile", "two_path"): {
        "none": 68.90,
        "mixup": 71.29,
        "cutmix": 70.92,
        "specaugment": 69.07,
        "specmix": 71.60,
    },
    ("secl_umons", "resnet101"): {
        "none": 96.07,
        "mixup": 95.87,
        "cutmix": 95.66,
        "specaugment": 96.90,
        "specmix": 97.11,
    },
}
"""``{(dataset, model): {condition: accuracy %}}`` as given in the talk."""

PAPER_SPECMIX_GAMMA = {
    ("tau2020_mobile", "resnet101"): 0.3,
    ("tau2020_mobile", "two_path"): (0.0, 1.0),
    ("secl_umons", "resnet101"): 0.1,
}
"""SpecMix γ of each row (the SECL-UMONS value is the author's code default)."""


def paper_results(dataset, model):
    """The talk's row for ``(dataset, model)``, or None when it has none.

    Args:
        dataset: a dataset name of the runner (``"tau2020_mobile"``, ...).
        model: a model name (``"resnet101"``, ``"two_path"``, ``"small"``).

    Returns:
        ``{condition: accuracy %}`` or None.

    Examples:

    >>> paper_results("tau2020_mobile", "resnet101")["specmix"]
    62.13
    >>> paper_results("synthetic", "small") is None
    True
    """
    return PAPER_RESULTS.get((dataset, model))
