"""``python -m keras_specmix.experiments``: see :mod:`keras_specmix.experiments.runner`.

The quiet TensorFlow start-up and the oneDNN guard run before TensorFlow is
imported, from ``keras_specmix/__init__.py`` (:mod:`keras_specmix._cli_startup`).
"""

import sys

from keras_specmix.experiments.runner import main

if __name__ == "__main__":
    sys.exit(main())
