"""The proofs take the paper's symbols from their one home, ``backsmooth.symbolic.symbols``.

Two guards: ``registry_identity`` no longer matches symbols by name (a look-alike symbol makes
the registry step fail and say which), and no module of proofs/ or symbolic/ re-creates a symbol that the symbols
module already defines (the same name and assumptions: a second declaration of the same thing).
"""

from __future__ import annotations

import ast
import pathlib

import pytest
import sympy as sp

import backsmooth.symbolic.symbols as S
from backsmooth.proofs._common import registry_identity

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROOFS = ROOT / "proofs"
SYMBOLIC = ROOT / "symbolic"


def test_registry_identity_accepts_the_registry_symbols():
    lhs, rhs = registry_identity("theorem1", "uniform", lambda: (S.lam * S.s)**S.k * S.E_X0)()
    assert sp.simplify(lhs - rhs) == 0


def test_registry_identity_refuses_a_look_alike_symbol():
    # "lambda" without the registry's assumptions is another symbol: no silent match by name
    look_alike = sp.Symbol("lambda")
    with pytest.raises(ValueError, match="lambda"):
        registry_identity("theorem1", "uniform", lambda: (look_alike * S.s)**S.k * S.E_X0)()


def _paper_symbols():
    out = {}
    for name in dir(S):
        v = getattr(S, name)
        if isinstance(v, sp.Symbol):
            out[v] = name
    return out


def _declarations(path):
    """``sp.Symbol("name", flag=True, ...)`` calls with literal arguments in one module."""
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Symbol" and node.args
                and isinstance(node.args[0], ast.Constant)
                and all(isinstance(k.value, ast.Constant) for k in node.keywords)):
            kw = {k.arg: k.value.value for k in node.keywords}
            yield node.lineno, sp.Symbol(node.args[0].value, **kw)


def redeclarations(paths):
    paper = _paper_symbols()
    return [f"{p.name}:{line}: {sym} (symbols.{paper[sym]})"
            for p in paths for line, sym in _declarations(p) if sym in paper]


def test_the_scan_finds_a_redeclaration(tmp_path):
    f = tmp_path / "m.py"
    f.write_text('import sympy as sp\nlam = sp.Symbol("lambda", positive=True)\nx = sp.Symbol("x")\n')
    assert redeclarations([f]) == ["m.py:2: lambda (symbols.lam)"]


def test_no_module_redeclares_a_paper_symbol():
    modules = sorted(PROOFS.glob("*.py")) + [p for p in sorted(SYMBOLIC.glob("*.py")) if p.name != "symbols.py"]
    found = redeclarations(modules)
    assert found == [], "import these from backsmooth.symbolic.symbols instead:\n" + "\n".join(found)
