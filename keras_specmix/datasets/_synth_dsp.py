"""NumPy building blocks of the synthetic scenes: textures, events, devices.

Every function takes an explicit ``np.random.Generator`` and returns float64
signals; nothing here touches global random state.
"""

import numpy as np

from keras_specmix.ops.impulse_response import fft_length as fast_length


def _freqs(n, sr):
    return np.fft.rfftfreq(n, 1.0 / sr)


def convolve(x, h, shape=None):
    """Linear convolution of ``x`` with ``h`` (times a real ``shape(f)``), cut to ``len(x)``.

    ``shape``, if given, is a function of the FFT size returning per-bin gains.
    """
    size = fast_length(x.size + h.size)
    spectrum = np.fft.rfft(x, size) * np.fft.rfft(h, size)
    if shape is not None:
        spectrum *= shape(size)
    return np.fft.irfft(spectrum, size)[: x.size]


def white_spectrum(rng, n):
    """The rfft of white noise of length ``n``, drawn directly (no FFT needed)."""
    size = n // 2 + 1
    return rng.standard_normal(size) + 1j * rng.standard_normal(size)


def shaped_noise(rng, n, sr, beta=1.0, gain_db=None):
    """1/f^beta noise (0 white, 1 pink, 2 brown), optionally EQ'd, unit RMS."""
    f = _freqs(n, sr)
    spectrum = white_spectrum(rng, n)
    shape = np.maximum(f, 20.0) ** (-beta / 2.0)
    if gain_db is not None:
        shape = shape * 10.0 ** (gain_db / 20.0)
    x = np.fft.irfft(spectrum * shape, n)
    return x / (np.std(x) + 1e-12)


def band_gain_db(f, centers, gains, widths_oct):
    """Sum of Gaussian bumps on a log-frequency axis (peaking-EQ-like), in dB."""
    logf = np.log2(np.maximum(f, 1.0))[None]
    c = np.log2(np.asarray(centers, float))[:, None]
    w = np.asarray(widths_oct, float)[:, None]
    return (np.asarray(gains, float)[:, None] * np.exp(-0.5 * ((logf - c) / w) ** 2)).sum(0)


def harmonic_hum(rng, n, sr, f0, glide, rate, harmonics, rolloff):
    """Harmonic stack with a slow sinusoidal glide of the fundamental."""
    t = np.arange(n) / sr
    inst = f0 * (1.0 + glide * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi)))
    phase = 2 * np.pi * np.cumsum(inst) / sr
    x = np.zeros(n)
    for k in range(1, harmonics + 1):
        if k * f0 * (1 + glide) < sr / 2:
            x += rolloff ** (k - 1) * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    return x / (np.std(x) + 1e-12)


def slow_envelope(rng, n, sr, rate, depth):
    """Positive random envelope varying at about ``rate`` Hz."""
    m = max(4, int(n / sr * rate * 4) + 4)
    knots = rng.standard_normal(m)
    env = np.interp(np.linspace(0, m - 1, n), np.arange(m), knots)
    env = 1.0 + depth * np.tanh(env)
    return np.maximum(env, 0.0)


def onsets(rng, n, sr, rate, periodic):
    """Event onset samples: Poisson, or periodic with 10 % jitter."""
    duration = n / sr
    if rate <= 0:
        return np.zeros(0, int)
    if periodic:
        period = 1.0 / rate
        times = np.arange(rng.uniform(0, period), duration, period)
        times = times + rng.normal(0, 0.1 * period, times.size)
    else:
        times = rng.uniform(0, duration, rng.poisson(rate * duration))
    times = times[(times >= 0) & (times < duration)]
    return (times * sr).astype(int)


def impulsive_events(rng, n, sr, rate, periodic, decay_s, center_hz, width_oct):
    """Band-limited decaying noise bursts at the given onsets (unit RMS)."""
    length = max(8, int(decay_s * 5 * sr))
    burst = rng.standard_normal(length) * np.exp(-np.arange(length) / (decay_s * sr))
    train = np.zeros(n)
    starts = onsets(rng, n, sr, rate, periodic)
    train[starts] = rng.uniform(0.5, 1.0, starts.size)
    x = convolve(
        train,
        burst,
        lambda size: (
            10 ** (band_gain_db(_freqs(size, sr), [center_hz], [30.0], [width_oct]) / 20.0)
        ),
    )
    return x / (np.std(x) + 1e-12) if starts.size else x


def babble(rng, n, sr, talkers):
    """Talkers = pink noise through 3 formant bumps, syllabic AM at 3-6 Hz."""
    f = _freqs(n, sr)
    x = np.zeros(n)
    for _ in range(talkers):
        formants = [rng.uniform(400, 900), rng.uniform(1000, 2300), rng.uniform(2400, 3200)]
        gains = band_gain_db(f, formants, [24, 20, 14], [0.15, 0.15, 0.15])
        voice = np.fft.irfft(
            white_spectrum(rng, n) * np.maximum(f, 50) ** -0.5 * 10 ** (gains / 20), n
        )
        env = np.maximum(slow_envelope(rng, n, sr, rng.uniform(3, 6), 2.0) - 1.0, 0)
        x += voice * env / (np.std(voice) + 1e-12)
    return x / (np.std(x) + 1e-12)


