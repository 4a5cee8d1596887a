"""Audio files: every encoding, channels, resampling, and errors that name the file.

Fixtures are written with libsndfile itself (``fakes.write_audio_formats``);
no audio file is committed.
"""

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from keras_specmix import datasets as D
from keras_specmix.datasets import audio_io
from keras_specmix.datasets import fakes
from keras_specmix.datasets import pipeline
from keras_specmix.datasets.fakes import tone
from keras_specmix.datasets.fakes import write_wav
from keras_specmix.features import FrontEndConfig

SMALL = FrontEndConfig(sample_rate=16000, n_fft=256, hop_length=128, n_mels=16)
RATE = 16000
# 0.5-amplitude 440 Hz tone, stereo with the second channel inverted and
# halved, so a channel mix-up or a sign error cannot pass.
_T = np.arange(int(0.25 * RATE)) / RATE
STEREO = np.stack([0.5 * np.sin(2 * np.pi * 440 * _T), -0.25 * np.sin(2 * np.pi * 440 * _T)], 1)
FORMAT_NAMES = [row[0] for row in fakes.AUDIO_FORMATS]


def decode_errors(folder):
    """Writes every format under ``folder/tone/`` and reads it back through
    ``from_directory``'s file list and decoder; returns ``{name: max abs error}``.

    The written rate is 16 kHz (Opus: 48 kHz, resampled to 16 kHz by the
    reader, so its reference is the 16 kHz tone).
    """
    written = fakes.write_audio_formats(folder / "tone", STEREO, RATE)
    ds = D.from_directory(folder, config=SMALL, channel="all")
    paths = list(ds.metadata["path"])
    assert sorted(paths) == sorted(written)  # nothing dropped, nothing ignored
    decoded = tf.data.Dataset.from_tensor_slices(paths).map(
        lambda p: audio_io.decode_audio(p, RATE, "all", 2)
    )
    errors = {}
    for path, audio in zip(paths, decoded.as_numpy_iterator()):
        row, reference, rate = written[path]
        if rate != RATE:  # opus, written at 48 kHz and resampled back by the reader
            reference = STEREO
        n = min(len(audio), len(reference))
        assert abs(len(audio) - len(reference)) <= 1, (path, len(audio))
        errors[row[0]] = float(np.abs(audio[:n] - reference[:n]).max())
    return errors, ds


@pytest.fixture(scope="module")
def all_formats(tmp_path_factory):
    return decode_errors(tmp_path_factory.mktemp("formats"))


def test_libsndfile_here_writes_every_listed_format():
    # MP3 needs libsndfile >= 1.1; the verified environments have 1.2.
    assert [r[0] for r in fakes.available_audio_formats()] == FORMAT_NAMES


@pytest.mark.parametrize("name", FORMAT_NAMES)
def test_every_format_decodes_to_the_written_samples(all_formats, name):
    errors, _ = all_formats
    tolerance = {row[0]: row[4] for row in fakes.AUDIO_FORMATS}[name]
    if name.startswith("opus"):
        tolerance = 0.05  # lossy codec, then a 48 -> 16 kHz resampling
    assert errors[name] <= tolerance, (name, errors[name])


def test_every_format_gives_features_in_from_directory(all_formats):
    _, ds = all_formats
    reference = pipeline.waveform_features(
        tf.constant(STEREO.mean(1, keepdims=True), tf.float32), SMALL
    )
    features = list(
        D.from_directory(ds.metadata["path"][0].rsplit("/", 2)[0], config=SMALL).as_numpy_iterator()
    )
    assert len(features) == len(FORMAT_NAMES)
    for path, (x, _) in zip(ds.metadata["path"], features):
        assert x.shape[1:] == (16, 3) and np.isfinite(x).all(), path
        lossless = not path.endswith((".ogg", ".opus", ".mp3"))
        n = min(len(x), reference.shape[0])
        # log-mel of the mean channel; lossy codecs drop quiet bins, so only
        # the loud (tone) bins are compared for them.
        loud = reference[:n, :, 0] > np.log(1e-3)
        atol = 2e-2 if lossless else 0.5
        np.testing.assert_allclose(
            x[:n, :, 0][loud], reference[:n, :, 0].numpy()[loud], atol=atol, err_msg=path
        )


