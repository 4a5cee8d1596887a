"""Keras layers: thin shells over ``keras_specmix.ops``."""

from keras_specmix.layers.base import SpectrogramAugmentation
from keras_specmix.layers.cutmix import CutMix
from keras_specmix.layers.mixing import MixingLayer
from keras_specmix.layers.mixup import MixUp
from keras_specmix.layers.spec_mix import SpecMix
