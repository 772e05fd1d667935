"""Tests of ``backsmooth report``: the offline page, its data, resume and the exit code.

The end-to-end run uses the documented TEST profile ``--tiny`` (3 trials per check, 10
training epochs, no phase diagram) so that every real component (derivations, proofs,
checks, figures) runs within the test budget; ``--quick`` itself is measured outside the
test suite (speed targets are never timed test assertions).
"""

import argparse
import base64
import json
import pathlib
import shutil
from html.parser import HTMLParser

import pytest

import backsmooth.parallel as parallel
from backsmooth.cli import report as _cmd_report
from backsmooth.parallel import CoreShare
from backsmooth.report.data import exit_code, new_document, section, summarise
from backsmooth.report.page import render_page
from backsmooth.report.plots import check_plot
from backsmooth.report import build_report, plan
from backsmooth.symbolic import claims

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Collects images, provenance badges, ids and every URL-bearing attribute."""

    def __init__(self):
        super().__init__()
        self.images, self.badges, self.ids, self.urls, self.tags = [], [], set(), [], set()
        self._badge = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.images.append(a.get("src", ""))
        for key in ("src", "href", "srcset", "action", "data", "poster"):
            if key in a:
                self.urls.append(a[key])
        cls = a.get("class") or ""
        self._badge = cls if "badge" in cls.split() else None

    def handle_data(self, data):
        if self._badge and "prov-" in self._badge:
            self.badges.append(data)
        self._badge = None


def _parse(text):
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _decode(uri):
    head, _, payload = uri.partition(",")
    assert head in ("data:image/png;base64", "data:image/svg+xml;base64"), head[:60]
    raw = base64.b64decode(payload, validate=True)
    if head == "data:image/png;base64":
        assert raw.startswith(PNG_MAGIC)
    else:
        assert b"<svg" in raw[:2000]
    return raw


def _assert_offline(text, page):
    for url in page.urls:
        assert not url.lower().startswith(("http://", "https://", "//")), url
    assert "url(http" not in text.lower()
    assert not {"script", "link", "iframe"} & page.tags


def _claim_blocks(text):
    """Map claim name -> the HTML of its block on the page."""
    out = {}
    for name in claims():
        start = text.index(f'<section class="claim" id="claim-{name}">')
        out[name] = text[start:text.index("</section>", start)]
    return out


# ---------------------------------------------------------------- page from fake data
def _fake_document(tmp_path, violations=0, proof_passed=True):
    """A results document of two claims with hand-made sections (no component runs)."""
    rows = [{"claim": "theorem1", "part": "uniform", "measured": 0.5, "bound": 1.0,
             "ratio": 0.5, "verdict": "holds", "relation": "<=", "resolvable": True},
            {"claim": "theorem1", "part": "uniform", "measured": 2.0, "bound": 1.0,
             "ratio": 2.0, "verdict": "violated" if violations else "holds",
             "relation": "<=", "resolvable": True}]
    (tmp_path / "checks").mkdir(parents=True)
    check_plot(rows, tmp_path / "checks" / "t1.png", "theorem1")
    doc = new_document({"profile": "fake", "seed": 3})
    doc["claims"] = ["lemma1", "theorem1"]
    secs = doc["sections"]
    for name, prov in (("lemma1", "reconstruction"), ("theorem1", "paper")):
        secs[f"claim/{name}"] = section("claim", name, "done", 0.0, {
            "name": name, "title": f"title of {name}", "provenance": prov,
            "provenance_note": "note", "hypotheses": ["A1"],
            "statement": [{"latex": r"\mathcal{E}(X^{(k)}) \leq \lambda^{k}", "text": "E <= l^k"}]})
    secs["derivation/theorem1"] = section("derivation", "theorem1", "done", 0.1, {
        "verified": True, "steps": [{"description": "chain", "latex": r"a \leq b",
                                     "text": "a <= b", "verified": True, "method": "simplify"}]})
    secs["proof/theorem1"] = section("proof", "theorem1", "done", 0.1, {
        "passed": proof_passed, "weakest": "checked on instances", "chain_error": None,
        "failed_steps": [] if proof_passed else ["s1"], "dependencies": [], "notes": [],
        "steps": [{"label": "s1", "asserts": "x <= y", "latex": r"x \le y", "reason": "why",
                   "uses": ["A1"], "kind": "checked on instances",
                   "strength": "checked on instances", "passed": proof_passed,
                   "detail": "3 instances"}]})
    secs["proof/lemma1"] = section("proof", "lemma1", "error", 0.0, None, "KeyError: boom\ntb")
    summary = {"instances": 2, "checks": 2, "holds": 2 - violations, "violations": violations,
               "hypotheses_not_met": 0, "tightest_ratio": 0.5}
    secs["check/theorem1"] = section("check", "theorem1", "done", 0.2, {
        "claims": ["theorem1"], "summary": summary, "notes": ["a note"],
        "per_claim": {"theorem1": {"summary": summary, "plot": "checks/t1.png"}},
        "provenance": {"theorem1": "paper"}, "files": ["checks/t1.png"]})
    return doc


class TestRenderPage:
    def test_fake_document_is_an_offline_page(self, tmp_path):
        text = render_page(_fake_document(tmp_path), tmp_path)
        page = _parse(text)
        _assert_offline(text, page)
        assert {"claim-lemma1", "claim-theorem1"} <= page.ids
        assert page.badges.count("[paper]") >= 1 and "[reconstruction]" in page.badges
        assert page.images, "the statement, the derivation and the check plot are images"
        for uri in page.images:
            _decode(uri)
        assert "crashed: KeyError: boom" in text  # a crashed section is shown, not hidden

    def test_mathtext_rejected_shorthand_is_typeset(self, tmp_path):
        # the proof step's "\le" is not mathtext; the page rewrites it to "\leq"
        text = render_page(_fake_document(tmp_path), tmp_path)
        assert 'alt="x \\le y"' in text and 'class="latex"' not in text

    def test_violation_and_failed_step_give_exit_code_1(self, tmp_path):
        ok = _fake_document(tmp_path / "a")
        del ok["sections"]["proof/lemma1"]
        assert exit_code(summarise(ok)) == 0
        bad = _fake_document(tmp_path / "b", violations=1)
        del bad["sections"]["proof/lemma1"]
        assert summarise(bad)["violations"] == 1 and exit_code(summarise(bad)) == 1
        step = _fake_document(tmp_path / "c", proof_passed=False)
        del step["sections"]["proof/lemma1"]
        assert exit_code(summarise(step)) == 1

    def test_crashed_section_gives_exit_code_1(self, tmp_path):
        assert exit_code(summarise(_fake_document(tmp_path))) == 1


class TestFormulasInWorkers:
    """The report typesets the page's formulas in its workers (section_formulas lists them,
    preset_formulas hands the pictures to the page): the same fragments, the same pictures."""

    def test_section_formulas_are_what_the_page_typesets(self, tmp_path, monkeypatch):
        from backsmooth.report import html
        from backsmooth.report.page import section_formulas

        doc = _fake_document(tmp_path)
        listed = {f for sec in doc["sections"].values() for f in section_formulas(sec)}
        asked = set()
        monkeypatch.setattr(html, "math_image",
                            lambda latex, size=15.0: asked.add((latex, float(size))))
        render_page(doc, tmp_path)
        assert asked and listed == asked
        assert (r"\mathcal{E}(X^{(k)}) \leq \lambda^{k}", 18.0) in listed  # a statement

    def test_preset_picture_is_used_then_forgotten(self, monkeypatch):
        from backsmooth.report import html

        typeset = []
        monkeypatch.setattr(html, "math_image", lambda latex, size=15.0: typeset.append(latex))
        html.preset_formulas([("q^2", 15.0)], ["data:image/svg+xml;base64,UFJFU0VU"])
        try:
            assert "UFJFU0VU" in html.formula("q^2", "q**2") and typeset == []
        finally:
            html.clear_preset_formulas()
        html.formula("q^2", "q**2")
        assert typeset == ["q^2"]

    def test_a_worker_typesets_the_same_picture(self, monkeypatch):
        # the SVG's date is the only part that depends on when it was drawn: pinned here
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
        from backsmooth.parallel import process_pool
        from backsmooth.report.html import _typeset

        latex = r"\|\bar{b}^{(k)}\| \leq \lambda s_{k+1} \frac{1}{n}"
        with process_pool(1) as pool:
            there = pool.submit(_typeset, latex, 15.0).result()
        here = _typeset(latex, 15.0)
        assert here is not None and there == here


class TestPlan:
    def test_every_claim_has_its_derivation_and_proof(self):
        keys = plan("quick", claims())
        for name in claims():
            assert {f"claim/{name}", f"derivation/{name}", f"proof/{name}"} <= set(keys)
        assert {"figure/1", "figure/2", "environment/environment"} <= set(keys)

    def test_unknown_profile(self):
        with pytest.raises(ValueError, match="unknown profile 'huge'"):
            plan("huge", claims())

    def test_bad_seed(self, tmp_path):
        with pytest.raises(ValueError, match="seed must be a non-negative integer"):
            build_report(tmp_path, profile="tiny", seed=-1)


# ---------------------------------------------------------------- end to end (real components)
def _cli(argv):
    parser = argparse.ArgumentParser(prog="backsmooth")
    _cmd_report.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", *argv])
    return args.func(args)


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    code = _cli(["--tiny", "--out", str(out), "--seed", "0", "--no-progress"])
    return out, code


class TestReportEndToEnd:
    def test_exit_code_and_files(self, tiny_report, capsys):
        out, code = tiny_report
        assert code == 0
        assert (out / "index.html").is_file() and (out / "results.json").is_file()
        doc = json.loads((out / "results.json").read_text())
        assert doc["claims"] == list(claims())
        assert all(s["status"] == "done" for s in doc["sections"].values()), [
            k for k, s in doc["sections"].items() if s["status"] != "done"]
        for rel in doc["files"]:
            assert (out / rel).is_file(), rel
            if rel.endswith(".json"):
                json.loads((out / rel).read_text())
        assert any(f.startswith("figures/figure1") for f in doc["files"])

    def test_page_is_complete_and_offline(self, tiny_report):
        out, _ = tiny_report
        text = (out / "index.html").read_text(encoding="utf-8")
        page = _parse(text)
        _assert_offline(text, page)
        blocks = _claim_blocks(text)
        for name, block in blocks.items():
            c_badges = _parse(block).badges
            assert any(b in ("[paper]", "[reconstruction]", "[extension]") for b in c_badges), name
            assert "proof" in block and "derivation" in block
        kinds = {uri.split(";")[0] for uri in page.images}
        assert kinds == {"data:image/png", "data:image/svg+xml"}
        for uri in page.images:
            _decode(uri)

    def test_resume_reuses_finished_sections(self, tiny_report, tmp_path):
        out, _ = tiny_report
        copy = tmp_path / "copy"
        shutil.copytree(out, copy)
        before = json.loads((copy / "results.json").read_text())["sections"]
        outcome = build_report(copy, profile="tiny", seed=0, resume=True, progress=False)
        after = json.loads((copy / "results.json").read_text())["sections"]
        assert outcome.exit_code == 0
        assert {k: s["seconds"] for k, s in after.items()} == \
            {k: s["seconds"] for k, s in before.items()}

    def test_violated_check_gives_exit_code_1(self, tiny_report, tmp_path, monkeypatch):
        """A check fed a wrong bound (1e-3 x Theorem 1) reports violations; the report exits 1."""
        import backsmooth.checks as checks

        real = checks.check

        def wrong_theorem1(name, **settings):
            if name == "theorem1":
                settings["bound_override"] = {("theorem1", "uniform"): lambda **v: 1e-3 * (
                    v["lam"] * v["s"]) ** v["k"] * v["E_X0"]}
            return real(name, **settings)

        monkeypatch.setattr(checks, "check", wrong_theorem1)
        out, _ = tiny_report
        copy = tmp_path / "copy"
        shutil.copytree(out, copy)
        doc = json.loads((copy / "results.json").read_text())
        del doc["sections"]["check/theorem1"]
        (copy / "results.json").write_text(json.dumps(doc))
        # cache=False: the result cache would serve the real (unpatched) check's result
        outcome = build_report(copy, profile="tiny", seed=0, resume=True, jobs=1,
                               progress=False, cache=False)
        assert outcome.summary["violations"] > 0
        assert outcome.exit_code == 1
        text = (copy / "index.html").read_text(encoding="utf-8")
        assert "PROBLEMS FOUND" in text
        assert 'st-bad">violated' in _claim_blocks(text)["theorem1"]


# ---------------------------------------------------------------- worker count under contention
# build_report keeps one task more in flight (a pool of jobs + 1) once CoreShare finds the
# workers contended; a pinned count (jobs=N, $BACKSMOOTH_JOBS) is used as it is; the results
# do not depend on it.
class _AlwaysContended(CoreShare):
    def contended(self):
        return self.wall > 0


def _rerun(tiny_report, tmp_path, monkeypatch, drop, **kw):
    """Recompute the sections ``drop`` of a copy of the tiny report; the pool sizes asked for."""
    copy = tmp_path / "copy"
    shutil.copytree(tiny_report[0], copy)
    doc = json.loads((copy / "results.json").read_text())
    for key in drop:
        del doc["sections"][key]
    (copy / "results.json").write_text(json.dumps(doc))
    pools, real = [], parallel.process_pool

    def recording_pool(jobs, **pool_kw):
        pools.append(jobs)
        return real(jobs, **pool_kw)

    monkeypatch.setattr(parallel, "process_pool", recording_pool)
    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    outcome = build_report(copy, profile="tiny", seed=0, resume=True, progress=False,
                           cache=False, **kw)
    return outcome, json.loads((copy / "results.json").read_text()), pools


DROP = ["check/lemma1", "check/theorem1", "check/lemma2", "check/corollary1"]


def test_contended_workers_get_one_more_and_the_same_results(tiny_report, tmp_path, monkeypatch):
    monkeypatch.delenv("BACKSMOOTH_JOBS", raising=False)
    monkeypatch.setattr(parallel, "CoreShare", _AlwaysContended)
    outcome, doc, pools = _rerun(tiny_report, tmp_path, monkeypatch, DROP)
    assert outcome.exit_code == 0
    assert pools == [3]  # room for the extra worker
    assert doc["settings"]["jobs"] == 2
    assert doc["workers"]["started"] == 2 and doc["workers"]["added"] == 1
    before = json.loads((tiny_report[0] / "results.json").read_text())["sections"]
    for key in DROP:
        assert doc["sections"][key]["data"] == before[key]["data"], key
    assert "plus 1 added after" in (tmp_path / "copy" / "index.html").read_text(encoding="utf-8")


def test_quiet_workers_get_none_more(tiny_report, tmp_path, monkeypatch):
    monkeypatch.delenv("BACKSMOOTH_JOBS", raising=False)
    monkeypatch.setattr(parallel, "CoreShare", lambda: CoreShare(threshold=1e-9))
    _, doc, pools = _rerun(tiny_report, tmp_path, monkeypatch, DROP)
    assert pools == [3] and doc["workers"]["added"] == 0


@pytest.mark.parametrize("pin", ["argument", "environment"])
def test_a_pinned_count_is_used_as_it_is(tiny_report, tmp_path, monkeypatch, pin):
    monkeypatch.setattr(parallel, "CoreShare", _AlwaysContended)
    if pin == "environment":
        monkeypatch.setenv("BACKSMOOTH_JOBS", "2")
        kw = {}
    else:
        monkeypatch.delenv("BACKSMOOTH_JOBS", raising=False)
        kw = {"jobs": 2}
    _, doc, pools = _rerun(tiny_report, tmp_path, monkeypatch, DROP[:2], **kw)
    assert pools == [2] and "workers" not in doc


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True])
def test_bad_jobs_is_refused(tmp_path, jobs):
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        build_report(tmp_path, profile="tiny", jobs=jobs, progress=False)
