"""The shared layer checks (tests/layer_checks.py) on the mixing layers."""

import pytest

from keras_specmix import CutMix
from keras_specmix import MixUp
from keras_specmix import SpecMix
from tests.layer_checks import layer_check_params
from tests.layer_checks import run_layer_check

COMMON_BAD = [
    ("num_classes", 0),
    ("prob", 1.5),
    ("prob", -0.1),
    ("seed", -1),
    ("return_mix_info", "yes"),
    ("label_rule", "min"),
]

CASES = {
    "MixUp": (
        MixUp,
        {"alpha": 0.4, "num_classes": 5},
        [("alpha", 0.0), ("alpha", -1.0), ("alpha", "big")],
    ),
    "CutMix": (
        CutMix,
        {"alpha": 1.0, "axes": "both", "num_classes": 5},
        [("alpha", 0.0), ("axes", "diagonal")],
    ),
    # Issue 22: timm's batch mode, one λ and one box per batch.
    "CutMix-batch": (
        CutMix,
        {"alpha": 1.0, "num_classes": 5, "param_granularity": "batch", "gate_granularity": "batch"},
        [("param_granularity", "elem"), ("gate_granularity", 1)],
    ),
    "CutMix-time": (CutMix, {"axes": "time", "num_classes": 5}, [("axes", "rows")]),
    "SpecMix": (
        SpecMix,
        {"gamma": 0.3, "num_classes": 5},
        [
            ("gamma", 1.5),
            ("gamma", (0.6, 0.2)),
            ("gamma", (0.1, 0.2, 0.3)),
            ("max_freq_bands", -1),
            ("min_time_bands", 3),
        ],
    ),
    "SpecMix-range": (
        SpecMix,
        {
            "gamma": (0.0, 1.0),
            "max_time_bands": 3,
            "num_classes": 5,
            "prob": 0.8,
            "return_mix_info": True,
            "label_rule": "max",
        },
        [("gamma", (-0.1, 0.5))],
    ),
}


@pytest.mark.parametrize(("name", "check"), layer_check_params(CASES))
def test_shared_layer_checks(name, check, tmp_path):
    layer_cls, kwargs, bad = CASES[name]
    run_layer_check(check, layer_cls, kwargs, bad + COMMON_BAD, tmp_path)
