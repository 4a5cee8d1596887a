"""Distil a small scene classifier from a larger teacher, with mixed teacher targets.

Run: ``python examples/distillation.py`` (a few minutes on 2 CPU cores; XLA compiles
each model first).

On the embedded synthetic acoustic scenes (``keras_specmix.datasets``,
generated in code) it
1. trains a teacher CNN on plain labels;
2. trains a student a few times smaller with ``ks.DistillationModel``:
   ``fit`` mixes each batch with MixUp, runs the frozen teacher on the
   unmixed clips and mixes its probabilities at temperature T with the same
   partner and λ as the inputs and labels; the loss is
   ``(1 − w)·CE + w·T²·KL``;
3. prints both models' parameter counts and held-out accuracies.

It shows the API, not a result: a few epochs on a few hundred synthetic
clips say nothing about which training is better.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_specmix as ks  # noqa: E402


def load(split, num_examples):
    """Synthetic-scene features (time, freq, 3) and integer labels, shuffled."""
    ds = ks.datasets.synthetic_scenes(split=split, seed=0, clips_per_location=1)
    features, labels = zip(*[(f.numpy(), y.numpy()) for f, y in ds.take(num_examples)])
    order = np.random.default_rng(0).permutation(len(labels))  # clips come class by class
    return np.stack(features)[order], np.asarray(labels)[order], len(ds.class_names)


def classifier(input_shape, num_classes, width, seed):
    """A CNN that outputs logits (the distillation loss takes logits)."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Conv2D(width, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(2 * width, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes),
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--temperature", type=float, default=2.0)
    parser.add_argument("--kd-weight", type=float, default=0.5)
    args = parser.parse_args()

    x, y, num_classes = load("train", args.examples)
    x_test, y_test, _ = load("test", args.examples // 2)
    print(f"{len(y)} training clips, {len(y_test)} test clips, features {x.shape[1:]}")

    print("\n1. Teacher (plain labels)")
    teacher = classifier(x.shape[1:], num_classes, width=16, seed=1)
    teacher.compile(
        "adam",
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=True,
    )
    teacher.fit(x, y, batch_size=16, epochs=args.epochs, verbose=2)

    print("\n2. Student distilled with MixUp-mixed teacher targets")
    student = classifier(x.shape[1:], num_classes, width=4, seed=2)
    model = ks.DistillationModel(
        student,
        ks.MixUp(alpha=0.4, num_classes=num_classes, seed=0),
        teacher=teacher,
        temperature=args.temperature,
        kd_weight=args.kd_weight,
    )
    model.compile("adam", metrics=["accuracy"], jit_compile=True)
    model.fit(x, y, batch_size=16, epochs=args.epochs, verbose=2)

    print("\n3. Held-out accuracy")
    for name, net in (("teacher", teacher), ("student", student)):
        logits = net.predict(x_test, verbose=0)
        accuracy = float(np.mean(np.argmax(logits, axis=1) == y_test))
        print(f"{name}: {net.count_params():>7,d} parameters, accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
