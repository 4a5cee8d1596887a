"""``python -m keras_specmix.experiments``: see :mod:`keras_specmix.experiments.runner`."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from keras_specmix.experiments.runner import main  # noqa: E402

sys.exit(main())
