"""Runs every ```python block of docs/*.md and README.md.

Blocks of one file run in order in one fresh namespace (later blocks use
earlier names), in a temporary working directory (examples may write files).
A block is not run when the line before its fence is a comment
``<!-- skip: reason -->``; use it only for code that needs what a test
machine cannot have (the real TAU 2020 Mobile or SECL-UMONS data). Only
```python fences count: ```bash and other fences are shown, not run.
"""

import os
import pathlib
import re

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
SKIP = re.compile(r"<!--\s*skip:\s*(\S.*?)\s*-->\s*$")


def blocks(path):
    """``[(line, code, skip_reason or None)]`` for each ```python block."""
    text = path.read_text()
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        line = text.count("\n", 0, match.start()) + 1
        found.append((line, match.group(1), skip.group(1) if skip else None))
    return found


def test_the_extractor_finds_blocks_and_skips(tmp_path):
    sample = tmp_path / "sample.md"
    sample.write_text(
        "text\n```python\na = 1\n```\n<!-- skip: needs TAU -->\n```python\nb = 2\n```\n"
        "```bash\nls\n```\n"
    )
    assert blocks(sample) == [(2, "a = 1\n", None), (6, "b = 2\n", "needs TAU")]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_examples_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # As from the repository's root: examples may read committed results in docs/.
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    keras.utils.set_random_seed(0)
    namespace = {"__name__": f"docs_example_{path.stem}"}
    for line, code, skip in blocks(path):
        if skip:
            continue
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        finally:
            keras.mixed_precision.set_global_policy("float32")
            keras.backend.clear_session()


def test_every_guide_has_examples_and_skips_are_rare():
    counts = {p.name: blocks(p) for p in FILES}
    skipped = [(name, line, why) for name, found in counts.items() for line, _, why in found if why]
    assert len(skipped) <= 3, skipped
    guides = [
        "quickstart.md",
        "specmix.md",
        "tf_data.md",
        "in_model.md",
        "reproducibility.md",
        "mixed_precision.md",
        "variable_length.md",
        "distribute.md",
        "saving.md",
        "migrating.md",
    ]
    for name in guides:
        assert any(not why for _, _, why in counts[name]), f"{name} has no runnable example"


if not os.environ.get("TF_CPP_MIN_LOG_LEVEL"):
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
