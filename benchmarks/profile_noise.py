"""Where AddNoise's time goes: the noise draw, the arithmetic, the whole layer.

AddNoise draws one noise value per cell and, on log features, converts to
power and back (``log1p`` for the exponential noise, ``exp`` for the mean
power, ``log`` and ``logaddexp`` for the sum). A copy moves the same bytes
with no arithmetic. This script times, on the current Keras backend's
compiled mode (TensorFlow: graph and XLA; JAX: ``jax.jit``), each part on
its own, as a ratio to a copy of the same batch in the same process (median
of paired rounds, as ``bench_layers.py``):

* ``uniform``: the uniform draw alone (one value per cell);
* ``draw``: ``ops.sample_noise_params`` (the uniform draw and its ``log1p``);
* ``apply``: ``ops.add_noise`` on a drawn noise (the arithmetic alone);
* ``layer``: ``AddNoise.augment`` (both);
* ``exp_log``: ``log(exp(x) + 1)`` on the batch, one ``exp`` and one ``log``
  per cell with nothing drawn (the cost of the domain change alone).

Usage:
    python benchmarks/profile_noise.py                     # TensorFlow graph and XLA
    KERAS_BACKEND=jax python benchmarks/profile_noise.py   # JAX jit
    python benchmarks/profile_noise.py --shape 256x100x256x1 --domain power
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from bench_layers import _compile  # noqa: E402
from bench_layers import _inputs  # noqa: E402
from bench_layers import parse_shape  # noqa: E402


def parts(domain):
    """name -> function of (x, noise, snr, seed) for each part timed."""
    import keras

    import keras_specmix as ks
    from keras_specmix import ops

    layer = ks.AddNoise(domain=domain, seed=0)
    return {
        "copy": lambda x, p, s: x * 1.0001,
        "uniform": lambda x, p, s: keras.random.uniform(keras.ops.shape(x), seed=s),
        "draw": lambda x, p, s: ops.sample_noise_params(s, keras.ops.shape(x), domain=domain)[
            "noise"
        ],
        "apply": lambda x, p, s: ops.add_noise(x, p, domain=domain),
        "layer": lambda x, p, s: layer.augment(x, s),
        "exp_log": lambda x, p, s: keras.ops.log(keras.ops.exp(x) + 1.0),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=parse_shape, default=(32, 400, 128, 3))
    parser.add_argument("--domain", default="log")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)

    import keras

    from keras_specmix import ops

    backend = keras.backend.backend()
    modes = {"tensorflow": ("graph", "xla"), "jax": ("jit",), "torch": ("eager",)}[backend]
    x, _, seed = _inputs(args.shape)
    params = ops.sample_noise_params(seed, args.shape, domain=args.domain)
    rows = {}
    for mode in modes:
        fns = {
            name: _compile(backend, mode, fn, f"noise_{mode}_{name}")
            for name, fn in parts(args.domain).items()
        }
        cands = {name: (lambda fn=fn: fn(x, params, seed)) for name, fn in fns.items()}
        copy = cands.pop("copy")
        result = harness.measure_paired(
            cands,
            {"copy": copy},
            dict.fromkeys(cands, "copy"),
            repeats=args.repeats,
            warmup=args.warmup,
        )
        for name in cands:
            rows[f"{name}@{mode}"] = [
                f"{result[name]['median_ms']:.1f}",
                f"{result[name]['paired_ratio']:.2f}",
            ]
        rows[f"copy@{mode}"] = [f"{result['copy']['median_ms']:.2f}", "1.00"]
    print(f"{backend}, {args.shape}, domain={args.domain}, {harness.uptime()}")
    print(harness.table([[k, *v] for k, v in rows.items()], ["part@mode", "median ms", "÷ copy"]))


if __name__ == "__main__":
    main()
