"""The report page: ``results.json`` (see :mod:`backsmooth.report.data`) rendered as HTML.

:func:`render_page` is a pure function of the results document and the output folder
(where the images the document names are read from and embedded as base64), so the page
can be built, and tested, from any document, including a partial or a fake one.

Layout: header and overall verdict; a table of contents (one row per claim, in paper
order, with its provenance badge and the status of its derivation, proof and check);
one block per claim (title, provenance badge and note, hypotheses, statement, derivation
steps, proof steps, numeric check summary and plots); checks beyond the registry; the
figures; the environment (versions, platform, seed, time per section); the files written.

Examples
--------
>>> from backsmooth.report.data import new_document
>>> page = render_page(new_document({"profile": "quick", "seed": 0}), ".")
>>> page.startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

from .html import CSS, badge, esc, fmt, formula, status_badge, table
from .html import error_block as _error
from .html import figure_img as _img
from .html import kv_table as _kv
from .data import summarise

__all__ = ["render_page", "fmt", "cache_note", "section_formulas"]


def _section_status(sec, ok_key) -> str:
    if sec is None:
        return "not run"
    if sec["status"] != "done":
        return sec["status"]
    return "passed" if sec["data"].get(ok_key) else "failed"


def cache_note(sec) -> str:
    """'Served from the result cache, computed at ...' for a section that was, else ''."""
    if not (sec or {}).get("cached"):
        return ""
    took = sec.get("compute_seconds")
    took = f" in {fmt(took, 3)} s" if took is not None else ""
    return (f'<p class="note cached">served from the result cache: computed '
            f'{esc(sec.get("computed") or "at an unrecorded time")}{took} by the same sources, '
            f"settings, seed and machine (<code>--no-cache</code> recomputes)</p>")


def _rendered(sec, missing, render) -> str:
    """A derivation or proof section: ``render(data, seconds)`` when it ran, else why not."""
    if sec is None:
        return '<p class="note">not run</p>'
    if sec["status"] == "not covered":
        return f'<p class="note">{esc(sec.get("error") or missing)}</p>'
    if sec["status"] == "error":
        return _error(sec)
    return cache_note(sec) + render(sec["data"], sec["seconds"])


def _derivation(sec) -> str:
    from ..derivation_view import derivation_html

    return _rendered(sec, "no derivation for this claim",
                     lambda d, seconds: derivation_html(d.get("steps", []), seconds))


def _proof(sec) -> str:
    from ..proof_view import proof_html

    return _rendered(sec, "no proof for this claim", proof_html)


_PLOT_CAPTION = ("left: each row's measured value against its bound (an upper bound holds on or "
                 "below the dashed line, a lower bound on or above it); right: histogram of "
                 "measured/bound over the rows whose hypotheses hold (1 = tight, above 1 = "
                 "violated), or of the relative deviation when the claim is an identity")
_STANDARD = {"instances", "checks", "holds", "violations", "hypotheses_not_met", "tightest_ratio",
             "unresolved", "judged", "loose_parts",
             "tightest_case", "max_identity_deviation", "rate", "worst_violation", "parts"}


def _summary_pairs(s) -> list:
    pairs = [("instances", fmt(s.get("instances"))), ("checked rows", fmt(s.get("checks"))),
             ("holds", fmt(s.get("holds"))), ("violations", fmt(s.get("violations"))),
             ("unresolved (round-off floor >= bound)", fmt(s.get("unresolved", 0))),
             ("hypotheses not met", fmt(s.get("hypotheses_not_met")))]
    if s.get("tightest_ratio") is not None:
        tc = s.get("tightest_case") or {}
        rerun = ", ".join(f"{k}={v}" for k, v in (tc.get("rerun") or {}).items())
        pairs.append(("tightest case", esc(
            f"ratio measured/bound {fmt(s['tightest_ratio'], 6)} (part {tc.get('part')}, "
            f"layer {fmt(tc.get('layer'))}, measured {fmt(tc.get('measured'))}, bound "
            f"{fmt(tc.get('bound'))})") + (f"<br><code>{esc(rerun)}</code>" if rerun else "")))
    if s.get("max_identity_deviation") is not None:
        pairs.append(("max identity deviation", fmt(s["max_identity_deviation"])))
    if s.get("rate"):
        r = s["rate"]
        pairs.append(("fitted vs predicted rate", esc(
            f"median fitted {fmt(r.get('median_fitted'))} vs predicted "
            f"{fmt(r.get('median_predicted'))}; max fitted/predicted "
            f"{fmt(r.get('max_fitted_over_predicted'))} over {r.get('instances')} instances")))
    for part, lp in (s.get("loose_parts") or {}).items():
        pairs.append((f"loose part {part}", esc(
            f"tightest ratio {fmt(lp.get('max_ratio'), 3)} < 0.5: {lp.get('reason')}")))
    if s.get("worst_violation"):
        w = s["worst_violation"]
        pairs.append(("worst violation", esc(", ".join(f"{k}={v}" for k, v in w.items()))))
    return pairs


def _value(v) -> str:
    """HTML of a summary value: nested dicts as nested key-value tables."""
    if isinstance(v, dict):
        return _kv((k.replace("_", " "), _value(x)) for k, x in v.items())
    if isinstance(v, list):
        return esc(", ".join(fmt(x) if not isinstance(x, (dict, list)) else str(x) for x in v))
    return esc(fmt(v))


def _check(sec, out_dir, claim=None) -> str:
    """A numeric check, restricted to the rows of ``claim`` when it covers several claims."""
    name = sec["name"]
    if sec["status"] == "error":
        return f"<h4>numeric check {esc(name)}</h4>" + _error(sec)
    d = sec["data"]
    per = d.get("per_claim") or {}
    own = per.get(claim) if claim else None
    s = own["summary"] if own else d.get("summary", {})
    verdict = "violated" if s.get("violations") else "holds"
    scope = (f" &middot; rows of {esc(claim)}" if own and len(per) > 1 else "")
    prov = (d.get("provenance") or {}).get(claim) if claim else None
    ext = " " + badge("[extension]", "prov-extension") if prov == "extension" else ""
    out = [f'<h4>numeric check <code>{esc(name)}</code>{scope}{ext} '
           f'{status_badge(verdict)}</h4>']
    if d.get("title"):
        out.append(f'<p>{esc(d["title"])}</p>')
    pairs = _summary_pairs(s)
    home = claim is None or claim == name or (name not in per and claim == next(iter(per), None))
    if home:
        whole = d.get("summary", {})
        pairs += [(k.replace("_", " "), _value(v)) for k, v in whole.items()
                  if k not in _STANDARD]
    pairs.append(("time (whole check)", f"{fmt(sec['seconds'], 3)} s"))
    out.append(_kv(pairs))
    parts = s.get("parts") or {}
    if parts:
        head = ["part", "rows", "violations", "unresolved", "hypotheses not met", "max ratio"]
        rows = [[p, v.get("checks"), v.get("violations"), v.get("unresolved", 0),
                 v.get("hypotheses_not_met"),
                 fmt(v.get("max_ratio"), 6)] for p, v in parts.items()]
        if any(v.get("rate") for v in parts.values()):
            head.append("median fitted vs predicted rate (instances)")
            for row, v in zip(rows, parts.values()):
                r = v.get("rate") or {}
                row.append(f"{fmt(r.get('median_fitted'))} vs {fmt(r.get('median_predicted'))} "
                           f"({r.get('instances')})" if r else "-")
        out.append(table(head, rows))
    if home:
        for n in d.get("notes", []):
            out.append(f'<p class="note">note: {esc(n)}</p>')
    elif len(per) > 1:
        others = [c for c in per if c != claim]
        out.append(f'<p class="note">The check {esc(name)} also covers {esc(", ".join(others))};'
                   " its check-wide notes are shown there.</p>")
    if d.get("settings_note"):
        out.append(f'<p class="note">{esc(d["settings_note"])}</p>')
    if d.get("settings") and home:
        out.append("<details><summary>settings used (re-run with "
                   f"<code>backsmooth.check({esc(repr(name))}, **settings)</code>)</summary>"
                   f"<pre>{esc(d['settings'])}</pre></details>")
    shown = [own] if own else list(per.values())
    plots = [e["plot"] for e in shown if e.get("plot")]
    if plots:
        out.append('<div class="plots">' + "".join(_img(out_dir, p, _PLOT_CAPTION)
                                                    for p in plots) + "</div>")
    if d.get("files") and home:
        out.append(f'<p class="note">data: {esc(", ".join(d["files"]))}</p>')
    if home:
        out.append(cache_note(sec))
    return "".join(out)


def _statement(data) -> list:
    return [formula(st.get("latex"), st.get("text"), size=18.0)
            for st in data.get("statement", [])]


def section_formulas(sec) -> list:
    """The formula fragments ``(latex, size)`` the page typesets for the claim, derivation or
    proof section ``sec`` (each once, in page order; other kinds: none).  The report typesets
    them in its worker processes while other sections still run."""
    from .html import collecting_formulas

    if not sec or sec.get("status") != "done":
        return []
    with collecting_formulas() as found:
        if sec["kind"] == "claim":
            _statement(sec["data"])
        elif sec["kind"] == "derivation":
            _derivation(sec)
        elif sec["kind"] == "proof":
            _proof(sec)
    return list(dict.fromkeys(found))


def _claim(doc, name, checks, out_dir) -> str:
    secs = doc["sections"]
    c = secs.get(f"claim/{name}")
    if c is None or c["status"] != "done":
        body = _error(c) if c else '<p class="note">registry entry not read</p>'
        return f'<section class="claim" id="claim-{esc(name)}"><h3>{esc(name)}</h3>{body}</section>'
    d = c["data"]
    prov = d.get("provenance", "?")
    out = [f'<section class="claim" id="claim-{esc(name)}">',
           f'<h3>{esc(d.get("title"))} <span class="name">({esc(name)})</span> '
           f'{badge("[" + prov + "]", "prov-" + prov)}</h3>',
           f'<p class="note">provenance: {esc(prov)}: {esc(d.get("provenance_note"))}</p>']
    hyps = d.get("hypotheses") or []
    out.append("<p><b>Hypotheses:</b> " + (esc(", ".join(hyps)) if hyps else "none") + "</p>")
    out.append("<h4>statement</h4>")
    out += _statement(d)
    out.append("<h4>derivation</h4>" + _derivation(secs.get(f"derivation/{name}")))
    out.append("<h4>proof</h4>" + _proof(secs.get(f"proof/{name}")))
    mine = sorted((s for s in checks if name in s["data"].get("claims", [])),
                  key=lambda s: (s["data"].get("provenance", {}).get(name) == "extension",
                                 s["name"] != name))
    if not mine:
        out.append('<h4>numeric check</h4><p class="note">no numeric check covers this claim'
                   "</p>")
    out += [_check(s, out_dir, name) for s in mine]
    out.append("</section>")
    return "".join(out)


def _figure(sec, out_dir) -> str:
    d = sec.get("data", {})
    title = d.get("title") or sec["name"]
    out = [f'<figure class="fig" id="figure-{esc(sec["name"])}"><h3>{esc(title)}</h3>']
    if sec["status"] == "error":
        out.append(_error(sec))
    for rel in d.get("images", []):
        out.append(_img(out_dir, rel))
    if d.get("caption"):
        out.append(f"<figcaption>{esc(d['caption'])}</figcaption>")
    if d.get("facts"):
        out.append(_kv((k.replace("_", " "), esc(fmt(v))) for k, v in d["facts"].items()))
    if d.get("settings_note"):
        out.append(f'<p class="note">{esc(d["settings_note"])}</p>')
    if d.get("files"):
        out.append(f'<p class="note">data: {esc(", ".join(d["files"]))} '
                   f'({fmt(sec["seconds"], 3)} s)</p>')
    out.append(cache_note(sec))
    out.append("</figure>")
    return "".join(out)


def _claim_summary(sec, claim) -> dict:
    per = sec["data"].get("per_claim") or {}
    return (per.get(claim) or {}).get("summary") or sec["data"].get("summary", {})


def _toc(doc, checks) -> str:
    rows = []
    for name in doc.get("claims", []):
        c = doc["sections"].get(f"claim/{name}")
        prov = c["data"].get("provenance", "?") if c and c["status"] == "done" else "?"
        title = c["data"].get("title", "") if c and c["status"] == "done" else ""
        mine = [s for s in checks if name in s["data"].get("claims", [])]
        if not mine:
            chk = "not covered"
        elif any(s["status"] == "error" for s in mine):
            chk = "error"
        else:
            chk = "violated" if any(_claim_summary(s, name).get("violations")
                                    for s in mine) else "holds"
        rows.append((("html", f'<a href="#claim-{esc(name)}">{esc(name)}</a>'), title,
                     ("html", badge("[" + prov + "]", "prov-" + prov)),
                     ("html", status_badge(_section_status(
                         doc["sections"].get(f"derivation/{name}"), "verified"))),
                     ("html", status_badge(_section_status(
                         doc["sections"].get(f"proof/{name}"), "passed"))),
                     ("html", status_badge(chk))))
    return ('<nav class="toc"><h2>Claims</h2>'
            + table(["claim", "title", "provenance", "derivation", "proof", "numeric check"],
                    rows) + "</nav>")


def _environment(doc) -> str:
    env = doc["sections"].get("environment/environment")
    out = ['<h2 id="environment">Environment</h2>']
    st = doc.get("settings", {})
    out.append(_kv([("settings", esc(", ".join(f"{k}={v}" for k, v in st.items()))),
                    ("started", esc(doc.get("started"))), ("finished", esc(doc.get("finished")))]))
    if env and env["status"] == "done":
        d = env["data"]
        out.append(_kv([(k, esc(v)) for k, v in d.get("platform", {}).items()]))
        out.append(table(["package", "version"], sorted(d.get("packages", {}).items()),
                         cls="data narrow"))
    times = {}
    for s in doc["sections"].values():
        t = times.setdefault(s["kind"], [0, 0.0, 0.0])
        t[0] += 1
        t[1] += float(s.get("seconds", 0.0))
        t[2] += float(s.get("cpu_seconds", 0.0))
    out.append("<h3>Run time per section</h3>")
    wall = doc.get("wall_seconds")
    workers = doc.get("workers") or {}
    added = (f", plus {esc(workers['added'])} added after {fmt(workers['after_seconds'], 3)} s of "
             f"sections in which the workers got {fmt(workers['share'], 2)} of a core each "
             "(another process shared the cores)" if workers.get("added") else "")
    out.append(f"<p>Wall-clock time of the whole run: {fmt(wall, 4)} s (sections run in "
               f"{esc(st.get('jobs', 1))} worker process(es){added}, so section times add up to "
               "more). CPU seconds are those of the section's process.</p>" if wall else "")
    out.append(table(["section kind", "count", "seconds (wall, summed)", "CPU seconds"],
                     [(k, v[0], f"{v[1]:.2f}", f"{v[2]:.2f}") for k, v in times.items()],
                     cls="data narrow"))
    slow = sorted(doc["sections"].items(), key=lambda kv: -float(kv[1].get("seconds", 0)))
    hits = [s for s in doc["sections"].values() if s.get("cached")]
    if hits:
        out.append(f"<p>{len(hits)} of {len(doc['sections'])} sections were served from the "
                   "result cache (their times are the time to read them; the table gives when "
                   "each was computed).</p>")
    out.append("<details><summary>every section, slowest first</summary>"
               + table(["section", "status", "seconds (wall)", "CPU seconds", "from the cache"],
                       [(k, s["status"], f"{float(s.get('seconds', 0)):.2f}",
                         f"{float(s.get('cpu_seconds', 0)):.2f}",
                         f"computed {s.get('computed')}" if s.get("cached") else "no")
                        for k, s in slow],
                       cls="data narrow")
               + "</details>")
    return "".join(out)


def _runtime(doc, summ) -> str:
    wall = doc.get("wall_seconds")
    if wall:
        return f"{wall:.1f} s wall clock ({summ['seconds']:.1f} s summed over sections)"
    return f"{summ['seconds']:.1f} s summed over sections"


def render_page(doc: dict, out_dir) -> str:
    """The report page (one self-contained HTML string) for the results document ``doc``."""
    summ = summarise(doc)
    checks = [s for s in doc["sections"].values() if s["kind"] == "check"]
    failed = (summ["violations"] or summ["proofs_failed"] or summ["proof_steps_failed"]
              or summ["derivations_failed"] or summ["errors"])
    st = doc.get("settings", {})
    head = (f'<h1>backsmooth report</h1><p class="sub">Executable companion to <i>Backward '
            f"Oversmoothing: why is it hard to train deep Graph Neural Networks?</i> (N. Keriven, "
            f"2025, arXiv 2505.16736). Profile <b>{esc(st.get('profile'))}</b>, seed "
            f"{esc(st.get('seed'))}. Every claim carries its provenance: "
            f"{badge('[paper]', 'prov-paper')} stated in the paper, "
            f"{badge('[reconstruction]', 'prov-reconstruction')} our precise or corrected "
            f"version, {badge('[extension]', 'prov-extension')} beyond the paper. Proof steps carry "
            f"their evidence: {status_badge('all_sizes_identity')} (identity for symbolic n, d, L) "
            f"and {status_badge('rule')} (inequality licensed by named rules with checked side "
            f"conditions) are proof; {status_badge('fixed_size_identity')} (one stated size) and "
            f"{status_badge('instances')} (exact rational and random float instances) are not. "
            f"A proof's strength is its weakest step, cited claims included.</p>")
    errs = ("<br>crashed sections: " + esc(", ".join(summ["errors"]))) if summ["errors"] else ""
    box = (f'<div class="summary {"bad" if failed else "ok"}"><b>'
           f'{"PROBLEMS FOUND" if failed else "All claims hold"}</b>: {summ["claims"]} claims; '
           f'proofs passed {summ["proofs_passed"]}/{summ["proofs"]} '
           f'({summ["proofs_symbolic"]} proofs for every size, {summ["proof_steps_failed"]} failed steps '
           f'of {summ["proof_steps"]}); derivations passed {summ["derivations_verified"]}/'
           f'{summ["derivations"]}; numeric checks: {summ["checks"]} checks, '
           f'{summ["instances"]} instances, <b>{summ["violations"]} violations</b>, '
           f'{summ.get("unresolved", 0)} rows unresolved (round-off floor at or above the '
           f'bound), {summ["hypotheses_not_met"]} rows with hypotheses not met; figures '
           f'{summ["figures_done"]}/{summ["figures"]}; run time {_runtime(doc, summ)}.{errs}</div>')
    if st.get("note"):
        box += f'<p class="note">{esc(st["note"])}</p>'
    body = [head, box, _toc(doc, checks), "<h2>Claims, derivations, proofs and checks</h2>"]
    body += [_claim(doc, name, checks, out_dir) for name in doc.get("claims", [])]
    known = set(doc.get("claims", []))
    extra = [s for s in doc["sections"].values()
             if s["kind"] == "derivation" and s["name"] not in known]
    if extra:
        body.append("<h2>Further derivations</h2>")
        body += [f'<section class="claim" id="derivation-{esc(s["name"])}"><h3>{esc(s["name"])}'
                 f"</h3>{_derivation(s)}</section>" for s in extra]
    loose = [s for s in checks if not set(s["data"].get("claims", [])) & known]
    if loose:
        body.append("<h2>Checks beyond the registry</h2>")
        body += [f'<section class="claim">{_check(s, out_dir)}</section>' for s in loose]
    figs = [s for s in doc["sections"].values() if s["kind"] == "figure"]
    body.append('<h2 id="figures">Figures</h2>')
    body += [_figure(s, out_dir) for s in figs] or ['<p class="note">no figure was run</p>']
    body.append(_environment(doc))
    files = doc.get("files", [])
    if files:
        body.append("<h2>Files behind this page</h2><p class=\"note\">"
                    + esc(", ".join(files)) + "</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>backsmooth report</title><style>" + CSS + "</style></head><body><main>"
            + "".join(body) + "</main></body></html>\n")
