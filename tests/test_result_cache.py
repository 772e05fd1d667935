"""Tests of the result cache (derivations and proofs are cached per source hash).

A hit returns what a recomputation returns, any change of a hashed source is a miss,
``--no-cache`` neither reads nor writes, and a damaged entry is recomputed.
"""

import argparse
import io
import json
import sys

import pytest

from backsmooth import result_cache as rc


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKSMOOTH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _counter(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def _entries(folder):
    return sorted(p for p in folder.rglob("*.json")) if folder.exists() else []


class TestCached:
    def test_hit_computes_once(self, folder):
        compute, calls = _counter({"steps": [1, 2.5, "x"], "passed": True})
        info = {}
        first = rc.cached("k", "n", compute, info=info)
        assert info["hit"] is False
        second = rc.cached("k", "n", compute, info=info)
        assert info["hit"] is True
        assert first == second == {"steps": [1, 2.5, "x"], "passed": True}
        assert len(calls) == 1
        assert len(_entries(folder)) == 1

    def test_entries_are_per_name_and_kind(self, folder):
        a, _ = _counter(1)
        b, _ = _counter(2)
        assert rc.cached("k", "a", a) == 1
        assert rc.cached("k", "b", b) == 2
        assert rc.cached("other", "a", b) == 2
        assert rc.cached("k", "a", b) == 1

    def test_no_cache_neither_reads_nor_writes(self, folder):
        compute, calls = _counter([3])
        rc.cached("k", "n", compute)  # an entry exists ...
        assert rc.cached("k", "n", compute, use=False) == [3]  # ... and is not read
        assert len(calls) == 2
        folder2 = folder.parent / "other"
        rc.cached("k", "n", compute, use=False, directory=folder2)
        assert not folder2.exists() and len(calls) == 3

    def test_environment_variable_bypasses(self, folder, monkeypatch):
        monkeypatch.setenv("BACKSMOOTH_NO_CACHE", "1")
        compute, calls = _counter(7)
        rc.cached("k", "n", compute)
        rc.cached("k", "n", compute)
        assert len(calls) == 2 and not _entries(folder)

    @pytest.mark.parametrize("damage", ["garbage", "truncated", "tampered", "other key", "empty"])
    def test_damaged_entry_is_recomputed(self, folder, damage):
        compute, calls = _counter({"passed": True})
        rc.cached("k", "n", compute)
        (path,) = _entries(folder)
        text = path.read_text()
        entry = json.loads(text)
        if damage == "garbage":
            path.write_bytes(b"\x00\xff not json")
        elif damage == "truncated":
            path.write_text(text[: len(text) // 2])
        elif damage == "tampered":  # a value that does not match its stored hash
            entry["value"] = {"passed": False}
            path.write_text(json.dumps(entry))
        elif damage == "other key":
            entry["key"] = "0" * 64
            path.write_text(json.dumps(entry))
        else:
            path.write_text("")
        assert rc.cached("k", "n", compute) == {"passed": True}
        assert len(calls) == 2
        assert json.loads(path.read_text())["value"] == {"passed": True}  # rewritten
        assert rc.cached("k", "n", compute) == {"passed": True} and len(calls) == 2

    def test_unwritable_folder_still_computes(self, tmp_path, monkeypatch):
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        monkeypatch.setenv("BACKSMOOTH_CACHE_DIR", str(blocker / "cache"))
        compute, calls = _counter(5)
        assert rc.cached("k", "n", compute) == 5 and rc.cached("k", "n", compute) == 5
        assert len(calls) == 2


class TestKey:
    def test_source_change_is_a_miss(self, folder, tmp_path, monkeypatch):
        pkg = tmp_path / "src" / "fakepkg"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("X = 1\n")
        (pkg / "data.txt").write_text("a table the code reads\n")
        monkeypatch.syspath_prepend(str(tmp_path / "src"))
        monkeypatch.setattr(rc, "SOURCE_PACKAGES", ("fakepkg",))
        monkeypatch.setattr(rc, "RENDER_MODULES", ("backsmooth.result_cache",))
        compute, calls = _counter("v")
        rc.source_key.cache_clear()
        try:
            rc.cached("k", "n", compute)
            rc.source_key.cache_clear()
            rc.cached("k", "n", compute)
            assert len(calls) == 1  # same sources: a hit
            for path, text in ((pkg / "__init__.py", "X = 2\n"), (pkg / "data.txt", "b\n")):
                path.write_text(text)  # any file of the package, not only .py
                rc.source_key.cache_clear()
                before = len(calls)
                rc.cached("k", "n", compute)
                assert len(calls) == before + 1
        finally:
            rc.source_key.cache_clear()

    def test_versions_enter_the_key(self, monkeypatch):
        from importlib import metadata

        rc.source_key.cache_clear()
        base = rc.source_key()
        real = metadata.version
        monkeypatch.setattr(metadata, "version",
                            lambda d: "0.0-other" if d == "sympy" else real(d))
        rc.source_key.cache_clear()
        try:
            assert rc.source_key() != base
        finally:
            rc.source_key.cache_clear()

    def test_hashed_files_cover_the_producers(self):
        names = set()
        for dotted in rc.SOURCE_PACKAGES + rc.RENDER_MODULES:
            for path in rc._module_files(dotted, dotted in rc.SOURCE_PACKAGES):
                names.add((dotted.split(".")[1], path.name))
        for expected in [("symbolic", "claims.py"), ("symbolic", "derivations.py"),
                         ("proofs", "registry.py"), ("proofs", "render.py"),
                         ("proofs", "framework.py"), ("numeric", "model.py"),
                         ("report", "sections.py"), ("report", "data.py"),
                         ("cli", "derive.py"), ("cli", "proof.py"),
                         ("result_cache", "result_cache.py")]:
            assert expected in names, expected

    def test_default_folder(self, monkeypatch, tmp_path):
        monkeypatch.delenv("BACKSMOOTH_CACHE_DIR", raising=False)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        assert rc.cache_dir() == tmp_path / "backsmooth"
        monkeypatch.setenv("BACKSMOOTH_CACHE_DIR", str(tmp_path / "x"))
        assert rc.cache_dir() == tmp_path / "x"
        if sys.platform.startswith("linux"):
            monkeypatch.delenv("BACKSMOOTH_CACHE_DIR")
            monkeypatch.delenv("XDG_CACHE_HOME")
            assert rc.cache_dir().parts[-2:] == (".cache", "backsmooth")


class TestCommands:
    def _derive(self, name, **kw):
        from backsmooth.cli import derive

        args = argparse.Namespace(name=name, list=False, latex=False, text=True,
                                  no_cache=kw.get("no_cache", False))
        buf = io.StringIO()
        return derive.run(args, out=buf), buf.getvalue()

    def test_derive_hit_equals_recomputation(self, folder):
        code1, cold = self._derive("lemma1")
        assert _entries(folder)
        code2, warm = self._derive("lemma1")
        code3, fresh = self._derive("lemma1", no_cache=True)
        assert code1 == code2 == code3 == 0
        assert cold == warm == fresh and "steps passed; strength: " in cold

    def test_derive_no_cache_writes_nothing(self, folder):
        self._derive("lemma1", no_cache=True)
        assert not _entries(folder)

    def test_proof_command_cached(self, folder, capsys):
        from backsmooth.cli import main

        assert main(["proof", "lemma1"]) == 0
        cold = capsys.readouterr().out
        assert len(_entries(folder)) == 1
        assert main(["proof", "lemma1"]) == 0
        assert capsys.readouterr().out == cold
        assert main(["proof", "lemma1", "--no-cache"]) == 0
        assert capsys.readouterr().out == cold

    def test_report_sections_cached(self, folder, tmp_path):
        from backsmooth.report import _run_section

        out = tmp_path / "out"
        out.mkdir()
        cold = _run_section("proof/lemma1", out, 0, "tiny")
        warm = _run_section("proof/lemma1", out, 0, "tiny")
        fresh = _run_section("proof/lemma1", out, 0, "tiny", use_cache=False)
        assert (cold["cached"], warm["cached"], fresh["cached"]) == (False, True, False)
        assert cold["status"] == "done" and cold["data"]["passed"] is True
        assert cold["data"] == warm["data"]
        strip = lambda d: [{k: v for k, v in s.items() if k != "seconds"} for s in d["steps"]]
        assert strip(fresh["data"]) == strip(cold["data"])
        # a damaged entry: recomputed, same result
        for path in _entries(folder):
            path.write_text("{")
        again = _run_section("proof/lemma1", out, 0, "tiny")
        assert again["cached"] is False and strip(again["data"]) == strip(cold["data"])