def test_inspect_reports_format_encoding_and_bits(tmp_path):
    written = fakes.write_audio_formats(tmp_path, STEREO, RATE)
    infos = {p.rsplit("/", 1)[1]: D.inspect_audio(p) for p in written}
    assert infos["wav_pcm_u8.wav"][1:6] == ("wav", RATE, 2, 8, len(STEREO))
    assert infos["wav_float.wav"].encoding == "FLOAT" and infos["wav_float.wav"].bits == 32
    assert infos["wav_double.wav"].bits == 64
    assert infos["wavex_pcm_24.wav"].format == "wavex"
    assert infos["flac_24.flac"][1:5] == ("flac", RATE, 2, 24)
    assert infos["aiff_16.aiff"].format == "aiff"
    assert infos["vorbis.ogg"].encoding == "VORBIS" and infos["vorbis.ogg"].bits is None
    assert infos["opus.opus"].sample_rate == 48000
    assert infos["mp3.mp3"].format == "mp3"


def test_resampling_48k_to_44k1_matches_the_analytic_tone(tmp_path):
    # Tolerance: libsoxr HQ measured 6.7e-7 max abs error away from the
    # first and last 10 ms (the signal's abrupt ends); 1e-5 leaves margin for
    # other builds while a linear-interpolating resampler (~1e-3) fails.
    rate_in, rate_out, f = 48000, 44100, 1000.0
    x = np.sin(2 * np.pi * f * np.arange(rate_in) / rate_in)[:, None]
    path = tmp_path / "tone.wav"
    sf.write(path, x, rate_in, subtype="FLOAT")
    y = audio_io.load_audio(path, sample_rate=rate_out, channel=0)[:, 0]
    assert len(y) == rate_out
    ref = np.sin(2 * np.pi * f * np.arange(len(y)) / rate_out)
    interior = slice(rate_out // 100, -rate_out // 100)
    error = y[interior] - ref[interior]
    assert np.abs(error).max() < 1e-5
    snr = 10 * np.log10(np.sum(ref[interior] ** 2) / np.sum(error**2))
    assert snr > 100


def test_crop_decodes_only_the_start_and_matches_the_full_resample(tmp_path):
    x = tone(1.0, 44100, 440)
    sf.write(tmp_path / "x.wav", x, 44100, subtype="FLOAT")
    full = audio_io.load_audio(tmp_path / "x.wav", 16000, "mean")
    crop = audio_io.load_audio(tmp_path / "x.wav", 16000, "mean", num_samples=4000)
    assert crop.shape == (4000, 1)
    # The crop reads a margin past its end: identical except at the last samples.
    np.testing.assert_allclose(crop[:3900], full[:3900], atol=1e-6)
    padded = audio_io.load_audio(tmp_path / "x.wav", 16000, "mean", num_samples=20000)
    assert padded.shape == (20000, 1) and not padded[16000:].any()


@pytest.mark.parametrize("bits", [16, 24])
def test_wav_bit_depths_decode_to_the_same_features(tmp_path, bits):
    audio = tone(0.2, 16000, 440)
    write_wav(str(tmp_path / "a" / "x.wav"), audio, 16000, bits)
    write_wav(str(tmp_path / "b" / "ref.wav"), audio, 16000, 16)
    ds = D.from_directory(tmp_path, config=SMALL)
    (x, _), (ref, _) = list(ds.as_numpy_iterator())
    # 16-bit quantisation noise moves the quietest log-mel bins by ~0.025.
    np.testing.assert_allclose(x, ref, atol=5e-2)
    assert D.inspect_audio(tmp_path / "a" / "x.wav").bits == bits


def test_channel_choice_mean_and_all(tmp_path):
    audio = np.stack([tone(0.2, 16000, 300)[:, 0], tone(0.2, 16000, 3000)[:, 0]], 1)
    write_wav(str(tmp_path / "a" / "x.wav"), audio, 16000, 24)

    def one(**kwargs):
        return next(iter(D.from_directory(tmp_path, config=SMALL, **kwargs)))[0].numpy()

    first, second, both = one(channel=0), one(channel=1), one(channel="all")
    assert both.shape[-1] == 6
    np.testing.assert_allclose(both[..., :3], first, atol=1e-5)
    np.testing.assert_allclose(both[..., 3:], second, atol=1e-5)
    mean = audio_io.load_audio(tmp_path / "a" / "x.wav", channel="mean")
    np.testing.assert_allclose(mean[:, 0], audio.mean(1), atol=2**-22)
    with pytest.raises(D.AudioFileError, match="x.wav.*channel 2"):
        one(channel=2)


def test_resampling_and_wrong_rate(tmp_path):
    write_wav(str(tmp_path / "a" / "x.wav"), tone(0.2, 22050, 440), 22050, 16)
    x = next(iter(D.from_directory(tmp_path, config=SMALL, clip_seconds=0.2)))[0]
    assert x.shape == SMALL.output_shape(3200)
    with pytest.raises(D.AudioFileError, match="x.wav.*22050 Hz.*resample=True"):
        D.from_directory(tmp_path, config=SMALL, resample=False)


def test_mixed_rates_channels_lengths_and_formats_in_one_folder(tmp_path):
    (tmp_path / "a").mkdir()
    sf.write(tmp_path / "a" / "x.flac", tone(0.3, 22050, 440, channels=2), 22050)
    sf.write(tmp_path / "a" / "y.mp3", tone(1.2, 44100, 440), 44100)
    (tmp_path / "b").mkdir()
    sf.write(tmp_path / "b" / "z.ogg", tone(0.1, 48000, 880, channels=3), 48000)
    sf.write(tmp_path / "b" / "w.wav", tone(0.5, 8000, 880), 8000, subtype="PCM_U8")
    ds = D.from_directory(tmp_path, config=SMALL, clip_seconds=0.25)
    shapes = {x.shape for x, _ in ds.as_numpy_iterator()}
    assert shapes == {SMALL.output_shape(4000)} and int(ds.cardinality()) == 4
    assert ds.skipped == []


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "libsndfile.*data"),
        (b"OggS" + b"\x00" * 60, "not an audio file"),
        (None, "truncated"),
        (0, "no audio frames"),
    ],
)
def test_broken_files_raise_naming_the_file_or_are_skipped(tmp_path, content, reason):
    bad = tmp_path / "a" / "bad.wav"
    write_wav(str(tmp_path / "a" / "good.wav"), tone(0.1, 16000, 440), 16000, 16)
    if content is None:
        write_wav(str(bad), tone(0.1, 16000, 440), 16000, 24)
        bad.write_bytes(bad.read_bytes()[:-100])
    elif content == 0:
        sf.write(bad, np.zeros((0, 1)), 16000)
    else:
        bad.write_bytes(content)
    with pytest.raises(D.AudioFileError, match=f"bad.wav.*{reason}.*on_error='skip'"):
        D.from_directory(tmp_path, config=SMALL)
    with pytest.warns(UserWarning, match="(?s)Skipped 1 unreadable file.*bad.wav"):
        ds = D.from_directory(tmp_path, config=SMALL, on_error="skip")
    assert [p for p, _ in ds.skipped] == [str(bad)]
    assert sum(1 for _ in ds) == 1


def test_check_channel_validation():
    with pytest.raises(ValueError, match="channel"):
        audio_io.check_channel("left")
    with pytest.raises(ValueError, match="on_error"):
        audio_io.scan_audio_files([], on_error="ignore")
