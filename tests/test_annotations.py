"""Every public function and class of the library carries type annotations.

Public: in a module whose name has no leading ``_``, a name in the module's
``__all__``, or, without ``__all__``, a name that does not start with ``_``, is
defined in that module and has a docstring; for a public class, its ``__init__``
and its documented public methods. Annotated: every
parameter (``self``/``cls`` aside) and the return. mypy checks the annotations
(``[tool.mypy]`` in pyproject.toml, CI leg 1).

``python tests/test_annotations.py`` prints the share and the names that miss it.
"""

import importlib
import inspect
import pkgutil

# The library's public surface, and the experiment runner's entry points.
PACKAGES = ("ops", "layers", "datasets", "features")
MODULES = ("data", "training", "distillation", "losses")
ENTRY_POINTS = {"keras_specmix.experiments": ("main", "run_comparison", "run_one")}


def _modules():
    names = [f"keras_specmix.{name}" for name in MODULES]
    for package in PACKAGES:
        root = importlib.import_module(f"keras_specmix.{package}")
        names.append(root.__name__)
        names += [
            info.name
            for info in pkgutil.walk_packages(root.__path__, root.__name__ + ".")
            if not info.name.rpartition(".")[2].startswith("_")  # private modules
        ]
    return [importlib.import_module(name) for name in names]


def _public_names(module):
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
        and obj.__doc__
    ]


def _annotated(function):
    """Whether every parameter (``self``/``cls`` aside) and the return are annotated."""
    signature = inspect.signature(function)
    params = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    return signature.return_annotation is not inspect.Signature.empty and all(
        p.annotation is not inspect.Parameter.empty for p in params
    )


def _callables():
    """``{qualified name: function}`` of every public function, ``__init__`` and method."""
    found = {}
    targets = [(m, _public_names(m)) for m in _modules()]
    targets += [(importlib.import_module(m), names) for m, names in ENTRY_POINTS.items()]
    for module, names in targets:
        for name in names:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
            elif inspect.isclass(obj) and obj.__module__.startswith("keras_specmix"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
                for attr, member in vars(obj).items():
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    elif isinstance(member, property):
                        member = member.fget
                    if not inspect.isfunction(member):
                        continue
                    if not member.__qualname__.startswith(obj.__qualname__ + "."):
                        continue  # generated (a Protocol's __init__) or borrowed
                    if attr == "__init__" or (not attr.startswith("_") and member.__doc__):
                        found[f"{obj.__module__}.{obj.__qualname__}.{attr}"] = member
    return found


def unannotated():
    """``(names missing annotations, number of public callables)``."""
    found = _callables()
    # A class counts through its __init__ and methods; one without its own
    # __init__ (an exception, a NamedTuple) has nothing more to annotate.
    functions = {k: v for k, v in found.items() if not inspect.isclass(v)}
    return sorted(k for k, v in functions.items() if not _annotated(v)), len(functions)


def test_public_callables_are_annotated():
    missing, total = unannotated()
    assert not missing, f"{len(missing)} of {total} public callables lack annotations:\n" + (
        "\n".join(missing)
    )


if __name__ == "__main__":
    missing, total = unannotated()
    print("\n".join(missing))
    done = total - len(missing)
    print(f"annotated: {done} of {total} ({100 * done / total:.1f} %)")
