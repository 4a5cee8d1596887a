"""Bad command-line values end in an argparse message naming the flag and the value.

Every case runs ``runner.main`` in-process (the parser and the argument checks
stop it before any data is loaded): exit status 2 and a ``usage:`` message on
stderr that names the flag and echoes the value received, never a traceback
and never a silently ignored flag.
"""

import pytest

from keras_specmix.experiments import runner

CASES = [
    # (argv, flag, value shown); "{tmp}" is replaced by a temporary folder.
    (["--data-dir", "/nonexistent"], "--data-dir", "/nonexistent"),
    (["--dataset", "folder", "--data-dir", "/nonexistent"], "--data-dir", "/nonexistent"),
    (["--dataset", "tau2020_mobile", "--data-dir", "/nonexistent"], "--data-dir", "/nonexistent"),
    (["--dataset", "csv", "--data-dir", "{tmp}"], "--data-dir", "{tmp}"),
    (["--num-locations", "1"], "--num-locations", "'1'"),
    (["--num-locations", "2"], "--num-locations", "'2'"),
    (["--dataset", "digits", "--num-locations", "5"], "--num-locations", "digits"),
    (["--clips-per-location", "0"], "--clips-per-location", "'0'"),
    (["--alpha", "nan"], "--alpha", "'nan'"),
    (["--alpha", "-1"], "--alpha", "'-1'"),
    (["--learning-rate", "inf"], "--learning-rate", "'inf'"),
    (["--learning-rate", "0"], "--learning-rate", "'0'"),
    (["--weight-decay", "-0.1"], "--weight-decay", "'-0.1'"),
    (["--validation-fraction", "0"], "--validation-fraction", "'0'"),
    (["--validation-fraction", "nan"], "--validation-fraction", "'nan'"),
    (
        ["--dataset", "folder", "--data-dir", "{tmp}", "--clip-seconds", "inf"],
        "--clip-seconds",
        "'inf'",
    ),
    (["--time-warp", "-1"], "--time-warp", "'-1'"),
    (["--freq-mask", "-3"], "--freq-mask", "'-3'"),
    (["--time-mask", "x"], "--time-mask", "'x'"),
    (["--num-masks", "-1"], "--num-masks", "'-1'"),
    (["--data-seed", "-5"], "--data-seed", "'-5'"),
    (["--batch-size", "0"], "--batch-size", "'0'"),
    (["--width", "abc"], "--width", "'abc'"),
    (["--seeds", ""], "--seeds", "''"),
    (["--gamma", "1.5"], "--gamma", "'1.5'"),
    (["--model", "resnet101", "--width", "8"], "--width", "resnet101"),
    (["--specaugment-policy", "LD", "--freq-mask", "10"], "--freq-mask", "LD"),
    (["--output-dir", "{file}"], "--output-dir", "{file}"),
]


@pytest.mark.parametrize("argv, flag, value", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_value_names_the_flag_and_the_value(argv, flag, value, tmp_path, capsys):
    file = tmp_path / "a_file"
    file.write_text("")
    fill = {"{tmp}": str(tmp_path), "{file}": str(file)}
    argv = [fill.get(a, a) for a in argv]
    value = fill.get(value, value)
    with pytest.raises(SystemExit) as error:
        runner.main(
            argv + ["--output-dir", str(tmp_path / "out")] if "--output-dir" not in argv else argv
        )
    err = capsys.readouterr().err
    assert error.value.code == 2, err
    assert "usage:" in err and "Traceback" not in err
    message = err.strip().splitlines()[-1]
    assert flag in message, message
    # The value as typed ('nan') or as the checks of keras_specmix._validation
    # name it ("Received: alpha=nan").
    assert value in message or f"={value.strip(chr(39))}" in message, message


def test_cases_cover_at_least_twelve_flags():
    assert len({flag for _, flag, _ in CASES}) >= 12
