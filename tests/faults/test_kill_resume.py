"""The runner killed (SIGKILL) anywhere in a small comparison, then resumed.

The full matrix (``-m faults``) kills one command line at 13 points spread
over a comparison of 2 conditions x 2 seeds, in a chain: each command
resumes what the killed one left and is killed at the next point, until a
last command finishes. Then its JSON runs, Markdown and figures must equal
those of an uninterrupted command (timing fields aside), no temporary file
may be left, and a rerun with nothing to do must leave the JSON and the
Markdown byte-identical. A quicker single kill (a results-file write, two
one-epoch runs) is marked ``faults`` too: its three runner processes cost
minutes, and the matrix above kills the same write and resumes it.
"""

import pytest

import _keras_specmix_cli as cli_startup
from tests.faults import _runner

ARGS = [
    "--num-locations", "3", "--clips-per-location", "1", "--epochs", "2",
    "--steps-per-epoch", "2", "--batch-size", "8", "--width", "4", "--quiet",
    "--augmentation", "none,specmix", "--seeds", "0,1",
]  # fmt: skip

# (point, n) in the order a resumed chain reaches them. Runs: (none, 0),
# (specmix, 0), (none, 1), (specmix, 1); 2 epochs each.
CHAIN = [
    ("data.generated", 1),  # the training split generated, nothing cached
    ("cache.written", 1),  # the training split's cache in its temporary file
    ("cache.written", 3),  # training and validation cached; the test split's cache half done
    ("run.start", 1),  # the first run compiled, not trained
    ("run.epoch", 1),  # inside the first run, after its first epoch and checkpoint
    ("run.scored", 1),  # the first run trained and scored, its record not stored
    ("write.json", 1),  # the first results file in its temporary file
    ("run.stored", 1),  # between runs: the first run stored
    ("run.epoch", 2),  # inside the second run, after its last epoch
    ("write.json", 2),  # the second and third runs stored, the third's write interrupted
    ("report.start", 1),  # every run trained: before the summary
    ("write.png", 1),  # the summary stored: the confusion figure's write
    ("write.md", 1),  # the Markdown's write
    ("write.png", 2),  # the comparison figure's write
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted comparison."""
    root = tmp_path_factory.mktemp("reference")
    done = _runner.runner(ARGS, root / "out", root / "cache")
    assert done.returncode == 0, done.stderr[-3000:]
    # TensorFlow's failed cuInit is an expected notice on a machine without a GPU,
    # not shown as an error (with NVIDIA hardware, cuInit succeeds or is shown).
    if not cli_startup.nvidia_hardware():
        assert "cuInit" not in done.stderr, done.stderr
    return root / "out"


def _check_equal(resumed, reference):
    got, want = _runner.comparable(resumed), _runner.comparable(reference)
    assert [(r["condition"], r["seed"]) for r in got[0]["runs"]] == [
        (r["condition"], r["seed"]) for r in want[0]["runs"]
    ]
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert got[2].keys() == want[2].keys() and got[2] == want[2]


@pytest.mark.faults
def test_killed_at_every_point_then_resumed_equals_an_uninterrupted_run(tmp_path, reference):
    out, cache = tmp_path / "out", tmp_path / "cache"
    log = []
    for point, n in CHAIN:
        done = _runner.runner(ARGS, out, cache, fault=f"{point}:{n}")
        log.append((point, n, done.returncode))
        assert _runner.killed(done), (
            f"{point}:{n} was not reached (return code {done.returncode}); "
            f"kills so far: {log}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    done = _runner.runner(ARGS, out, cache)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Resuming" in done.stdout
    _check_equal(out, reference)
    assert _runner.leftovers(out, cache) == []
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    again = _runner.runner(ARGS, out, cache)
    assert again.returncode == 0 and "4 of 4 runs already there" in again.stdout
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before


QUICK = [*ARGS[: ARGS.index("--augmentation")], "--augmentation", "none", "--seeds", "0,1"]
QUICK[QUICK.index("--epochs") + 1] = "1"


@pytest.mark.faults
def test_killed_while_writing_the_results_then_resumed(tmp_path):
    """A results-file write killed, then resumed (2 one-epoch runs): a quick chain."""
    done = _runner.runner(QUICK, tmp_path / "reference", tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out"
    done = _runner.runner(QUICK, out, tmp_path / "cache", fault="write.json:2")
    assert _runner.killed(done), done.stderr[-3000:]
    assert (out / "synthetic_small.json.tmp").exists()  # the interrupted write
    done = _runner.runner(QUICK, out, tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 of 2 runs already there (skipped); 1 to do." in done.stdout
    _check_equal(out, tmp_path / "reference")
    assert _runner.leftovers(out, tmp_path / "cache") == []
