"""The shared layer checks (tests/layer_checks.py) on FrequencyMixStyle,
FilterAugment and MixingPolicy."""

import keras
import pytest

from keras_specmix import CutMix
from keras_specmix import FilterAugment
from keras_specmix import FrequencyMixStyle
from keras_specmix import MixingPolicy
from keras_specmix import MixUp
from keras_specmix import SpecMix
from tests.layer_checks import layer_check_params
from tests.layer_checks import run_layer_check


def _serialized(*layers):
    return [keras.saving.serialize_keras_object(layer) for layer in layers]


# prob=1.0 for Freq-MixStyle here: the shared checks need every call to
# change a batch of 4 (with the default 0.4, 13 % of batches are unchanged).
CASES = {
    "FrequencyMixStyle": (
        FrequencyMixStyle,
        {"alpha": 0.3, "prob": 1.0},
        [
            ("alpha", 0.0),
            ("alpha", "big"),
            ("prob", 1.5),
            ("eps", 0.0),
            ("per_channel", "yes"),
            ("seed", -1),
        ],
    ),
    # Issue 22: the DCASE 2024/2025 baseline's gate, once per batch.
    "FrequencyMixStyle-dcase": (
        FrequencyMixStyle,
        {"alpha": 0.3, "prob": 1.0, "gate_granularity": "batch"},
        [("gate_granularity", "all"), ("param_granularity", "per_batch")],
    ),
    "FrequencyMixStyle-pooled": (
        FrequencyMixStyle,
        {"alpha": 1.0, "prob": 1.0, "eps": 1e-5, "per_channel": False},
        [("eps", -1.0)],
    ),
    "FilterAugment": (
        FilterAugment,
        {"db_range": (-6, 6), "num_bands": (3, 6), "min_bandwidth": 2},
        [
            ("db_range", (6, -6)),
            ("db_range", 6),
            ("num_bands", (3, 3)),
            ("num_bands", 0),
            ("min_bandwidth", 0),
            ("mode", "cubic"),
            ("domain", "mel"),
            ("channels", [-1]),
            ("seed", -1),
        ],
    ),
    "FilterAugment-step": (
        FilterAugment,
        {
            "db_range": (-3.0, 9.0),
            "num_bands": (2, 5),
            "min_bandwidth": 4,
            "mode": "step",
            "domain": "amplitude",
            "channels": [0, 2],
        },
        [("channels", [])],
    ),
    "MixingPolicy": (
        MixingPolicy,
        {
            "mixers": _serialized(MixUp(alpha=0.8), CutMix(alpha=1.0)),
            "probs": [0.5, 0.5],
            "num_classes": 5,
        },
        [
            ("mixers", []),
            ("probs", [0.5, 0.6]),
            ("probs", [1.0]),
            ("mode", "elem"),
            ("prob", 1.5),
            ("num_classes", 0),
            ("seed", -1),
        ],
    ),
    "MixingPolicy-batch": (
        MixingPolicy,
        {
            "mixers": _serialized(MixUp(), SpecMix(gamma=0.3), CutMix(axes="time")),
            "probs": [0.2, 0.3, 0.5],
            "mode": "batch",
            "num_classes": 5,
        },
        [("mixers", ["mixup"])],
    ),
}


@pytest.mark.parametrize(("name", "check"), layer_check_params(CASES))
def test_shared_layer_checks(name, check, tmp_path):
    layer_cls, kwargs, bad = CASES[name]
    run_layer_check(check, layer_cls, kwargs, bad, tmp_path)
