"""Checks that must hold under every Keras backend (``KERAS_BACKEND``).

In ``tf.data`` the layers run on TensorFlow whatever the backend, as
Keras' own preprocessing layers do: they augment, parallel calls never share
a draw, and ``augment_dataset`` is reproducible. CI runs this module with
``KERAS_BACKEND=jax`` and ``KERAS_BACKEND=torch`` as well as TensorFlow.
"""

import keras
import pytest

from tests.layer_checks import run_tf_data_checks
from tests.layers.test_mixing_layers_common import CASES as MIXING_CASES
from tests.layers.test_new_layers_common import CASES as NEW_CASES
from tests.layers.test_spec_augment_layers import CASES as MASKING_CASES

CASES = {**MIXING_CASES, **MASKING_CASES, **NEW_CASES}


def test_the_backend_is_the_one_ci_asked_for():
    import os

    assert keras.backend.backend() == os.environ.get("KERAS_BACKEND", "tensorflow")


@pytest.mark.parametrize("name", sorted(CASES))
def test_layers_augment_in_tf_data_on_this_backend(name):
    layer_cls, kwargs, _ = CASES[name]
    run_tf_data_checks(layer_cls, kwargs)
