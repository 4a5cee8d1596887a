"""The dict keys every part of the package reads and writes.

Layers, ``keras_specmix.data``, ``keras_specmix.losses`` and
``keras_specmix.training`` exchange ``{"spectrograms": x, "labels": y}``
dicts, plus the keys below; the names live here, apart from any layer, so
that none of them depends on a layer module for a string.
"""

# Inputs.
SPECTROGRAMS = "spectrograms"
LABELS = "labels"
#: ``(batch, samples[, channels])`` waveforms, instead of ``SPECTROGRAMS``
#: (the signal layers: ``TimeRoll``, ``RandomGain``, ``AddNoise``, ...).
WAVEFORMS = "waveforms"
#: int ``(batch,)`` valid frames of a padded batch, or ...
LENGTHS = "lengths"
#: ... bool ``(batch, time)``, True on the valid frames, which come first.
PADDING_MASK = "padding_mask"

# What a mixing layer adds with ``return_mix_info=True``.
#: float ``(batch,)``: the weight of each example's own content.
MIX_WEIGHTS = "mix_weights"
#: int32 ``(batch,)``: the index of each example's mixing partner.
PARTNERS = "partners"
#: int32 ``(batch,)``: which mixer ``MixingPolicy`` used (-1: none).
MIX_METHODS = "mix_methods"
