"""The backend seam: every function the core calls through ``xp`` is declared once.

``keras_specmix.ops._backend.BackendFunctions`` lists the backend functions
the backend-neutral core may call; these tests read the package's source
(AST) for every ``xp.<name>``, ``namespace(...).<name>`` and
``ops_for(...).<name>`` and check each is declared, so a new call cannot
reach a backend function the table does not name.
"""

import ast
import dataclasses
import pathlib

import pytest
import tensorflow as tf

from keras_specmix.ops import _backend

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "keras_specmix"
FACTORIES = {"namespace", "ops_for"}
#: What ``Ops`` adds to the table: its backend's name and the random draws.
OWN = {"name", "as_seed", "uniform", "normal", "split", "fold_in"}


def _factory(node):
    """Whether ``node`` is a call of ``namespace``/``ops_for`` (bare or ``_backend.``)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return getattr(func, "attr", getattr(func, "id", None)) in FACTORIES


def _calls():
    """``{name: [file:line, ...]}`` of every backend-namespace attribute the package reads."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and (
                (isinstance(node.value, ast.Name) and node.value.id == "xp") or _factory(node.value)
            ):
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                found.setdefault(node.attr, []).append(where)
    return found


def _declared():
    return {field.name for field in dataclasses.fields(_backend.BackendFunctions)}


def test_every_name_the_core_calls_is_declared_in_the_table():
    calls = _calls()
    missing = {name: where for name, where in calls.items() if name not in _declared() | OWN}
    assert not missing, f"declare these in BackendFunctions: {missing}"
    # The scan sees the core: dozens of names over the ops modules.
    assert len(calls) > 40 and "where" in calls and "uniform" in calls


def test_the_table_declares_nothing_the_core_does_not_call():
    unused = _declared() - set(_calls())
    assert not unused, f"remove from BackendFunctions (no caller): {sorted(unused)}"


def test_the_namespace_is_only_bound_to_xp():
    """A namespace under another name would escape the scan above."""
    other = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and _factory(node.value):
                names = [getattr(t, "id", None) for t in node.targets]
                if names != ["xp"]:
                    other.append(f"{path.name}:{node.lineno} {names}")
    assert not other, other


def test_table_fields_do_not_shadow_the_namespace_methods():
    assert not _declared() & OWN


def test_an_undeclared_name_fails_naming_the_table():
    xp = _backend.namespace(tf.zeros([1]))
    assert xp.where is _backend.ops_for("tensorflow").functions.where
    with pytest.raises(AttributeError, match="BackendFunctions"):
        xp.nanmedian  # noqa: B018 - the lookup is the test


def test_a_function_missing_from_keras_fails_naming_it(monkeypatch):
    real = _backend._compat.keras_backend_module

    def without_where(backend, module):
        loaded = real(backend, module)
        if module != "numpy":
            return loaded
        return type("Stripped", (), {k: v for k, v in vars(loaded).items() if k != "where"})

    monkeypatch.setattr(_backend._compat, "keras_backend_module", without_where)
    with pytest.raises(ImportError, match=r"`where` from keras\.src\.backend\.tensorflow\.numpy"):
        _backend.BackendFunctions.load("tensorflow")
