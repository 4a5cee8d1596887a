"""The public fake-tree writers of ``keras_specmix.datasets.fakes``."""

import numpy as np
import pytest
import soundfile as sf

from keras_specmix import datasets as D
from keras_specmix.datasets import fakes


@pytest.mark.parametrize("bits", [16, 24, 32])
def test_write_wav_round_trips_through_soundfile(tmp_path, bits):
    audio = fakes.tone(0.05, 8000, 300, channels=2)
    path = fakes.write_wav(tmp_path / "sub" / "x.wav", audio, 8000, bits)
    read, rate = sf.read(path)
    assert rate == 8000 and read.shape == audio.shape
    np.testing.assert_allclose(read, audio, atol=2.0 ** (1 - bits) * 1.01)


def test_write_wav_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="bits.*8"):
        fakes.write_wav(tmp_path / "x.wav", np.zeros(4), 8000, bits=8)
    with pytest.raises(ValueError, match="sample_rate"):
        fakes.write_wav(tmp_path / "x.wav", np.zeros(4), 0)


def test_fake_tau_tree_matches_its_rows(tmp_path):
    root = fakes.write_fake_tau2020_mobile(str(tmp_path / "tau"), clip_seconds=0.1)
    wavs = sorted(p.name for p in (root / "audio").glob("*.wav"))
    rows = fakes.TAU_TRAIN_ROWS + fakes.TAU_EVALUATE_ROWS + fakes.TAU_EXTRA_ROWS
    assert wavs == sorted("-".join(r) + ".wav" for r in rows)
    evaluate = D.tau2020_mobile_table(root, "evaluate")
    assert list(evaluate.metadata["device"]) == [r[4] for r in fakes.TAU_EVALUATE_ROWS]
    assert sf.info(root / fakes.tau_filename(rows[0])).frames == 4410


def test_fake_secl_layouts_and_errors(tmp_path):
    flat = fakes.write_fake_secl_umons(tmp_path / "flat", "flat")
    nested = fakes.write_fake_secl_umons(tmp_path / "nested", "nested")
    assert (flat / "unilabel_split1_train.csv").read_text().startswith("0\n")
    assert list((nested / "Unilabel").glob("room*/knock"))
    assert len(list(flat.rglob("*.wav"))) == len(fakes.SECL_CLASSES) * 3 * 7
    with pytest.raises(ValueError, match="layout.*deep"):
        fakes.write_fake_secl_umons(tmp_path / "x", "deep")
