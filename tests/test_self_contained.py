"""Nothing in the project points outside the repository.

Our private reading notes (a summary page, notes, precise statements) live outside this
repository and users never see them; the project carries its own theory document
(``docs/theory.md``, generated from the registry).  So no file refers to them, by path or by
file name.
"""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis"}
TEXT = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".json", ".rst", ""}
# the reading notes' folder (spelled in pieces, so that this file does not name it itself) and file names
_FOLDER = "shar" + "ed"
OUTSIDE = re.compile(rf"\.\./{_FOLDER}\b|\b{_FOLDER}/paper\b|\bnotes\.md\b|\btheorems\.md\b|\bstyle\.md\b")


def project_files():
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.is_file() and path.suffix in TEXT:
            yield path


def outside_references(paths):
    hits = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{number}: {line.strip()[:100]}")
    return hits


def test_the_scan_finds_a_reference(tmp_path):
    f = tmp_path / "a.md"
    f.write_text(f"see ../{_FOLDER}/paper/theorems" + ".md\nfine line\n")
    assert len(outside_references([f])) == 1


def test_no_file_points_outside_the_repository():
    hits = outside_references(project_files())
    assert hits == [], "\n".join(hits)
