"""Griffe extension for the docs build: read ``Example:`` sections as ``Examples:``.

The package's docstrings head their doctests with ``Example:`` (singular).
Griffe's Google parser reads that as a free-text admonition, so ``>>>`` lines
would render as prose (and ``x[:, 0]`` as a broken Markdown reference). This
extension renames the heading before parsing so the doctests render as code.
It changes nothing once the docstrings say ``Examples:``.
"""

import re

import griffe

_HEADING = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rewrites ``Example:`` headings to ``Examples:`` in every docstring."""

    def on_instance(self, *, node, obj, agent, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = _HEADING.sub(r"\1Examples:", obj.docstring.value)
