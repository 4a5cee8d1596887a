"""Synthetic acoustic scenes: an embedded, seeded stand-in for TAU 2020 Mobile.

Ten scene classes (TAU's names) are procedural textures mixed from shared
components (coloured noise, gliding harmonic hum, impulsive events, babble,
chirps, chimes, slow swells, room reverberation) with overlapping
per-class ranges, so no single statistic gives the label away. Every
*location* is a draw of latent parameters shared by its clips (clips add
jitter). Clips are recorded by a reference device ``a`` or by simulated
devices (band limits, spectral tilt, 3 peaking EQs, tanh compression, noise
floor), as TAU's S-devices are. Splits are by location (train/validation/test
locations are disjoint); ``b, c, s1, s2, s3`` are seen in training, ``s4, s5,
s6`` appear only in the test split, and their parameters are drawn from
ranges beyond the seen devices' (narrower band, steeper tilt, deeper
resonances, harder compression, louder noise floor), so they are a true
extrapolation. Each test scene is recorded in parallel by one seen and one
unseen device, so the seen/unseen gap is a paired difference.

The default (16 kHz, 4-s clips, 64 mels, FFT 1024, hop 512) gives features of
shape ``(118, 64, 3)`` for fast CPU experiments. ``paper_shape=True`` gives
44.1-kHz 10-s clips and the paper's front end: ``(423, 128, 3)``, ready for
the 400-frame crop. Generation uses ``np.random.default_rng`` seeded per clip
from ``(seed, class, location, clip, device)``: the same seed and sizes give
the same data on any machine, and a location's clips do not depend on which
other locations are generated.
"""

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import Literal

import numpy as np
import tensorflow as tf

from keras_specmix import _faults
from keras_specmix import _validation
from keras_specmix._typing import StrPath
from keras_specmix.datasets import _synth_dsp as dsp
from keras_specmix.datasets import cache
from keras_specmix.datasets.table import LoadedSplit
from keras_specmix.features import FrontEndConfig
from keras_specmix.features import compute_features

CLASS_NAMES = (
    "airport",
    "bus",
    "metro",
    "metro_station",
    "park",
    "public_square",
    "shopping_mall",
    "street_pedestrian",
    "street_traffic",
    "tram",
)
DEVICES = ("a", "b", "c", "s1", "s2", "s3", "s4", "s5", "s6")
SEEN_DEVICES = ("a", "b", "c", "s1", "s2", "s3")
UNSEEN_DEVICES = ("s4", "s5", "s6")
SPLITS = ("train", "validation", "test")

FAST_CONFIG = FrontEndConfig(sample_rate=16000, n_fft=1024, hop_length=512, n_mels=64)
"""Front end of the fast default: 16 kHz, FFT 1024, hop 512, 64 mels, Δ/ΔΔ."""

