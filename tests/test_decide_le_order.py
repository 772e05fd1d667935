"""``proofs.rule_base._decide_le`` tries the route on logarithms before the direct decision:
the same verdicts and the same exceptions as the direct-first order it replaced."""

import pytest
import sympy as sp

from backsmooth.proofs import rule_base
from backsmooth.proofs.checks import _decided_nonnegative

x, u, v, w, h = sp.symbols("x u v w h", positive=True)


def _direct_first(a, b, rep=None):
    # the order before session 7, verbatim: the reference for the verdicts
    a, b = sp.sympify(a).subs(rep or {}), sp.sympify(b).subs(rep or {})
    if _decided_nonnegative(b - a):
        return True
    for p, q in ((a, b), (sp.factor(sp.simplify(a)), sp.factor(sp.simplify(b)))):
        if p.is_positive and q.is_positive:
            if _decided_nonnegative(sp.expand_log(sp.log(q) - sp.log(p), force=True)):
                return True
            ratio = sp.powsimp(sp.simplify(q / p), force=True)
            if _decided_nonnegative(sp.expand_log(sp.log(ratio), force=True)):
                return True
        elif p.is_nonnegative and q.is_nonnegative:
            ratio = sp.powsimp(sp.simplify(q / p), force=True)
            if _decided_nonnegative(ratio - 1) or (ratio.is_positive and _decided_nonnegative(
                    sp.expand_log(sp.log(ratio), force=True))):
                return True
    return False


CASES = [
    (x, 2 * x, None), (w, w, None), (1 / (w + 1), 1, None), ((w + 1)**(-2 * h), 1, None),
    ((w + 1)**(-2 * h), (w + 1)**(-h), None),   # false: the logs fail, then the direct forms
    (x**2, x, None), (sp.Symbol("r", real=True), 1, None),
    (sp.Symbol("lam"), 1, {sp.Symbol("lam"): 1 / (1 + u)}),
]


@pytest.mark.parametrize("a, b, rep", CASES)
def test_same_verdict_as_the_direct_first_order(a, b, rep):
    assert rule_base._decide_le(a, b, rep) == _direct_first(a, b, rep)


def test_a_failing_log_route_changes_nothing_where_the_direct_decision_holds(monkeypatch):
    def boom(a, b):
        raise ZeroDivisionError("log route")
    monkeypatch.setattr(rule_base, "_decide_le_on_logs", boom)
    assert rule_base._decide_le(x, 2 * x) is True       # the direct order never reached the logs


def test_a_failing_log_route_raises_where_the_direct_decision_fails(monkeypatch):
    def boom(a, b):
        raise ZeroDivisionError("log route")
    monkeypatch.setattr(rule_base, "_decide_le_on_logs", boom)
    with pytest.raises(ZeroDivisionError):                # as the direct-first order raised it
        rule_base._decide_le((w + 1)**(-2 * h), 1)
