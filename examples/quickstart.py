"""Quickstart: every keras_specmix augmentation in tf.data and inside a model.

Run: ``python examples/quickstart.py`` (about a minute on 2 CPU cores).

It builds a small labelled set of log-mel spectrograms from the embedded
synthetic acoustic scenes, then
1. maps each mixing layer over a tf.data pipeline, reproducibly
   (``ks.data.augment_dataset``), and prints the label weights it produced;
2. trains a small CNN with ``ks.MixingModel`` (``fit`` mixes inputs and
   labels) and SpecAugment inside the network, under ``jit_compile=True``;
3. checks that ``predict`` and an exported SavedModel are untouched by
   the augmentation.
"""

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_specmix as ks  # noqa: E402


def load_data(num_examples):
    """Synthetic-scene features (time, freq, 3) and integer labels."""
    # 16 locations per class (10 for training), 1 clip per location.
    ds = ks.datasets.synthetic_scenes(split="train", seed=0, clips_per_location=1)
    features, labels = zip(*[(f.numpy(), y.numpy()) for f, y in ds.take(num_examples)])
    order = np.random.default_rng(0).permutation(len(labels))  # clips come class by class
    return np.stack(features)[order], np.asarray(labels)[order], len(ds.class_names)


def show_tf_data(x, y, num_classes):
    print("\n1. Mixing layers in tf.data (same seed -> same batches on every run)")
    ds = tf.data.Dataset.from_tensor_slices({"spectrograms": x, "labels": y}).batch(8)
    for layer in (
        ks.MixUp(num_classes=num_classes, return_mix_info=True),
        ks.CutMix(num_classes=num_classes, return_mix_info=True),
        ks.SpecMix(gamma=0.3, num_classes=num_classes, return_mix_info=True),
    ):
        out = next(iter(ks.data.augment_dataset(ds, layer, seed=42)))
        print(
            f"   {type(layer).__name__:8s} batch {tuple(out['spectrograms'].shape)}, "
            f"share kept (lambda): {np.round(out['mix_weights'].numpy(), 2)}, "
            f"partners: {out['partners'].numpy()}"
        )
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    spec_augment = ks.SpecAugment(policy="LD", seed=0)  # create layers outside map()
    masked = ds.map(lambda xb, yb: (spec_augment(xb), yb))
    x_masked, _ = next(iter(masked))
    print(f"   SpecAugment LD: {float(np.mean(x_masked.numpy() == 0)):.1%} of cells masked")


def build_classifier(input_shape, num_classes):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            ks.SpecAugment(time_warp_param=5, freq_mask_param=8, time_mask_param=10, seed=0),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def show_model(x, y, num_classes, epochs):
    print("\n2. SpecMix inside a model: fit mixes inputs and labels (XLA)")
    net = build_classifier(x.shape[1:], num_classes)
    model = ks.MixingModel(net, ks.SpecMix(gamma=0.3, num_classes=num_classes, seed=0))
    model.compile(
        keras.optimizers.Adam(1e-3),
        "categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=True,
    )
    model.fit(x, y, batch_size=16, epochs=epochs, verbose=2)

    print("\n3. Inference is untouched by the augmentation")
    first, second = model.predict(x[:8], verbose=0), model.predict(x[:8], verbose=0)
    assert np.array_equal(first, second), "predict must be deterministic"
    with tempfile.TemporaryDirectory() as tmp:
        model.export(os.path.join(tmp, "serving"), verbose=False)
        reloaded = tf.saved_model.load(os.path.join(tmp, "serving"))
        served = reloaded.serve(x[:8])
    print(
        f"   predict is repeatable; SavedModel serving max |diff| vs predict: "
        f"{float(np.max(np.abs(served.numpy() - first))):.2e}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    x, y, num_classes = load_data(args.examples)
    print(
        f"keras_specmix {ks.__version__}: {len(x)} clips of shape {x.shape[1:]}, "
        f"{num_classes} classes"
    )
    show_tf_data(x, y, num_classes)
    show_model(x, y, num_classes, args.epochs)


if __name__ == "__main__":
    main()