def chirps(rng, n, sr, rate, low_hz, high_hz):
    """Short Hann-windowed FM sweeps (bird-like) at Poisson times."""
    x = np.zeros(n)
    high_hz = min(high_hz, 0.45 * sr)
    low_hz = min(low_hz, 0.8 * high_hz)
    for start in onsets(rng, n, sr, rate, periodic=False):
        length = int(rng.uniform(0.04, 0.15) * sr)
        t = np.arange(min(length, n - start)) / sr
        f_a, f_b = rng.uniform(low_hz, high_hz, 2)
        phase = 2 * np.pi * (f_a * t + (f_b - f_a) * t**2 / (2 * max(t[-1], 1e-3)))
        x[start : start + t.size] += np.sin(phase) * np.hanning(t.size)
    return x / (np.std(x) + 1e-12) if np.any(x) else x


def chimes(rng, n, sr, rate, f0):
    """Announcement-like tones: two decaying partials at Poisson times."""
    x = np.zeros(n)
    for start in onsets(rng, n, sr, rate, periodic=False):
        length = min(int(0.8 * sr), n - start)
        t = np.arange(length) / sr
        tone = np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(2 * np.pi * 2.01 * f0 * t)
        x[start : start + length] += tone * np.exp(-t / 0.25)
    return x / (np.std(x) + 1e-12) if np.any(x) else x


def reverberate(rng, x, sr, rt60, wet):
    """Convolves with an exponentially decaying noise IR (RT60 in seconds)."""
    length = max(16, int(rt60 * sr))
    ir = rng.standard_normal(length) * np.exp(-6.9 * np.arange(length) / (rt60 * sr))
    ir /= np.sqrt(np.sum(ir**2)) + 1e-12
    return (1 - wet) * x + wet * convolve(x, ir)


# Device parameter ranges. Every unseen range lies beyond the seen one (a
# narrower band, a steeper tilt, deeper resonances, harder compression, a
# higher noise floor), so unseen devices are a true extrapolation.
DEVICE_RANGES = {
    "seen": dict(
        highpass_hz=(40, 150),
        lowpass_hz=(5500, 7500),
        tilt_db_oct=(0.0, 1.5),
        eq_db=(0.0, 5.0),
        drive=(1.0, 2.0),
        noise_db=(-65, -50),
    ),
    "unseen": dict(
        highpass_hz=(250, 450),
        lowpass_hz=(2500, 3800),
        tilt_db_oct=(3.0, 5.0),
        eq_db=(9.0, 14.0),
        drive=(4.0, 8.0),
        noise_db=(-40, -30),
    ),
}


def draw_device(rng, kind="seen"):
    """Random device from ``DEVICE_RANGES[kind]``.

    Band limits (high-pass, 4th-order low-pass), a spectral tilt around
    1 kHz and 3 peaking EQs (signs random, magnitudes from the range), tanh
    compression and a noise floor (dB re the peak).
    """
    r = DEVICE_RANGES[kind]
    sign = lambda size=None: rng.choice([-1.0, 1.0], size)  # noqa: E731
    return {
        "highpass_hz": rng.uniform(*r["highpass_hz"]),
        "lowpass_hz": rng.uniform(*r["lowpass_hz"]),
        "tilt_db_oct": sign() * rng.uniform(*r["tilt_db_oct"]),
        "eq_hz": rng.uniform(300, 6000, 3),
        "eq_db": sign(3) * rng.uniform(*r["eq_db"], 3),
        "eq_oct": 1.0 / rng.uniform(0.7, 3.0, 3),
        "drive": rng.uniform(*r["drive"]),
        "noise_db": rng.uniform(*r["noise_db"]),
    }


def device_response(device, f):
    """Magnitude response of a device at frequencies ``f`` (linear gain)."""
    f = np.maximum(f, 1.0)
    hp = 1.0 / np.sqrt(1.0 + (device["highpass_hz"] / f) ** 4)
    lp = 1.0 / np.sqrt(1.0 + (f / device["lowpass_hz"]) ** 8)
    gain_db = device["tilt_db_oct"] * np.clip(np.log2(f / 1000.0), -4, 4) + band_gain_db(
        f, device["eq_hz"], device["eq_db"], device["eq_oct"]
    )
    return hp * lp * 10 ** (gain_db / 20)


def apply_device(rng, x, sr, device):
    """Applies a device's frequency response, tanh compression and noise."""
    if device is None:
        return x
    y = np.fft.irfft(np.fft.rfft(x) * device_response(device, _freqs(x.size, sr)), x.size)
    peak = np.max(np.abs(y)) + 1e-12
    y = np.tanh(device["drive"] * y / peak) / np.tanh(device["drive"]) * peak
    return y + 10 ** (device["noise_db"] / 20) * peak * rng.standard_normal(x.size)
