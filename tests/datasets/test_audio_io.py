"""Audio files: formats, channels, resampling, and errors that name the file."""

import numpy as np
import pytest
import soundfile as sf

from keras_specmix import datasets as D
from keras_specmix.datasets import audio_io
from keras_specmix.features import FrontEndConfig

from keras_specmix.datasets.fakes import tone
from keras_specmix.datasets.fakes import write_wav

SMALL = FrontEndConfig(sample_rate=16000, n_fft=256, hop_length=128, n_mels=16)


def _one(tmp_path, audio, rate, **kwargs):
    ds = D.from_directory(tmp_path, config=SMALL, **kwargs)
    return next(iter(ds))[0].numpy(), ds


@pytest.mark.parametrize("bits", [16, 24])
def test_wav_bit_depths_decode_to_the_same_features(tmp_path, bits):
    audio = tone(0.2, 16000, 440)
    write_wav(str(tmp_path / "a" / "x.wav"), audio, 16000, bits)
    write_wav(str(tmp_path / "b" / "ref.wav"), audio, 16000, 16)
    ds = D.from_directory(tmp_path, config=SMALL)
    (x, _), (ref, _) = list(ds.as_numpy_iterator())
    np.testing.assert_allclose(x, ref, atol=2e-2)
    assert D.inspect_audio(tmp_path / "a" / "x.wav").bits == bits


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24"])
def test_flac_matches_wav(tmp_path, subtype):
    audio = tone(0.2, 16000, 440, channels=2)
    (tmp_path / "a").mkdir()
    sf.write(tmp_path / "a" / "x.flac", audio, 16000, subtype=subtype)
    write_wav(str(tmp_path / "b" / "x.wav"), audio, 16000, 24)
    (x, _), (ref, _) = list(D.from_directory(tmp_path, config=SMALL).as_numpy_iterator())
    np.testing.assert_allclose(x, ref, atol=2e-2)


def test_channel_choice_mean_and_all(tmp_path):
    audio = np.stack([tone(0.2, 16000, 300)[:, 0], tone(0.2, 16000, 3000)[:, 0]], 1)
    write_wav(str(tmp_path / "a" / "x.wav"), audio, 16000, 24)
    first, _ = _one(tmp_path, audio, 16000, channel=0)
    second, _ = _one(tmp_path, audio, 16000, channel=1)
    both, _ = _one(tmp_path, audio, 16000, channel="all")
    assert both.shape[-1] == 6
    np.testing.assert_allclose(both[..., :3], first, atol=1e-5)
    np.testing.assert_allclose(both[..., 3:], second, atol=1e-5)
    with pytest.raises(D.AudioFileError, match="channel 2.*x.wav|x.wav.*channel 2"):
        _one(tmp_path, audio, 16000, channel=2)


def test_resampling_and_wrong_rate(tmp_path):
    write_wav(str(tmp_path / "a" / "x.wav"), tone(0.2, 22050, 440), 22050, 16)
    x, _ = _one(tmp_path, None, None, clip_seconds=0.2, resample=True)
    assert x.shape == SMALL.output_shape(3200)
    with pytest.raises(D.AudioFileError, match="x.wav.*22050 Hz"):
        _one(tmp_path, None, None, resample=False)


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty"), (b"RIFF\x00\x00\x00\x00WAVEjunk", "no 'fmt '"),
     (b"OggS" + b"\x00" * 60, "not a WAV"), (None, "truncated"), (0, "no audio frames")],
)
def test_broken_files_raise_naming_the_file_or_are_skipped(tmp_path, content, reason):
    bad = tmp_path / "a" / "bad.wav"
    write_wav(str(tmp_path / "a" / "good.wav"), tone(0.1, 16000, 440), 16000, 16)
    if content is None:
        write_wav(str(bad), tone(0.1, 16000, 440), 16000, 24)
        bad.write_bytes(bad.read_bytes()[:-100])
    elif content == 0:
        write_wav(str(bad), np.zeros((0, 1)), 16000, 24)
    else:
        bad.write_bytes(content)
    with pytest.raises(D.AudioFileError, match=f"bad.wav.*{reason}"):
        D.from_directory(tmp_path, config=SMALL)
    ds = D.from_directory(tmp_path, config=SMALL, on_error="skip")
    assert [p for p, _ in ds.skipped] == [str(bad)]
    assert sum(1 for _ in ds) == 1


def test_32_bit_wav_is_refused_naming_the_file(tmp_path):
    write_wav(str(tmp_path / "a" / "x32.wav"), tone(0.1, 16000, 440), 16000, 32)
    with pytest.raises(D.AudioFileError, match="x32.wav.*32 bits"):
        D.from_directory(tmp_path, config=SMALL)


def test_check_channel_validation():
    with pytest.raises(ValueError, match="channel"):
        audio_io.check_channel("left")
    with pytest.raises(ValueError, match="on_error"):
        audio_io.scan_audio_files([], on_error="ignore")
