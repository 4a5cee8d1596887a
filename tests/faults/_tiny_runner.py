"""The runner's command line with a tiny classifier (pooling + dense), for the two-process kill.

The test checks what happens to the processes, not the network: a tiny model
keeps each step short on a loaded CI machine.
"""

import sys

import keras

from keras_specmix.experiments import models
from keras_specmix.experiments import runner


def tiny_model(name, input_shape, num_classes, width=None):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ],
        name="tiny",
    )


models.build_model = tiny_model
sys.exit(runner.main(sys.argv[1:]))
