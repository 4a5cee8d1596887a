"""Hardness check of the synthetic scenes: a small CNN, seen vs unseen devices.

Trains a ~0.1M-parameter CNN (no augmentation) on the default training split,
picks nothing on the test split, and prints overall, seen-device and
unseen-device test accuracy plus generation speed. About 5 minutes on 2 CPU
cores.

    python examples/synthetic_hardness.py --epochs 15 --seed 0
"""

import argparse
import time

import keras
import numpy as np

from keras_specmix import datasets
from keras_specmix.datasets import synthetic


def small_cnn(input_shape, num_classes):
    inputs = keras.Input(input_shape)
    x = keras.layers.BatchNormalization()(inputs)
    for filters in (16, 32, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.3)(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)

    start = time.perf_counter()
    waves, _, _ = synthetic.generate_synthetic_scenes("validation", seed=args.seed)
    gen_rate = len(waves) / (time.perf_counter() - start)
    start = time.perf_counter()
    synthetic.extract_features(waves, synthetic.FAST_CONFIG)
    feat_rate = len(waves) / (time.perf_counter() - start)
    print(f"generation: {gen_rate:.1f} clips/s; features: {feat_rate:.1f} clips/s")

    splits = {s: datasets.synthetic_scenes(s, seed=args.seed) for s in
              ("train", "validation", "test")}
    arrays = {s: datasets.cache.as_numpy(ds) for s, ds in splits.items()}
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = (arrays[s] for s in
                                                ("train", "validation", "test"))
    model = small_cnn(x_tr.shape[1:], len(splits["train"].class_names))
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_tr, y_tr, batch_size=32, epochs=args.epochs,
              validation_data=(x_va, y_va), verbose=2)
    print(f"training: {time.perf_counter() - start:.0f} s")
    pred = model.predict(x_te, verbose=0).argmax(-1)
    devices = splits["test"].metadata["device"]
    correct = pred == y_te
    unseen = np.isin(devices, synthetic.UNSEEN_DEVICES)
    print(f"train clips {len(y_tr)}, validation {len(y_va)}, test {len(y_te)}")
    print(f"test accuracy: {correct.mean():.3f}; seen devices "
          f"{correct[~unseen].mean():.3f}; unseen devices {correct[unseen].mean():.3f}")
    for device in synthetic.DEVICES:
        print(f"  device {device}: {correct[devices == device].mean():.3f}")


if __name__ == "__main__":
    main()
