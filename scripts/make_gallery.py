"""Renders the visual gallery of docs/gallery/ from the library's own layers.

    python scripts/make_gallery.py                 # all panels -> docs/gallery/
    python scripts/make_gallery.py --out /tmp/g --only specmix_gamma_0.3

The clip: two scenes of the embedded synthetic dataset
(``keras_specmix.datasets.generate_synthetic_scenes("validation", seed=0,
num_locations=3, clips_per_location=1, clip_seconds=5.0)``), "park" (the
example shown) and "metro" (the partner the mixing layers paste from),
through ``keras_specmix.features.log_mel_spectrogram`` at 16 kHz (FFT 1024,
hop 256, 80 HTK mel bands: 313 frames x 80 bins), each standardised to mean 0
and standard deviation 1 so that SpecAugment's default ``mask_value=0`` is the
clip's mean.

Every panel is the output of a layer's ``sample_params(data, seed)`` then
``transform(data, params)`` on the batch ``[park, metro]``: exactly what the
layer computes when called with that seed. The outlines are drawn from the
same params (the frames and bins the masks or the donor region cover), and
the script checks them against the output before drawing: outside the
outline the output equals the input bit for bit, inside it equals the
partner (mixing) or the mask value (masking), and the printed λ equals
``1 − |region| / (T·F)``. A panel whose check fails raises instead of
drawing.

Seeds: each panel has a fixed starting seed and uses the first seed from
there whose draw is visible (a mask at least a third of its maximum width;
a SpecMix draw with at least one band on each axis; a MixUp or CutMix λ
between 0.25 and 0.75). The rule is deterministic, so the images are
reproducible; the seed used is printed in each title. The titles are also
written to ``panels.json`` beside the images, so a test can tell when the
committed images no longer match the code.
"""

import argparse
import io
import json
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

import keras_specmix as ks  # noqa: E402
from keras_specmix import datasets  # noqa: E402
from keras_specmix import features  # noqa: E402
from keras_specmix.datasets import synthetic  # noqa: E402
from keras_specmix.ops import masks  # noqa: E402
from keras_specmix.ops import spec_augment as sa_ops  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "gallery"
BASE_CLASS, PARTNER_CLASS = "park", "metro"
FRONT_END = features.FrontEndConfig(
    sample_rate=16000, n_fft=1024, hop_length=256, n_mels=80, deltas=False
)
HOP_SECONDS = FRONT_END.hop_length / FRONT_END.sample_rate
OUTLINE = "#00e5ff"  # cyan: visible on the magma colour map
MAX_SEED_TRIES = 200


# ------------------------------------------------------------------ the clip
def make_clips():
    """Returns float32 ``(2, time, freq)``: the standardised park and metro clips."""
    waves, labels, _ = datasets.generate_synthetic_scenes(
        "validation", seed=0, num_locations=3, clips_per_location=1, clip_seconds=5.0
    )
    names = [synthetic.CLASS_NAMES[i] for i in labels]
    picked = waves[[names.index(BASE_CLASS), names.index(PARTNER_CLASS)]]
    log_mel = features.log_mel_spectrogram(tf.constant(picked), FRONT_END).numpy()
    mean = log_mel.mean(axis=(1, 2), keepdims=True)
    std = log_mel.std(axis=(1, 2), keepdims=True)
    return ((log_mel - mean) / std).astype(np.float32)


# ------------------------------------------------------------ running layers
def run(layer, data, seed):
    """``layer``'s output on ``data`` with ``seed``, and the params it drew."""
    params = layer.sample_params(data, tf.constant([seed, 0], tf.int32))
    out = layer.transform(data, params)
    params = {k: v.numpy() for k, v in params.items()}
    return out, params


def first_seed(start, visible, layer, data):
    """The first seed >= ``start`` whose draw satisfies ``visible(out, params)``."""
    for seed in range(start, start + MAX_SEED_TRIES):
        out, params = run(layer, data, seed)
        if visible(out, params):
            return seed, out, params
    raise RuntimeError(f"no visible draw for {layer.name} in {MAX_SEED_TRIES} seeds")


