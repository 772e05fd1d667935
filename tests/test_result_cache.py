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


# ---------------------------------------------------------------- seed-determined sections
def _files(out, rec):
    """Bytes of every file a section names (a PDF carries its creation date: compared apart)."""
    rels = dict.fromkeys(list(rec["data"].get("files", [])) + list(rec["data"].get("images", [])))
    return {rel: (out / rel).read_bytes() for rel in rels}


def _same_section(a, b):
    keep = ("status", "data", "error", "kind", "name")
    return {k: a[k] for k in keep} == {k: b[k] for k in keep}


class TestSeededSections:
    """Checks and figures are cached with their settings, the seed and the machine in the key."""

    @pytest.mark.slow
    @pytest.mark.parametrize("key", ["check/lemma1", "figure/2"])
    def test_cached_equals_recomputed_byte_for_byte(self, folder, tmp_path, key):
        from backsmooth.report import _run_section

        outs = [tmp_path / f"out{i}" for i in range(3)]
        for o in outs:
            o.mkdir()
        cold = _run_section(key, outs[0], 0, "tiny")
        warm = _run_section(key, outs[1], 0, "tiny")  # a fresh output folder: files restored
        fresh = _run_section(key, outs[2], 0, "tiny", use_cache=False)
        assert (cold["cached"], warm["cached"], fresh["cached"]) == (False, True, False)
        assert cold["status"] == "done"
        assert warm["computed"] and warm["compute_seconds"] > 0
        assert _same_section(cold, warm) and _same_section(cold, fresh)
        files = [_files(o, cold) for o in outs]
        assert files[0] and set(files[0]) == set(files[1]) == set(files[2])
        for rel in files[0]:
            assert files[0][rel] == files[1][rel], rel  # the cache returns what was written
            if not rel.endswith(".pdf"):  # a recomputation writes the same bytes
                assert files[0][rel] == files[2][rel], rel

    @pytest.mark.slow
    def test_seed_settings_source_and_machine_are_misses(self, folder, tmp_path, monkeypatch):
        import backsmooth.report as R

        out = tmp_path / "out"
        out.mkdir()
        run = lambda seed=0: R._run_section("check/lemma1", out, seed, "tiny")
        assert run()["cached"] is False and run()["cached"] is True
        assert run(seed=1)["cached"] is False  # another seed
        changed = dict(R.PROFILES["tiny"], checks={"*": {"trials": 2}})
        monkeypatch.setitem(R.PROFILES, "tiny", changed)
        assert run()["cached"] is False  # another setting
        monkeypatch.setitem(R.PROFILES, "tiny", R.PROFILES["tiny"])
        real = rc.machine_fingerprint
        monkeypatch.setattr(rc, "machine_fingerprint",
                            lambda: dict(real(), cpu={"model": "another CPU"}))
        assert run()["cached"] is False  # another machine
        monkeypatch.setattr(rc, "machine_fingerprint", real)
        real_key = rc.source_key
        monkeypatch.setattr(rc, "source_key", lambda whole=False: "0" * 64 if whole
                            else real_key())
        assert run()["cached"] is False  # other sources
        monkeypatch.setattr(rc, "source_key", real_key)
        assert run()["cached"] is True  # back to the first key: still there

    def test_no_cache_and_damaged_entry(self, folder, tmp_path):
        from backsmooth.report import _run_section

        out = tmp_path / "out"
        out.mkdir()
        _run_section("check/lemma1", out, 0, "tiny", use_cache=False)
        assert not _entries(folder)
        cold = _run_section("check/lemma1", out, 0, "tiny")
        for path in _entries(folder):
            text = path.read_text()
            path.write_text(text.replace('"holds"', '"h0lds"', 1))  # payload no longer matches
        again = _run_section("check/lemma1", out, 0, "tiny")
        assert again["cached"] is False and _same_section(again, cold)

    def test_the_whole_package_and_the_machine_enter_the_key(self):
        files = {p.name for p in rc._module_files("backsmooth", True)}
        assert {"plotting.py", "experiments.py", "plots.py", "sections.py"} <= files
        fp = rc.machine_fingerprint()
        assert fp["versions"]["numpy"] and fp["cpu"]["machine"]
        assert rc.source_key(True) != rc.source_key()

    def test_blas_threads_enter_the_fingerprint(self):
        from threadpoolctl import threadpool_info, threadpool_limits

        if not threadpool_info():
            pytest.skip("no BLAS seen by threadpoolctl")
        with threadpool_limits(limits=1):
            one = rc.machine_fingerprint()
        with threadpool_limits(limits=2):
            two = rc.machine_fingerprint()
        assert all(b["num_threads"] == "1" for b in one["blas"])
        assert one != two or all(b["num_threads"] == "1" for b in two["blas"])

    def test_page_and_cli_say_what_came_from_the_cache(self, folder, tmp_path):
        from backsmooth.report import _cache_line
        from backsmooth.report.page import cache_note

        sec = {"cached": True, "computed": "2026-12-01T21:00:00+00:00", "compute_seconds": 3.5}
        assert "computed 2026-12-01T21:00:00+00:00" in cache_note(sec)
        assert cache_note({"cached": False}) == ""
        doc = {"sections": {"check/a": dict(sec), "proof/b": {"cached": False}}}
        line = _cache_line(doc, ["check/a", "proof/b"])
        assert "1 check" in line and "check/a" in line and "2026-12-01T21:00:00" in line
        assert _cache_line(doc, ["proof/b"]) == ""


def _undated(uri):
    """The SVG of a data URI without its <dc:date> (matplotlib stamps the time of drawing)."""
    import base64
    import re

    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    return re.sub(r"<dc:date>[^<]*</dc:date>", "", svg)


class TestFormulaCache:
    def test_cached_formula_equals_typeset_and_misses_on_change(self, folder):
        from backsmooth.report import html as H

        H.math_image.cache_clear()
        latex = r"\|\nabla_{W^{(k)}} \mathcal{L}\| \le \lambda^{L-k}"
        fresh = H._typeset(latex, 15.0)
        assert fresh and fresh.startswith("data:image/svg+xml")
        stored = H.math_image(latex, 15.0)  # a miss: typeset and stored
        assert _undated(stored) == _undated(fresh)
        H.math_image.cache_clear()
        assert H.math_image(latex, 15.0) == stored  # a hit: the stored bytes
        n = len(_entries(folder))
        H.math_image.cache_clear()
        assert _undated(H.math_image(latex, 16.0)) != _undated(fresh)
        assert len(_entries(folder)) == n + 1
        assert H.math_image(r"\frac{", 15.0) is None  # mathtext cannot parse it: no picture
        H.math_image.cache_clear()


def test_compact_save_reads_back_the_same_document(tmp_path):
    from backsmooth.report.data import load, new_document, save, section

    doc = new_document({"profile": "tiny", "seed": 0})
    doc["sections"]["check/x"] = section("check", "x", "done", 0.5, {"bound": float("inf")})
    save(doc, tmp_path / "a.json")
    save(doc, tmp_path / "b.json", compact=True)
    doc["sections"]["check/x"]["data"]["raw"] = float("nan")  # not jsonable: converted
    save(doc, tmp_path / "c.json", compact=True)
    assert load(tmp_path / "a.json") == load(tmp_path / "b.json")
    assert load(tmp_path / "c.json")["sections"]["check/x"]["data"]["raw"] == "nan"
