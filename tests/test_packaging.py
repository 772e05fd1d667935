"""Guards of the folder-to-namespace mapping .

setuptools ``package-dir`` maps ``symbolic/``, ``numeric/``, ``proofs/`` and
``src/backsmooth/`` into one namespace ``backsmooth``; a package folder missing from the
explicit ``packages`` list would silently be left out of the wheel.
"""

import ast
import importlib
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _packages_on_disk():
    mapping = _pyproject()["tool"]["setuptools"]["package-dir"]
    found = set()
    for dotted, folder in mapping.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            found.add(".".join([dotted, *rel.parts]) if rel.parts else dotted)
    return found


def test_every_package_folder_is_listed():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    missing = _packages_on_disk() - listed
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"


def test_every_listed_package_imports():
    for name in _pyproject()["tool"]["setuptools"]["packages"]:
        importlib.import_module(name)


def _imports_of(folder):
    names = set()
    for path in (ROOT / folder).rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
    return names


def test_numeric_never_imports_sympy_or_the_edge():
    bad = {n for n in _imports_of("numeric") if n.split(".")[0] in {"sympy", "matplotlib", "tqdm"}
           or n.startswith(("backsmooth.symbolic", "backsmooth.proofs", "backsmooth.checks",
                            "backsmooth.figures", "backsmooth.cli", "backsmooth.report"))}
    assert not bad, bad


def test_symbolic_never_imports_numeric_or_the_edge():
    bad = {n for n in _imports_of("symbolic") if n.split(".")[0] in {"matplotlib", "tqdm"}
           or n.startswith(("backsmooth.numeric", "backsmooth.proofs", "backsmooth.checks",
                            "backsmooth.figures", "backsmooth.cli", "backsmooth.report"))}
    assert not bad, bad


def test_proofs_never_import_the_edge():
    bad = {n for n in _imports_of("proofs") if n.split(".")[0] in {"matplotlib", "tqdm"}
           or n.startswith(("backsmooth.checks", "backsmooth.figures", "backsmooth.cli", "backsmooth.report"))}
    assert not bad, bad


def test_import_backsmooth_is_light():
    import subprocess
    import sys

    code = "import sys, backsmooth; print(sorted(m for m in ('matplotlib', 'sympy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