def region(params, index, time_length, freq_length, combine):
    """bool ``(time, freq)``: the cells covered by example ``index``'s intervals."""
    time_mask = masks.interval_mask(
        params["time_starts"][index : index + 1].reshape(1, -1),
        params["time_widths"][index : index + 1].reshape(1, -1),
        time_length,
    )
    freq_mask = masks.interval_mask(
        params["freq_starts"][index : index + 1].reshape(1, -1),
        params["freq_widths"][index : index + 1].reshape(1, -1),
        freq_length,
    )
    return masks.region_mask(time_mask, freq_mask, combine).numpy()[0]


def check_mix(x, out, lam, donor, partner):
    """Asserts the output is x outside ``donor`` and the partner inside it."""
    y = out[0]
    if not (
        np.array_equal(y[~donor], x[0][~donor]) and np.array_equal(y[donor], x[partner][donor])
    ):
        raise AssertionError("the outlined region does not match the layer's output")
    expected = 1.0 - donor.mean()
    if not np.isclose(lam, expected, atol=1e-6):
        raise AssertionError(f"λ={lam} but 1 − |region|/(T·F) = {expected}")


def check_masked(before, after, masked):
    """Asserts ``after`` is ``before`` outside ``masked`` and 0 inside it."""
    if not (np.array_equal(after[~masked], before[~masked]) and np.all(after[masked] == 0)):
        raise AssertionError("the outlined masks do not match the layer's output")


# ------------------------------------------------------------------- panels
def panel_original(x):
    frames, bins = x.shape[1:]
    return dict(
        image=x[0],
        title=(f"original: '{BASE_CLASS}' (synthetic scene), {frames} frames × {bins} mel bins"),
    )


def panel_partner(x):
    return dict(image=x[1], title=f"partner: '{PARTNER_CLASS}' (pasted from by the mixing layers)")


