"""The repository stands alone: no file cites documents outside it, and the docs
site needs no network (no MathJax or fonts from a CDN)."""

import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).parents[1]
OUTSIDE = re.compile(r"DESIGN\.md|reference/algorithms\.md|reference/[\w-]+\.md")


def _tracked_text_files():
    try:
        names = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        ).stdout.split()
        paths = [ROOT / n for n in names]
    except (OSError, subprocess.SubprocessError):  # an sdist: every file under the root
        paths = [p for p in ROOT.rglob("*") if ".git" not in p.parts]
    for path in paths:
        if path.is_file() and path.suffix not in {".png", ".npz", ".wav", ".flac", ".h5"}:
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def test_no_file_cites_documents_outside_the_repository():
    this = pathlib.Path(__file__).resolve()
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path, text in _tracked_text_files()
        if path.resolve() != this
        for n, line in enumerate(text.splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not hits, "files cite documents that are not in the repository:\n" + "\n".join(hits)


def test_docs_render_offline():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "arithmatex" not in config and "mathjax" not in config.lower()
    assert not re.search(r"extra_(javascript|css):[^\n]*\n(\s+- https?://)", config)
    assert re.search(r"^\s+font: false", config, re.M), "the material theme loads Google Fonts"
    for page in (ROOT / "docs").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"\$\$|\\\(|(?<![\w`$])\$[^$\s`][^$`]*\$", text), (
            f"{page.relative_to(ROOT)} has TeX math; write formulas in Unicode/HTML"
        )
