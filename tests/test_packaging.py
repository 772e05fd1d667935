"""Guards of the folder-to-namespace mapping and of the import layering.

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


#: each layer's folder and the package it becomes; the edge is everything else under backsmooth
_LAYERS = {"numeric": "backsmooth.numeric", "symbolic": "backsmooth.symbolic",
           "proofs": "backsmooth.proofs", "src/backsmooth": "backsmooth"}


def _layer_of(dotted):
    for pkg in ("backsmooth.numeric", "backsmooth.symbolic", "backsmooth.proofs"):
        if dotted == pkg or dotted.startswith(pkg + "."):
            return pkg
    return "backsmooth" if dotted.split(".")[0] == "backsmooth" else None


def _imports_with_targets(folder, package):
    """(file, line, absolute target, level) of every ``from ... import`` in a layer's code."""
    for path in (ROOT / folder).rglob("*.py"):
        rel = path.relative_to(ROOT / folder).with_suffix("").parts
        module = [*package.split("."), *rel]
        pkg_parts = module[:-1] if module[-1] != "__init__" else module[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = pkg_parts[: len(pkg_parts) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield path.relative_to(ROOT), node.lineno, target, node.level


def test_imports_are_relative_within_a_layer_and_absolute_between_layers():
    # the layering reads the same to a person and to a tool: a relative import never leaves its
    # layer (so the direction tests above see every cross-layer import), and an import of the
    # own layer is written relative
    wrong = []
    for folder, package in _LAYERS.items():
        for path, line, target, level in _imports_with_targets(folder, package):
            if not target.startswith("backsmooth"):
                continue
            same = _layer_of(target) == _layer_of(package)
            if level and not same:
                wrong.append(f"{path}:{line}: relative import leaves the layer ({target})")
            elif not level and same and target != "backsmooth":
                wrong.append(f"{path}:{line}: absolute import within the layer ({target})")
    assert not wrong, "\n".join(wrong)