def panel_time_warp(x):
    layer = ks.TimeWarp(time_warp_param=40)
    data = {"spectrograms": x}
    seed, out, p = first_seed(0, lambda o, p: abs(int(p["warp_shifts"][0])) >= 40 // 3, layer, data)
    a, s = int(p["warp_anchors"][0]), int(p["warp_shifts"][0])
    return dict(
        image=out["spectrograms"].numpy()[0],
        title=f"TimeWarp(W=40), seed {seed}: frame {a} moves to {a + s}",
        arrow=(a, a + s),
    )


def _mask_panel(x, layer, widths_key, param, unit, label):
    """One masking layer's panel: the first seed whose mask is at least a
    third of the largest width, outlined, with its width in the title."""
    seed, out, p = first_seed(
        0, lambda o, p: p[widths_key][0].max() >= param // 3, layer, {"spectrograms": x}
    )
    y = out["spectrograms"].numpy()
    masked = sa_ops.masked_region(tf.constant(x), p).numpy()[0]
    check_masked(x[0], y[0], masked)
    w = int(p[widths_key][0].max())
    return dict(image=y[0], outline=masked, title=f"{label}, seed {seed}: {w} {unit} set to 0")


def panel_freq_mask(x):
    layer = ks.FrequencyMasking(freq_mask_param=27, num_freq_masks=1)
    return _mask_panel(x, layer, "freq_widths", 27, "bins", "FrequencyMasking(F=27)")


def panel_time_mask(x):
    layer = ks.TimeMasking(time_mask_param=70, num_time_masks=1)
    return _mask_panel(x, layer, "time_widths", 70, "frames", "TimeMasking(T=70)")


def panel_spec_augment(x):
    layer = ks.SpecAugment(policy="SS")
    data = {"spectrograms": x}
    seed, out, p = first_seed(
        0,
        lambda o, p: (
            abs(int(p["warp_shifts"][0])) >= 10
            and (p["freq_widths"][0] >= 27 // 3).sum() >= 1
            and (p["time_widths"][0] >= 12).sum() >= 1
        ),
        layer,
        data,
    )
    y = out["spectrograms"].numpy()
    masked = sa_ops.masked_region(tf.constant(x), p).numpy()[0]
    # The masks act on the warped clip: check against the warp alone.
    warped = ks.ops.apply_time_warp(
        tf.constant(x), {k: tf.constant(v) for k, v in p.items() if k.startswith("warp_")}
    ).numpy()
    check_masked(warped[0], y[0], masked)
    a, s = int(p["warp_anchors"][0]), int(p["warp_shifts"][0])
    return dict(
        image=y[0],
        outline=masked,
        title=(
            f"SpecAugment(policy='SS'), seed {seed}: frame {a} warped to {a + s}, "
            "then 2 frequency and 2 time masks"
        ),
    )


def panel_mixup(x, labels):
    layer = ks.MixUp(alpha=0.4, num_classes=2, return_mix_info=True)
    data = {"spectrograms": x, "labels": labels}
    seed, out, p = first_seed(0, lambda o, p: 0.25 < float(o["mix_weights"][0]) < 0.75, layer, data)
    lam = float(out["mix_weights"][0])
    y = out["spectrograms"].numpy()
    if not np.allclose(y[0], lam * x[0] + (1 - lam) * x[1], atol=1e-5):
        raise AssertionError("MixUp output is not λ·x + (1 − λ)·x_partner")
    return dict(image=y[0], title=f"MixUp(α=0.4), seed {seed}: λ = {lam:.3f}")


def _bands(p):
    """'2 × 93-frame time bands, 1 × 24-bin frequency band' for example 0."""
    parts = []
    for axis, unit in (("time", "frame"), ("freq", "bin")):
        widths = p[f"{axis}_widths"][0].reshape(-1)
        widths = widths[widths > 0]
        name = "time" if axis == "time" else "frequency"
        plural = "s" if len(widths) != 1 else ""
        starts = p[f"{axis}_starts"][0].reshape(-1)[p[f"{axis}_widths"][0].reshape(-1) > 0]
        covered = set()
        for start, width in zip(starts, widths):
            covered.update(range(int(start), int(start + width)))
        overlap = " (overlapping)" if len(covered) < widths.sum() else ""
        parts.append(
            f"{len(widths)} × {widths[0] if len(widths) else 0}-{unit} {name} band{plural}{overlap}"
        )
    return ", ".join(parts)


def _region_panel(layer, x, labels, start, visible, combine, label, describe=None):
    data = {"spectrograms": x, "labels": labels}
    seed, out, p = first_seed(start, visible, layer, data)
    y = out["spectrograms"].numpy()
    lam = float(out["mix_weights"][0])
    partner = int(out["partners"][0])
    donor = region(p, 0, x.shape[1], x.shape[2], combine)
    check_mix(x, y, lam, donor, partner)
    mixed_labels = out["labels"].numpy()[0]
    detail = f"\n{describe(p)}" if describe else ""
    return dict(
        image=y[0],
        outline=donor,
        title=(
            f"{label}, seed {seed}: λ = {lam:.3f}, labels {mixed_labels[0]:.3f} "
            f"{BASE_CLASS} + {mixed_labels[1]:.3f} {PARTNER_CLASS}{detail}"
        ),
    )


def panel_cutmix(x, labels):
    layer = ks.CutMix(alpha=0.4, num_classes=2, return_mix_info=True)
    return _region_panel(
        layer,
        x,
        labels,
        0,
        lambda o, p: 0.25 < float(o["mix_weights"][0]) < 0.75,
        masks.INTERSECTION,
        "CutMix(α=0.4)",
    )


def _has_both_bands(o, p):
    return (p["freq_widths"][0] > 0).any() and (p["time_widths"][0] > 0).any()


def panel_specmix_fixed(x, labels):
    layer = ks.SpecMix(gamma=0.3, num_classes=2, return_mix_info=True)
    return _region_panel(
        layer, x, labels, 0, _has_both_bands, masks.UNION, "SpecMix(γ=0.3)", _bands
    )


def panel_specmix_uniform(x, labels):
    layer = ks.SpecMix(gamma=(0.0, 1.0), num_classes=2, return_mix_info=True)
    return _region_panel(
        layer,
        x,
        labels,
        100,
        lambda o, p: _has_both_bands(o, p) and 0.3 < float(o["mix_weights"][0]) < 0.75,
        masks.UNION,
        "SpecMix(γ~U[0,1])",
        _bands,
    )


def panel_freq_mixstyle(x):
    layer = ks.FrequencyMixStyle(alpha=0.3, prob=1.0)
    seed, out, p = first_seed(
        0, lambda o, p: 0.1 < float(p["lam"][0]) < 0.4, layer, {"spectrograms": x}
    )
    y = out["spectrograms"].numpy()
    lam = float(p["lam"][0])
    if int(p["partner"][0]) != 1:
        raise AssertionError("a batch of two pairs each clip with the other")
    mixed_mean = lam * x[0].mean(0) + (1 - lam) * x[1].mean(0)
    if not np.allclose(y[0].mean(0), mixed_mean, atol=1e-4):
        raise AssertionError("the per-bin means are not λ·μ + (1 − λ)·μ_partner")
    return dict(
        image=y[0],
        title=(
            f"FrequencyMixStyle(α=0.3), seed {seed}: λ = {lam:.3f}, per-bin mean and std "
            f"{1 - lam:.0%} of the way to '{PARTNER_CLASS}'"
        ),
    )


def panel_filter_augment(x):
    layer = ks.FilterAugment(db_range=(-6, 6), num_bands=(3, 6), mode="linear", domain="log")
    seed, out, p = first_seed(
        0,
        lambda o, p: np.ptp(p["gains"][0]) > 8 and (p["boundaries"][0] < x.shape[2]).sum() >= 3,
        layer,
        {"spectrograms": x},
    )
    y = out["spectrograms"].numpy()
    params = {k: tf.constant(v) for k, v in p.items()}
    gain_db = ks.ops.filter_augment.filter_gains_db(params, x.shape[2], "linear").numpy()[0]
    if not np.allclose(y[0] - x[0], gain_db * np.log(10) / 10, atol=1e-5):
        raise AssertionError("the output is not the input plus the drawn filter")
    edges = [int(e) for e in p["boundaries"][0] if e < x.shape[2]]
    return dict(
        image=y[0],
        hlines=edges,
        title=(
            f"FilterAugment(linear, ±6 dB), seed {seed}: {len(edges) + 1} bands (edges dashed), "
            f"gains {gain_db.min():+.1f} to {gain_db.max():+.1f} dB"
        ),
    )


def panel_mixing_policy(x, labels):
    layer = ks.MixingPolicy(
        [ks.MixUp(alpha=0.4), ks.CutMix(alpha=0.4)], num_classes=2, return_mix_info=True
    )
    data = {"spectrograms": tf.constant(x), "labels": tf.constant(labels)}
    for seed in range(MAX_SEED_TRIES):
        params = layer.sample_params(data, tf.constant([seed, 0], tf.int32))
        out = layer.transform(data, params)
        lam = float(out["mix_weights"][0])
        if int(out["mix_methods"][0]) == 1 and 0.25 < lam < 0.75:
            break
    else:
        raise RuntimeError("no visible MixingPolicy draw")
    cut = {k: v.numpy() for k, v in params["mixers"][1].items()}
    donor = region(cut, 0, x.shape[1], x.shape[2], masks.INTERSECTION)
    y = out["spectrograms"].numpy()
    check_mix(x, y, lam, donor, int(out["partners"][0]))
    return dict(
        image=y[0],
        outline=donor,
        title=(
            f"MixingPolicy([MixUp, CutMix], probs=[0.5, 0.5]), seed {seed}: this example "
            f"drew CutMix, λ = {lam:.3f}"
        ),
    )


def panel_device_impulse_response(x):
    layer = ks.DeviceImpulseResponse("synthetic", prob=1.0, domain="log", frontend=FRONT_END)
    seed, out, p = first_seed(
        0,
        lambda o, p: np.ptp(layer.bank.numpy()[int(p["response"][0])]) > 12,
        layer,
        {"spectrograms": x},
    )
    y = out["spectrograms"].numpy()
    index = int(p["response"][0])
    gain_db = layer.bank.numpy()[index]
    if not np.allclose(y[0] - x[0], gain_db * np.log(10) / 10, atol=1e-5):
        raise AssertionError("the output is not the input plus the response's mel gains")
    return dict(
        image=y[0],
        title=(
            f"DeviceImpulseResponse(synthetic, log), seed {seed}: response {index} of "
            f"{layer.num_responses}, gains {gain_db.min():+.1f} to {gain_db.max():+.1f} dB"
        ),
    )


def panel_time_roll(x):
    layer = ks.TimeRoll(max_shift_ratio=0.5)
    seed, out, p = first_seed(
        0, lambda o, p: abs(int(p["shift"][0])) > x.shape[1] // 5, layer, {"spectrograms": x}
    )
    y = out["spectrograms"].numpy()
    shift = int(p["shift"][0])
    if not np.array_equal(y[0], np.roll(x[0], shift, axis=0)):
        raise AssertionError("the output is not np.roll of the input")
    return dict(
        image=y[0],
        vlines=[shift % x.shape[1]],
        title=(
            f"TimeRoll(max_shift_ratio=0.5), seed {seed}: shifted {shift:+d} frames "
            f"({shift * HOP_SECONDS:+.2f} s; the clip's start is dashed)"
        ),
    )


def panel_random_gain(x):
    layer = ks.RandomGain(db_range=(-12, 12), domain="log")
    seed, out, p = first_seed(
        0, lambda o, p: abs(float(p["gain_db"][0])) > 6, layer, {"spectrograms": x}
    )
    y = out["spectrograms"].numpy()
    gain = float(p["gain_db"][0])
    if not np.allclose(y[0] - x[0], gain * np.log(10) / 10, atol=1e-5):
        raise AssertionError("the output is not the input plus one offset")
    return dict(
        image=y[0],
        title=f"RandomGain(±12 dB, log), seed {seed}: {gain:+.1f} dB on every cell",
    )


def panel_add_noise(x):
    layer = ks.AddNoise(snr_db_range=(0, 10), domain="log")
    seed, out, p = first_seed(0, lambda o, p: float(p["snr_db"][0]) < 5, layer, {"spectrograms": x})
    y = out["spectrograms"].numpy()
    if not np.all(y[0] >= x[0] - 1e-5):
        raise AssertionError("adding noise power lowered a cell")
    return dict(
        image=y[0],
        title=(
            f"AddNoise(SNR 0 to 10 dB, log), seed {seed}: white noise at "
            f"{float(p['snr_db'][0]):.1f} dB SNR added to the power"
        ),
    )


PANELS = {
    "original": panel_original,
    "partner": panel_partner,
    "time_warp": panel_time_warp,
    "frequency_mask": panel_freq_mask,
    "time_mask": panel_time_mask,
    "spec_augment": panel_spec_augment,
    "mixup": panel_mixup,
    "cutmix": panel_cutmix,
    "specmix_gamma_0.3": panel_specmix_fixed,
    "specmix_gamma_uniform": panel_specmix_uniform,
    "mixing_policy": panel_mixing_policy,
    "freq_mixstyle": panel_freq_mixstyle,
    "filter_augment": panel_filter_augment,
    "device_impulse_response": panel_device_impulse_response,
    "time_roll": panel_time_roll,
    "random_gain": panel_random_gain,
    "add_noise": panel_add_noise,
}
MIXING = {"mixup", "cutmix", "specmix_gamma_0.3", "specmix_gamma_uniform", "mixing_policy"}


# ------------------------------------------------------------------ drawing
def draw(ax, panel, vmin, vmax, small=False):
    image = panel["image"]
    frames, bins = image.shape
    ax.imshow(
        image.T,
        origin="lower",
        aspect="auto",
        cmap="magma",
        vmin=vmin,
        vmax=vmax,
        interpolation="nearest",
    )
    if "outline" in panel:
        # Pad with False so regions touching the border get a closed outline;
        # level 0.5 between cell centres is exactly the cell edge.
        padded = np.pad(panel["outline"].astype(float), 1)
        ax.contour(
            np.arange(-1, frames + 1),
            np.arange(-1, bins + 1),
            padded.T,
            levels=[0.5],
            colors=OUTLINE,
            linewidths=1.2 if small else 1.6,
        )
    for edge in panel.get("hlines", ()):
        ax.axhline(edge - 0.5, color=OUTLINE, linestyle="--", linewidth=1.0)
    for edge in panel.get("vlines", ()):
        ax.axvline(edge - 0.5, color=OUTLINE, linestyle="--", linewidth=1.0)
    if "arrow" in panel:
        source, target = panel["arrow"]
        ax.axvline(target, color="white", linestyle="--", linewidth=1.0)
        ax.annotate(
            "",
            xy=(target, bins * 0.93),
            xytext=(source, bins * 0.93),
            arrowprops=dict(arrowstyle="->", color="white", linewidth=1.5),
        )
    ax.set_xlim(-0.5, frames - 0.5)
    ax.set_ylim(-0.5, bins - 0.5)
    ax.set_title(panel["title"], fontsize=7 if small else 9, loc="left")
    ax.set_xlabel(f"frame ({HOP_SECONDS * 1000:.0f} ms hop)", fontsize=7 if small else 8)
    ax.set_ylabel("mel bin", fontsize=7 if small else 8)
    ax.tick_params(labelsize=6 if small else 7)


def save(fig, path, dpi):
    """Saves ``fig`` as a 256-colour PNG (no dithering): a third of the RGB size."""
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png")
    plt.close(fig)
    image = Image.open(buffer).convert("RGB")
    image.quantize(colors=256, dither=Image.Dither.NONE).save(path, optimize=True)


def render(panels, out_dir, dpi):
    out_dir.mkdir(parents=True, exist_ok=True)
    x = make_clips()
    labels = np.eye(2, dtype=np.float32)  # park = class 0, metro = class 1
    vmin, vmax = np.percentile(x, [1, 99.7])
    written, drawn = [], {}
    for name in panels:
        fn = PANELS[name]
        panel = fn(x, labels) if name in MIXING else fn(x)
        drawn[name] = panel
        fig, ax = plt.subplots(figsize=(7.0, 2.8))
        draw(ax, panel, vmin, vmax)
        fig.tight_layout()
        path = out_dir / f"{name}.png"
        save(fig, path, dpi)
        written.append(path)
        print(f"{path}: {panel['title']}".replace("\n", " "))
    manifest = out_dir / "panels.json"
    titles = json.loads(manifest.read_text()) if manifest.exists() else {}
    titles.update({name: panel["title"] for name, panel in drawn.items()})
    manifest.write_text(
        json.dumps(dict(sorted(titles.items())), indent=1, ensure_ascii=False) + "\n"
    )
    if len(drawn) == len(PANELS):
        rows = (len(PANELS) + 1) // 2
        fig, axes = plt.subplots(rows, 2, figsize=(12, 2.3 * rows))
        for ax, name in zip(axes.flat, PANELS):
            draw(ax, drawn[name], vmin, vmax, small=True)
        for ax in list(axes.flat)[len(PANELS) :]:
            ax.axis("off")
        fig.tight_layout()
        path = out_dir / "gallery.png"
        save(fig, path, dpi // 2)  # 17 panels: kept under 400 kB
        written.append(path)
        print(f"{path}: all panels")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=DEFAULT_OUT,
        help="output folder (default: docs/gallery)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=sorted(PANELS),
        default=None,
        help="render only these panels (no combined figure)",
    )
    parser.add_argument("--dpi", type=int, default=100)
    args = parser.parse_args(argv)
    return render(args.only or list(PANELS), args.out, args.dpi)


if __name__ == "__main__":
    main(sys.argv[1:])
