"""The README's layout table names the tree as it is (every row exists, every folder has a row)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _layout_rows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Layout", 1)[1].strip().split("\n\n", 1)[0]
    return [line for line in table.splitlines() if line.startswith("| `")]


def _named(rows):
    """Every backticked path of the table: folders of the first column, files of the third."""
    out = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        folder = cells[0].strip("`")
        out.append(folder)
        for name in re.findall(r"`([\w./*-]+\.(?:py|md|json))`", cells[2]):
            if "*" not in name and "<" not in name:
                out.append(name if "/" in name else folder + name)
    return out


def test_every_path_of_the_layout_table_exists():
    missing = [p for p in _named(_layout_rows()) if not (ROOT / p).exists()]
    assert not missing, f"README layout table names paths that do not exist: {missing}"


def test_every_folder_of_the_tree_has_a_row():
    rows = {c.strip("|").split("|")[0].strip().strip("`").rstrip("/") for c in _layout_rows()}
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")
               and p.name not in ("src", "build", "dist", "__pycache__")
               and not p.name.endswith(".egg-info")}
    folders |= {f"src/backsmooth/{p.name}" for p in (ROOT / "src" / "backsmooth").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    folders.add(".ci")
    assert not folders - rows, f"folders without a row in the README layout table: {folders - rows}"


def test_the_table_is_read_and_the_check_can_fail():
    assert len(_layout_rows()) >= 10
    assert _named(["| `nowhere/` | | `x.py` |"]) == ["nowhere/", "nowhere/x.py"]
    assert not (ROOT / "nowhere").exists()
