"""Adversarial inputs for the audio readers.

Each case asserts either a clear error naming the file or argument (and, for
unreadable files, the ``on_error`` option), or a specified correct result.
Fixtures are written with libsndfile; nothing binary is committed.
"""

import os
import shutil
import tempfile

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from keras_specmix import datasets as D
from keras_specmix.datasets import audio_io
from keras_specmix.datasets.fakes import tone
from keras_specmix.features import FrontEndConfig

SMALL = FrontEndConfig(sample_rate=16000, n_fft=256, hop_length=128, n_mels=16)


def _good(root, name="good.wav", rate=16000, channels=1, seconds=0.2):
    (root / "a").mkdir(parents=True, exist_ok=True)
    audio = tone(seconds, rate, 440, channels)
    sf.write(root / "a" / name, audio, rate, subtype="PCM_16")
    return root / "a" / name, audio


def _bad_file_cases():
    def truncated(path):
        sf.write(path, tone(0.1, 16000, 440), 16000, subtype="PCM_24")
        path.write_bytes(path.read_bytes()[:-100])

    return {
        "empty": (lambda p: p.write_bytes(b""), "empty"),
        "zero_frames": (lambda p: sf.write(p, np.zeros((0, 1)), 16000), "no audio frames"),
        "truncated": (truncated, "truncated"),
        "junk_after_riff": (lambda p: p.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk"), "libsndfile"),
        "text_named_wav": (
            lambda p: p.write_bytes(b"hello, I am not audio\n" * 4),
            "not an audio file",
        ),
        "ogg_magic_only": (lambda p: p.write_bytes(b"OggS" + bytes(60)), "not an audio file"),
    }


@pytest.mark.parametrize("case", sorted(_bad_file_cases()))
def test_unreadable_file_raises_naming_it_and_the_option_or_is_skipped(tmp_path, case):
    write, reason = _bad_file_cases()[case]
    _good(tmp_path)
    bad = tmp_path / "a" / "bad.wav"
    write(bad)
    with pytest.raises(D.AudioFileError, match=f"bad.wav.*{reason}.*on_error='skip'"):
        D.from_directory(tmp_path, config=SMALL)
    with pytest.warns(UserWarning, match="Skipped 1"):
        ds = D.from_directory(tmp_path, config=SMALL, on_error="skip")
    assert [p for p, _ in ds.skipped] == [str(bad)] and reason.split()[0] in ds.skipped[0][1]
    assert int(ds.cardinality()) == 1 and len(list(ds)) == 1


@pytest.mark.parametrize("name", ["notes.txt", "x.mp3", "y.ogg", "z.aiff", "w.opus"])
def test_garbage_in_any_extension_is_never_ignored(tmp_path, name):
    _good(tmp_path)
    (tmp_path / "a" / name).write_bytes(os.urandom(300))
    with pytest.raises(D.AudioFileError, match=f"{name}.*on_error='skip'"):
        D.from_directory(tmp_path, config=SMALL)
    with pytest.warns(UserWarning, match=name):
        assert len(D.from_directory(tmp_path, config=SMALL, on_error="skip").skipped) == 1


@pytest.mark.parametrize(
    "content, name",
    [
        ("FLAC", "really_flac.wav"),
        ("WAV", "really_wav.mp3"),
        ("OGG", "really_ogg.dat"),
        ("AIFF", "no_extension"),
    ],
)
def test_wrong_or_missing_extension_is_read_by_content(tmp_path, content, name):
    # Specified result: libsndfile recognises the format from the bytes, so the
    # file is decoded correctly whatever its name says.
    (tmp_path / "a").mkdir()
    audio = tone(0.2, 16000, 440)
    sf.write(tmp_path / "a" / name, audio, 16000, format=content)
    info = D.inspect_audio(tmp_path / "a" / name)
    assert info.format == content.lower() and info.num_frames == len(audio)
    decoded = audio_io.load_audio(tmp_path / "a" / name, channel=0)
    assert np.abs(decoded - audio).max() < (0.05 if content == "OGG" else 1e-4)
    assert int(D.from_directory(tmp_path, config=SMALL).cardinality()) == 1


def test_hidden_files_are_not_audio_and_are_left_out(tmp_path):
    # Specified result (documented): names starting with "." (.DS_Store, macOS
    # "._x.wav" resource forks, hidden folders) are not read.
    _good(tmp_path)
    (tmp_path / "a" / ".DS_Store").write_bytes(os.urandom(64))
    (tmp_path / "a" / "._good.wav").write_bytes(os.urandom(64))
    (tmp_path / "a" / ".hidden").mkdir()
    (tmp_path / "a" / ".hidden" / "x.wav").write_bytes(b"")
    ds = D.from_directory(tmp_path, config=SMALL)
    assert list(ds.metadata["path"]) == [str(tmp_path / "a" / "good.wav")]


def test_unreadable_permissions_name_the_file():
    folder = tempfile.mkdtemp()  # under /tmp, so another user can reach it
    try:
        os.chmod(folder, 0o755)
        path = os.path.join(folder, "locked.wav")
        sf.write(path, tone(0.1, 16000, 440), 16000)
        os.chmod(path, 0)
        as_root = os.geteuid() == 0
        if as_root:  # root reads anything: check as an unprivileged user
            os.seteuid(65534)
        try:
            with pytest.raises(D.AudioFileError, match="locked.wav.*permission denied"):
                D.inspect_audio(path)
        finally:
            if as_root:
                os.seteuid(0)
    finally:
        shutil.rmtree(folder)


def test_missing_file_and_folder_in_a_csv_name_the_path(tmp_path):
    good, _ = _good(tmp_path)
    (tmp_path / "a" / "sub.wav").mkdir()
    csv = tmp_path / "list.csv"
    csv.write_text(f"path,label\n{good},x\na/missing.wav,y\n")
    with pytest.raises(D.AudioFileError, match="missing.wav.*no such file"):
        D.from_csv(csv, config=SMALL)
    csv.write_text(f"path,label\n{good},x\na/sub.wav,y\n")
    with pytest.raises(D.AudioFileError, match="sub.wav.*a folder, not a file"):
        D.from_csv(csv, config=SMALL)


def test_corrupt_frames_found_while_decoding_name_the_file(tmp_path):
    # The header is fine, so the scan passes; libsndfile loses sync inside the
    # stream, and the tf.data error names the file.
    (tmp_path / "a").mkdir()
    path = tmp_path / "a" / "x.flac"
    sf.write(path, tone(1.0, 16000, 440), 16000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 2000] = bytes(2000)
    path.write_bytes(bytes(data))
    ds = D.from_directory(tmp_path, config=SMALL)
    with pytest.raises(tf.errors.OpError, match="x.flac.*libsndfile cannot decode"):
        list(ds)


def test_non_finite_float_samples_name_the_file(tmp_path):
    (tmp_path / "a").mkdir()
    audio = tone(0.1, 16000, 440)
    audio[10, 0] = np.nan
    audio[20, 0] = np.inf
    sf.write(tmp_path / "a" / "nan.wav", audio, 16000, subtype="FLOAT")
    with pytest.raises(D.AudioFileError, match="nan.wav.*2 non-finite"):
        audio_io.load_audio(tmp_path / "a" / "nan.wav")


def test_float_samples_beyond_full_scale_are_kept(tmp_path):
    # Specified result: float files are not clipped or rescaled.
    (tmp_path / "a").mkdir()
    audio = 4.0 * tone(0.1, 16000, 440)
    sf.write(tmp_path / "a" / "loud.wav", audio, 16000, subtype="FLOAT")
    np.testing.assert_allclose(audio_io.load_audio(tmp_path / "a" / "loud.wav"), audio, atol=1e-6)


def test_mixed_rates_without_resampling_name_the_file_and_the_option(tmp_path):
    _good(tmp_path)
    _good(tmp_path, "fast.wav", rate=48000)
    with pytest.raises(D.AudioFileError, match="fast.wav.*48000 Hz.*resample=True"):
        D.from_directory(tmp_path, config=SMALL, resample=False)
    ds = D.from_directory(tmp_path, config=SMALL, clip_seconds=0.2)  # resampled
    assert {x.shape for x, _ in ds.as_numpy_iterator()} == {SMALL.output_shape(3200)}


def test_mixed_channels(tmp_path):
    _good(tmp_path)
    _good(tmp_path, "stereo.wav", channels=2)
    with pytest.raises(D.AudioFileError, match=r"channel='all'.*\[1, 2\]"):
        D.from_directory(tmp_path, config=SMALL, channel="all")
    with pytest.raises(D.AudioFileError, match="good.wav.*channel 1.*1 channel"):
        D.from_directory(tmp_path, config=SMALL, channel=1)
    # Specified result: "mean" downmixes each file to one channel.
    ds = D.from_directory(tmp_path, config=SMALL, channel="mean", clip_seconds=0.2)
    assert [x.shape[-1] for x, _ in ds.as_numpy_iterator()] == [3, 3]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"channel": "left"}, "channel.*left"),
        ({"channel": -1}, "channel"),
        ({"on_error": "ignore"}, "on_error.*ignore"),
        ({"clip_seconds": 0}, "clip_seconds"),
        ({"clip_seconds": -1.0}, "clip_seconds"),
    ],
)
def test_bad_arguments_name_the_argument(tmp_path, kwargs, match):
    _good(tmp_path)
    with pytest.raises(ValueError, match=match):
        D.from_directory(tmp_path, config=SMALL, **kwargs)


def test_every_file_unreadable_with_skip_says_so(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.wav").write_bytes(b"")
    (tmp_path / "a" / "y.mp3").write_bytes(b"junk")
    with (
        pytest.warns(UserWarning, match="Skipped 2"),
        pytest.raises(ValueError, match=r"No usable audio file.*2 skipped"),
    ):
        D.from_directory(tmp_path, config=SMALL, on_error="skip")


def test_one_frame_file_is_zero_padded_to_the_clip(tmp_path):
    (tmp_path / "a").mkdir()
    sf.write(tmp_path / "a" / "tiny.wav", np.full((1, 1), 0.5), 16000, subtype="FLOAT")
    audio = audio_io.load_audio(tmp_path / "a" / "tiny.wav", 16000, num_samples=100)
    assert audio.shape == (100, 1) and audio[0, 0] == 0.5 and not audio[1:].any()
    ds = D.from_directory(tmp_path, config=SMALL, clip_seconds=0.1)
    assert next(iter(ds))[0].shape == SMALL.output_shape(1600)
