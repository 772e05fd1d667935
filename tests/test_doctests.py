"""Run every module's docstring examples by dotted module name.

``pytest --doctest-modules`` would import ``symbolic/x.py`` a second time as ``symbolic.x``;
importing by the installed dotted name tests what users get.
"""

import doctest
import importlib
import pkgutil

import pytest



_TOP = ("backsmooth", "backsmooth.numeric", "backsmooth.symbolic", "backsmooth.proofs")


def _modules():
    """Every module below the subpackages (walked one by one: with an editable install the
    subpackages live in different folders, so walking ``backsmooth.__path__`` misses them)."""
    names = set()
    todo = list(_TOP)
    while todo:
        name = todo.pop()
        if name in names:
            continue
        names.add(name)
        module = importlib.import_module(name)
        for info in pkgutil.iter_modules(getattr(module, "__path__", []), name + "."):
            todo.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
