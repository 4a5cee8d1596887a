"""Version of keras_specmix (read by pyproject.toml; no imports here)."""

__version__ = "0.2.0.dev0"
