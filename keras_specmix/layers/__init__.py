"""Keras layers: thin shells over ``keras_specmix.ops``."""

from keras_specmix.layers.add_noise import AddNoise
from keras_specmix.layers.base import SpectrogramAugmentation
from keras_specmix.layers.cutmix import CutMix
from keras_specmix.layers.device_impulse_response import DeviceImpulseResponse
from keras_specmix.layers.filter_augment import FilterAugment
from keras_specmix.layers.frequency_masking import FrequencyMasking
from keras_specmix.layers.frequency_mix_style import FrequencyMixStyle
from keras_specmix.layers.mixing import MixingLayer
from keras_specmix.layers.mixing_policy import MixingPolicy
from keras_specmix.layers.mixup import MixUp
from keras_specmix.layers.random_gain import RandomGain
from keras_specmix.layers.spec_augment import SpecAugment
from keras_specmix.layers.spec_mix import SpecMix
from keras_specmix.layers.time_masking import TimeMasking
from keras_specmix.layers.time_roll import TimeRoll
from keras_specmix.layers.time_warp import TimeWarp
