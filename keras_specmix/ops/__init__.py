"""Pure functional core: stateless, batched, XLA-safe functions on every Keras backend.

Each function computes on the backend of its inputs (TensorFlow inside
``tf.data``, whatever ``KERAS_BACKEND`` says; see ``keras_specmix.ops._backend``).
"""

from keras_specmix.ops import filter_augment
from keras_specmix.ops import fusion
from keras_specmix.ops import gain_noise
from keras_specmix.ops import impulse_response
from keras_specmix.ops import label_rules
from keras_specmix.ops import masks
from keras_specmix.ops import mix_style
from keras_specmix.ops import mixing
from keras_specmix.ops import policy
from keras_specmix.ops import random
from keras_specmix.ops import roll
from keras_specmix.ops import spec_augment
from keras_specmix.ops import warp
from keras_specmix.ops.masks import interval_mask
from keras_specmix.ops.masks import region_mask
from keras_specmix.ops.mixing import apply_cutmix
from keras_specmix.ops.mixing import apply_mixup
from keras_specmix.ops.mixing import apply_specmix
from keras_specmix.ops.mixing import sample_cutmix_params
from keras_specmix.ops.mixing import sample_mixup_params
from keras_specmix.ops.mixing import sample_specmix_params
from keras_specmix.ops.random import pair_indices
from keras_specmix.ops.random import stateless_beta
from keras_specmix.ops.spec_augment import apply_masks
from keras_specmix.ops.spec_augment import apply_spec_augment
from keras_specmix.ops.spec_augment import sample_freq_mask_params
from keras_specmix.ops.spec_augment import sample_spec_augment_params
from keras_specmix.ops.spec_augment import sample_time_mask_params
from keras_specmix.ops.warp import apply_time_warp
from keras_specmix.ops.warp import sample_time_warp_params