# Per-class ranges (low, high) of the location latents. Levels are in dB
# relative to the background noise; -60 means practically absent.
_BASE = dict(
    beta=(0.8, 1.4),
    talkers=(0, 0),
    babble_db=(-60, -60),
    hum_f0=(40, 120),
    hum_glide=(0.0, 0.03),
    hum_db=(-60, -60),
    ev_rate=(0.5, 2.0),
    ev_periodic=False,
    ev_decay=(0.01, 0.05),
    ev_hz=(300, 3000),
    ev_db=(-60, -60),
    chirp_rate=(0.0, 0.0),
    chirp_db=(-60, -60),
    chime_rate=(0.0, 0.0),
    chime_hz=(500, 1200),
    chime_db=(-60, -60),
    swell_rate=(0.05, 0.3),
    swell_depth=(0.0, 0.3),
    rt60=(0.1, 0.4),
    wet=(0.1, 0.4),
)
_RECIPES: dict[str, dict[str, Any]] = {
    "airport": dict(
        talkers=(2, 6),
        babble_db=(-8, 0),
        hum_db=(-24, -12),
        chime_rate=(0.05, 0.3),
        chime_db=(-12, -2),
        ev_db=(-20, -8),
        rt60=(0.6, 1.2),
        wet=(0.3, 0.6),
    ),
    "bus": dict(
        beta=(1.5, 2.2),
        hum_f0=(35, 80),
        hum_glide=(0.02, 0.1),
        hum_db=(-10, 0),
        talkers=(1, 3),
        babble_db=(-18, -8),
        swell_depth=(0.3, 0.8),
        rt60=(0.1, 0.3),
        ev_db=(-22, -12),
    ),
    "metro": dict(
        beta=(1.6, 2.3),
        hum_f0=(80, 220),
        hum_glide=(0.05, 0.2),
        hum_db=(-10, -2),
        ev_rate=(0.7, 1.5),
        ev_periodic=True,
        ev_hz=(150, 800),
        ev_db=(-12, -4),
        talkers=(0, 3),
        babble_db=(-20, -10),
        rt60=(0.2, 0.5),
    ),
    "metro_station": dict(
        beta=(1.3, 2.0),
        talkers=(3, 7),
        babble_db=(-10, -2),
        chime_rate=(0.05, 0.3),
        chime_hz=(900, 2000),
        chime_db=(-12, -4),
        hum_f0=(60, 150),
        hum_db=(-22, -12),
        rt60=(0.6, 1.2),
        wet=(0.3, 0.6),
    ),
    "park": dict(
        beta=(0.6, 1.2),
        chirp_rate=(0.5, 4.0),
        chirp_db=(-10, 0),
        talkers=(0, 2),
        babble_db=(-22, -12),
        rt60=(0.05, 0.15),
        wet=(0.0, 0.15),
    ),
    "public_square": dict(
        beta=(0.8, 1.3),
        talkers=(2, 6),
        babble_db=(-12, -4),
        ev_rate=(0.5, 2.0),
        ev_db=(-14, -6),
        chirp_rate=(0, 1.0),
        chirp_db=(-24, -12),
        rt60=(0.1, 0.3),
    ),
    "shopping_mall": dict(
        beta=(0.9, 1.4),
        talkers=(4, 8),
        babble_db=(-6, 2),
        hum_f0=(150, 400),
        hum_glide=(0.0, 0.02),
        hum_db=(-20, -10),
        rt60=(0.5, 1.0),
        wet=(0.3, 0.6),
    ),
    "street_pedestrian": dict(
        beta=(0.9, 1.5),
        ev_rate=(1.5, 2.5),
        ev_periodic=True,
        ev_hz=(200, 1500),
        ev_decay=(0.01, 0.03),
        ev_db=(-10, -2),
        talkers=(1, 3),
        babble_db=(-12, -4),
        swell_depth=(0.2, 0.5),
        rt60=(0.1, 0.3),
    ),
    "street_traffic": dict(
        beta=(1.4, 2.1),
        swell_rate=(0.05, 0.2),
        swell_depth=(0.5, 1.0),
        hum_f0=(40, 100),
        hum_db=(-20, -8),
        ev_rate=(0.1, 0.6),
        ev_db=(-16, -6),
        rt60=(0.05, 0.2),
        wet=(0.0, 0.2),
    ),
    "tram": dict(
        beta=(1.5, 2.2),
        hum_f0=(100, 300),
        hum_glide=(0.08, 0.25),
        hum_db=(-12, -3),
        ev_rate=(0.5, 1.2),
        ev_periodic=True,
        ev_hz=(300, 1500),
        ev_db=(-14, -6),
        talkers=(0, 3),
        babble_db=(-20, -10),
        rt60=(0.2, 0.5),
    ),
}


def _uniform(rng, low_high):
    return rng.uniform(*low_high)


def location_params(seed: int, class_index: int, location: int) -> dict[str, Any]:
    """Latent parameters of one location (shared by all its clips)."""
    rng = np.random.default_rng([seed, 1, class_index, location])
    recipe = {**_BASE, **_RECIPES[CLASS_NAMES[class_index]]}
    params = {k: (v if isinstance(v, bool) else _uniform(rng, v)) for k, v in recipe.items()}
    params["talkers"] = int(round(params["talkers"]))
    # A random faint "confuser" component makes classes overlap.
    confuser = rng.choice(["babble_db", "hum_db", "ev_db", "chirp_db", "chime_db"])
    params[confuser] = max(params[confuser], rng.uniform(-26, -14))
    if confuser == "babble_db":
        params["talkers"] = max(params["talkers"], 2)
    if confuser == "chirp_db":
        params["chirp_rate"] = max(params["chirp_rate"], 1.0)
    if confuser == "chime_db":
        params["chime_rate"] = max(params["chime_rate"], 0.2)
    return params


