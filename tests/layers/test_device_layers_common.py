"""The shared layer checks (tests/layer_checks.py) on the layers of issue 22.

The battery feeds ``(batch, 24, 16, 3)`` tensors. The waveform domains read
them as 24 samples of 16 × 3 channels (axis 1 is time, the other axes are
channels), which is what they do to any ``(batch, samples, ...)`` input;
rank-2 waveforms are checked in ``test_device_layers.py``.
"""

import pytest

from keras_specmix import AddNoise
from keras_specmix import DeviceImpulseResponse
from keras_specmix import RandomGain
from keras_specmix import TimeRoll
from keras_specmix.features import FrontEndConfig
from tests.layer_checks import layer_check_params
from tests.layer_checks import run_layer_check

# The battery's inputs have 16 bins: a 16-mel front end for the spectrogram path.
FRONTEND_16K = FrontEndConfig(sample_rate=16000, n_fft=512, hop_length=256, n_mels=16).to_dict()

# prob=1.0: the shared checks need every call to change a batch of 4 (with
# the default 0.4, 13 % of batches would come back unchanged).
CASES = {
    "DeviceImpulseResponse": (
        DeviceImpulseResponse,
        {"responses": "synthetic", "prob": 1.0, "frontend": FRONTEND_16K},
        [
            ("prob", 1.5),
            ("prob", "often"),
            ("domain", "mel"),
            ("responses", []),
            ("responses", {"shape": [3, 4]}),
            ("channels", [0]),  # channels are for spectrograms
            ("frontend", "16k"),
            ("seed", -1),
        ],
    ),
    "DeviceImpulseResponse-log": (
        DeviceImpulseResponse,
        {"prob": 1.0, "domain": "log", "frontend": FRONTEND_16K, "channels": [0]},
        [("channels", [-1]), ("responses", [[0.0, 0.0]])],
    ),
    "TimeRoll": (
        TimeRoll,
        {"max_shift": 5},
        [("max_shift", -1), ("max_shift", 2.5), ("max_shift_ratio", 0.5), ("seed", -1)],
    ),
    # Issue 22: one gain per batch. (Not TimeRoll: one shift per batch on the
    # battery's 24 frames has 15 outcomes, fewer than the 64 distinct draws
    # the parallel tf.data check asks for.)
    "RandomGain-batch": (
        RandomGain,
        {"db_range": (-6.0, 6.0), "param_granularity": "batch"},
        [("param_granularity", "batches")],
    ),
    "TimeRoll-ratio": (
        TimeRoll,
        {"max_shift_ratio": 0.3},
        [("max_shift_ratio", 1.5), ("max_shift_ratio", None), ("max_shift", 3)],
    ),
    "RandomGain": (
        RandomGain,
        {"db_range": (-6.0, 6.0), "domain": "log", "channels": [0]},
        [
            ("db_range", (6, -6)),
            ("db_range", 6),
            ("domain", "mel"),
            ("channels", [-1]),
            ("seed", -1),
        ],
    ),
    "AddNoise": (
        AddNoise,
        {"snr_db_range": (6.0, 30.0), "domain": "waveform"},
        [("snr_db_range", (30, 6)), ("snr_db_range", "loud"), ("domain", "mel"), ("seed", -1)],
    ),
    "AddNoise-log": (
        AddNoise,
        {"snr_db_range": (0.0, 10.0), "domain": "log", "channels": [0, 2]},
        [("channels", [])],
    ),
}


@pytest.mark.parametrize(("name", "check"), layer_check_params(CASES))
def test_shared_layer_checks(name, check, tmp_path):
    layer_cls, kwargs, bad = CASES[name]
    run_layer_check(check, layer_cls, kwargs, bad, tmp_path)
