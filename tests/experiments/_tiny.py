"""The tiny comparison settings the runner's end-to-end tests share."""

TINY = [
    "--num-locations",
    "3",
    "--clips-per-location",
    "1",
    "--epochs",
    "2",
    "--steps-per-epoch",
    "2",
    "--batch-size",
    "8",
    "--width",
    "4",
    "--quiet",
]
"""Synthetic scenes of 3 locations x 1 clip per class, the small model at width 4, 2 x 2 steps."""