def device_params(seed: int, device: str) -> dict[str, Any] | None:
    """Simulated device parameters (None for the reference device ``a``).

    Unseen devices are drawn from ranges beyond the seen ones
    (``_synth_dsp.DEVICE_RANGES``).
    """
    if device == "a":
        return None
    rng = np.random.default_rng([seed, 2, DEVICES.index(device)])
    return dsp.draw_device(rng, "unseen" if device in UNSEEN_DEVICES else "seen")


def render_scene(
    params: Mapping[str, Any], rng: np.random.Generator, sample_rate: int, num_samples: int
) -> np.ndarray:
    """One clip of a location's scene as it reaches the microphone (float64)."""
    n, sr = num_samples, sample_rate
    jitter = lambda: 10 ** (rng.normal(0, 3.0) / 20)  # noqa: E731  ±3 dB
    x = dsp.shaped_noise(rng, n, sr, params["beta"] + rng.normal(0, 0.1))
    x *= dsp.slow_envelope(rng, n, sr, params["swell_rate"], params["swell_depth"])
    parts = [
        (
            "hum_db",
            lambda: dsp.harmonic_hum(
                rng,
                n,
                sr,
                params["hum_f0"] * rng.uniform(0.9, 1.1),
                params["hum_glide"],
                rng.uniform(0.05, 0.5),
                8,
                0.7,
            ),
        ),
        ("babble_db", lambda: dsp.babble(rng, n, sr, max(1, params["talkers"]))),
        (
            "ev_db",
            lambda: dsp.impulsive_events(
                rng,
                n,
                sr,
                params["ev_rate"] * rng.uniform(0.8, 1.2),
                params["ev_periodic"],
                params["ev_decay"],
                params["ev_hz"],
                1.0,
            ),
        ),
        ("chirp_db", lambda: dsp.chirps(rng, n, sr, params["chirp_rate"], 2000, 6000)),
        ("chime_db", lambda: dsp.chimes(rng, n, sr, params["chime_rate"], params["chime_hz"])),
    ]
    for key, make in parts:
        if params[key] > -50:
            x = x + 10 ** (params[key] / 20) * jitter() * make()
    return dsp.reverberate(rng, x, sample_rate, params["rt60"], params["wet"])


def record(
    scene: np.ndarray,
    device: Mapping[str, Any] | None,
    rng: np.random.Generator,
    sample_rate: int,
) -> np.ndarray:
    """A scene through a device, at a random level (float32, peak <= 1)."""
    x = dsp.apply_device(rng, scene, sample_rate, device)
    x = x / (np.max(np.abs(x)) + 1e-12) * 10 ** (rng.uniform(-12, -1) / 20)
    return x.astype(np.float32)


def split_locations(
    seed: int, num_locations: int, split_fractions: Sequence[float] = (0.6, 0.15, 0.25)
) -> dict[str, np.ndarray]:
    """Assigns each class's locations to train/validation/test (disjoint).

    Returns:
        dict split -> array ``(num_classes, k)`` of location indices.
    """
    rng = np.random.default_rng([seed, 3])
    n_val = max(1, int(round(num_locations * split_fractions[1])))
    n_test = max(1, int(round(num_locations * split_fractions[2])))
    n_train = num_locations - n_val - n_test
    if n_train < 1:
        raise ValueError(
            "`num_locations` must leave at least 1 training location after the "
            f"validation and test locations. Received: num_locations={num_locations}"
        )
    perms = np.stack([rng.permutation(num_locations) for _ in CLASS_NAMES])
    return {
        "train": perms[:, :n_train],
        "validation": perms[:, n_train : n_train + n_val],
        "test": perms[:, n_train + n_val :],
    }


