"""Version of keras_specmix (read by setup.py; no imports here)."""

__version__ = "0.2.0.dev0"
