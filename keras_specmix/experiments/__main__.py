"""``python -m keras_specmix.experiments``: the command of :mod:`keras_specmix.experiments.runner`.

The same entry point as the ``keras-specmix-experiments`` console script
(:func:`_keras_specmix_cli.main`). Its start-up (quiet TensorFlow import,
oneDNN guard) ran before TensorFlow was imported, from
``keras_specmix/__init__.py`` (:func:`_keras_specmix_cli.prepare_module_run`).
"""

import sys

import _keras_specmix_cli

if __name__ == "__main__":
    sys.exit(_keras_specmix_cli.main(prog="python -m keras_specmix.experiments"))