def recording_plan(
    split: str, clips_per_location: int, rng: np.random.Generator
) -> list[tuple[str, ...]]:
    """The devices recording each clip of one location.

    Training and validation clips are recorded once by a seen device (the
    reference ``a`` records about half). Each test clip is recorded in
    parallel, as in TAU, by one seen and one unseen device, so seen and
    unseen accuracy are measured on the same scenes.

    Returns:
        list (one entry per clip) of tuples of device names.
    """
    if split == "test":
        seen = rng.choice(SEEN_DEVICES, size=clips_per_location)
        unseen = rng.choice(UNSEEN_DEVICES, size=clips_per_location)
        return [(str(a), str(b)) for a, b in zip(seen, unseen)]
    probs = np.array([5, 1, 1, 1, 1, 1], float)
    chosen = rng.choice(SEEN_DEVICES, size=clips_per_location, p=probs / probs.sum())
    return [(str(d),) for d in chosen]


def _location_clips(
    seed, class_index, location, split, clips_per_location, devices, sample_rate, num_samples
):
    """Yields ``(waveform, device, clip index)`` for the clips of one location."""
    params = location_params(seed, class_index, location)
    plan_rng = np.random.default_rng([seed, 4, class_index, location])
    for k, names in enumerate(recording_plan(split, clips_per_location, plan_rng)):
        scene = render_scene(
            params,
            np.random.default_rng([seed, 5, class_index, location, k]),
            sample_rate,
            num_samples,
        )
        for name in names:
            rng = np.random.default_rng([seed, 6, class_index, location, k, DEVICES.index(name)])
            yield record(scene, devices[name], rng, sample_rate), name, k


