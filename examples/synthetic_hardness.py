"""Hardness check of the synthetic scenes: a small CNN, seen vs unseen devices.

For each seed (dataset and model), trains a ~0.07M-parameter CNN (no
augmentation, fixed epochs, nothing chosen on the test split) on the default
training split and reports test accuracy on seen devices (a, b, c, s1-s3),
on unseen devices (s4-s6) and their gap, with standard errors. Each test
scene is recorded by one seen and one unseen device, so the gap is a paired
difference over scenes. Then prints mean ± std over seeds. About 2.5 minutes
per seed on 2 CPU cores.

    python examples/synthetic_hardness.py --epochs 20 --seeds 0 1 2
"""

import argparse
import time

import keras
import numpy as np

from keras_specmix.datasets import synthetic


def small_cnn(input_shape, num_classes):
    """Four 3x3 conv blocks (16-64 filters), global pooling, dropout, dense."""
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


def load_split(split, seed, args):
    """Features, labels and metadata of one split, generated for ``seed``."""
    waves, labels, meta = synthetic.generate_synthetic_scenes(
        split, seed, args.num_locations, args.clips_per_location
    )
    return synthetic.extract_features(waves, synthetic.FAST_CONFIG), labels, meta


def device_accuracy(correct, meta):
    """Seen/unseen accuracy with standard errors and the paired gap.

    Each test segment has one seen and one unseen recording; the gap's
    standard error is that of the mean per-segment difference.
    """
    unseen = np.isin(meta["device"], synthetic.UNSEEN_DEVICES)
    order = np.argsort(meta["segment"], kind="stable")
    seen_first = correct[order][~unseen[order]].astype(float)
    unseen_first = correct[order][unseen[order]].astype(float)
    diff = seen_first - unseen_first
    stats = {
        "overall": correct.mean(),
        "seen": seen_first.mean(),
        "unseen": unseen_first.mean(),
        "gap": diff.mean(),
    }
    for key, values in (("seen", seen_first), ("unseen", unseen_first), ("gap", diff)):
        stats[key + "_se"] = values.std(ddof=1) / np.sqrt(values.size)
    return stats


def run_seed(seed, args):
    """Generates the data for ``seed``, trains, and returns test statistics."""
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    data = {s: load_split(s, seed, args) for s in synthetic.SPLITS}
    prep_s = time.perf_counter() - start
    (x_tr, y_tr, _), (x_va, y_va, _), (x_te, y_te, meta) = (data[s] for s in synthetic.SPLITS)
    model = small_cnn(x_tr.shape[1:], len(synthetic.CLASS_NAMES))
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(
        x_tr,
        y_tr,
        batch_size=32,
        epochs=args.epochs,
        validation_data=(x_va, y_va),
        verbose=2 if args.verbose else 0,
    )
    train_s = time.perf_counter() - start
    correct = model.predict(x_te, verbose=0).argmax(-1) == y_te
    stats = device_accuracy(correct, meta)
    print(
        f"seed {seed}: clips train {len(y_tr)}, validation {len(y_va)}, test {len(y_te)}; "
        f"data {prep_s:.0f} s ({len(y_tr) + len(y_va) + len(y_te)} clips), "
        f"training {train_s:.0f} s"
    )
    print(
        f"  overall {stats['overall']:.3f}; seen {stats['seen']:.3f} ± {stats['seen_se']:.3f}; "
        f"unseen {stats['unseen']:.3f} ± {stats['unseen_se']:.3f}; "
        f"gap {stats['gap']:.3f} ± {stats['gap_se']:.3f} (± = standard error)"
    )
    print(
        "  per device: "
        + ", ".join(f"{d} {correct[meta['device'] == d].mean():.2f}" for d in synthetic.DEVICES)
    )
    return stats


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--num-locations", type=int, default=24)
    parser.add_argument("--clips-per-location", type=int, default=8)
    parser.add_argument("--verbose", action="store_true", help="print every epoch")
    args = parser.parse_args()
    runs = [run_seed(seed, args) for seed in args.seeds]
    print(f"over seeds {args.seeds} (mean ± std):")
    for key in ("overall", "seen", "unseen", "gap"):
        values = np.array([r[key] for r in runs])
        print(f"  {key:8s} {values.mean():.3f} ± {values.std(ddof=min(1, values.size - 1)):.3f}")


if __name__ == "__main__":
    main()