def generate_synthetic_scenes(
    split: Literal["train", "validation", "test"] = "train",
    seed: int = 0,
    num_locations: int = 24,
    clips_per_location: int = 8,
    sample_rate: int = 16000,
    clip_seconds: float = 4.0,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Generates the raw audio of one split.

    Args:
        split: "train", "validation" or "test".
        seed: int >= 0; the whole dataset is a function of it.
        num_locations: int >= 3, locations per class, split about 60:15:25
            into train, validation and test.
        clips_per_location: int >= 1, clips recorded at each location (each
            test clip is recorded twice: by a seen and an unseen device).
        sample_rate: Hz. Defaults to 16000.
        clip_seconds: clip length. Defaults to 4.0.
        progress: show a progress bar.

    Returns:
        ``(waveforms float32 (n, samples), labels int64 (n,), metadata)``
        with metadata columns ``device``, ``location``, ``segment`` (one id
        per rendered scene: a test scene's two recordings share it) and
        ``split``.

    Raises:
        ValueError, TypeError: for invalid arguments, naming them.

    Examples:

    >>> waves, labels, meta = generate_synthetic_scenes(
    ...     "test", num_locations=3, clips_per_location=1, clip_seconds=0.5)
    >>> waves.shape
    (20, 8000)
    """
    import keras  # noqa: PLC0415

    split = _validation.check_choice("split", split, SPLITS)
    seed = _validation.check_int("seed", seed, minimum=0)
    num_locations = _validation.check_int("num_locations", num_locations, minimum=3)
    clips_per_location = _validation.check_int("clips_per_location", clips_per_location, minimum=1)
    sample_rate = _validation.check_int("sample_rate", sample_rate, minimum=8000)
    clip_seconds = _validation.check_float("clip_seconds", clip_seconds, 0.0, open_min=True)
    num_samples = int(round(clip_seconds * sample_rate))
    locations = split_locations(seed, num_locations)[split]
    devices = {d: device_params(seed, d) for d in DEVICES}
    count = locations.size * clips_per_location * (2 if split == "test" else 1)
    waves = np.zeros((count, num_samples), np.float32)
    columns: dict[str, list[Any]] = {"label": [], "device": [], "location": [], "segment": []}
    bar = keras.utils.Progbar(count, unit_name="clip") if progress else None
    for c in range(len(CLASS_NAMES)):
        for loc in locations[c]:
            place = f"{CLASS_NAMES[c]}-{int(loc)}"
            for wave, name, k in _location_clips(
                seed, c, int(loc), split, clips_per_location, devices, sample_rate, num_samples
            ):
                waves[len(columns["label"])] = wave
                for key, value in zip(columns, (c, name, place, f"{place}-{k}")):
                    columns[key].append(value)
                if bar is not None:
                    bar.update(len(columns["label"]))
    labels = np.array(columns.pop("label"), np.int64)
    metadata = {key: np.array(value) for key, value in columns.items()}
    metadata["split"] = np.full(count, split)
    return waves, labels, metadata


def extract_features(
    waveforms: np.ndarray, config: FrontEndConfig, batch_size: int = 64
) -> np.ndarray:
    """Front end over a NumPy array of clips, in batches (float32 array)."""
    fn = tf.function(lambda x: compute_features(x, config))
    out = [
        fn(tf.constant(waveforms[i : i + batch_size])).numpy()
        for i in range(0, len(waveforms), batch_size)
    ]
    return np.concatenate(out)


def synthetic_scenes(
    split: Literal["train", "validation", "test"] = "train",
    seed: int = 0,
    num_locations: int = 24,
    clips_per_location: int = 8,
    paper_shape: bool = False,
    config: FrontEndConfig | None = None,
    clip_seconds: float | None = None,
    return_metadata: bool = False,
    progress: bool = False,
    cache_dir: StrPath | None = None,
) -> LoadedSplit:
    """The embedded default dataset, as ``(features, label)``.

    Args:
        split: "train", "validation" or "test" (disjoint locations; the test
            split also holds the unseen devices s4-s6).
        seed: int >= 0. Same seed -> same dataset.
        num_locations: locations per class (default 24: 14 train, 4
            validation, 6 test).
        clips_per_location: clips per location (default 8: 1120 train and
            320 validation clips; 480 test scenes, each recorded by a seen
            and an unseen device: 960 test clips).
        paper_shape: 44.1 kHz 10-s clips through the paper's front end
            (features ``(423, 128, 3)``); default False: 16 kHz 4-s clips
            through :data:`FAST_CONFIG` (``(118, 64, 3)``).
        config: a :class:`~keras_specmix.features.FrontEndConfig` to use
            instead (its ``sample_rate`` sets the generator's rate).
        clip_seconds: clip length; defaults to 4.0 (10.0 with
            ``paper_shape``).
        return_metadata: also yield ``{"device", "location", "segment",
            "split"}``.
        progress: show a progress bar while generating.
        cache_dir: a folder for the feature cache (generated once, with its
            metadata, in the TFRecord cache of
            :func:`~keras_specmix.datasets.cached_dataset`; the key covers
            the arguments and the generator's and front end's code), or None.

    Returns:
        A :class:`~keras_specmix.datasets.LoadedSplit`: the ``tf.data.Dataset``
        of ``(features float32, label int64)``, ``class_names`` and
        ``metadata`` (``device``, ``location``, ``segment``, ``split``). The
        seen and unseen devices are :data:`SEEN_DEVICES` and
        :data:`UNSEEN_DEVICES`.

    Examples:

    >>> ds = synthetic_scenes("validation", num_locations=3,
    ...                       clips_per_location=1)
    >>> ds.element_spec[0].shape
    TensorShape([118, 64, 3])
    """
    if config is None:
        config = FrontEndConfig() if paper_shape else FAST_CONFIG
    if clip_seconds is None:
        clip_seconds = 10.0 if paper_shape else 4.0
    arguments = (split, seed, num_locations, clips_per_location, config.sample_rate, clip_seconds)

    def generate():
        if progress:
            print(f"Generating synthetic scenes ({split})...", flush=True)
        waves, labels, metadata = generate_synthetic_scenes(*arguments, progress)
        features = extract_features(waves, config)
        _faults.point("data.generated")
        columns = {k: np.asarray(v).tolist() for k, v in metadata.items()}
        return tf.data.Dataset.from_tensor_slices((features, labels)), {"metadata": columns}

    if cache_dir is None:
        ds, info = generate()
    else:
        key = cache.cache_key(
            arguments=arguments,
            config=config.to_dict(),
            code=cache.code_fingerprint(__name__, dsp.__name__, "keras_specmix.features"),
        )
        ds, info = cache.cached_features(
            generate, cache_dir, f"synthetic-{split}", key, progress=False
        )
    metadata = {k: np.asarray(v) for k, v in info["metadata"].items()}
    if return_metadata:
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(metadata)))
        ds = ds.map(lambda xy, m: (xy[0], xy[1], m))
    return LoadedSplit(ds, CLASS_NAMES, metadata)
