"""Inequalities licensed by named rules whose side conditions the engine checks.

A *rule chain* starts from an expression in norms of matrix expressions (non-commuting
symbols of :mod:`backsmooth.proofs.algebra`) and scalar parameters, and applies named rules
(:data:`RULES`) one at a time to a sub-term.  Each rule is a small function: it checks that
the term has its pattern and its side conditions (which norm pair, which hypothesis), and
returns the bound it licenses, so the chain cannot claim a bound no rule gives.  An
inequality rule applied inside a larger expression needs that expression to be
non-decreasing in the term: the rule ``monotone`` (derivative non-negative, decided by sympy,
all norms and parameters non-negative) is checked every time.  Hypotheses a rule needs must
be cited by the step; a cited fact (:func:`cite`) must be named in the step's ``uses``.
The chain must end exactly at the stated bound (scalar identity), or reach it by a scalar
inequality decided by sympy.  Evidence kind ``rule``.

Examples
--------
>>> import sympy as sp
>>> from backsmooth.proofs.algebra import matrix
>>> X, W = matrix("X"), matrix("W^(k)")
>>> chain = RuleChain(Fro(PI * X * W), [("submultiplicative", Fro(PI * X * W), {"split": 2, "pair": "F,2"}),
...                                     ("weight norm", Spec(W), {"k": "k"})],
...                   target=Fro(PI * X) * sp.Symbol("s_k", positive=True))
>>> chain().passed
True
"""

from __future__ import annotations

# one import path for the whole engine: the norms, the registry, the rules and the chains
from . import rules_basic as _rules_basic  # noqa: F401  (registers the basic rules)
from .chains import AllOf, ByInduction, RuleChain, _WithFacts  # noqa: F401
from .norms import (PI, MONOTONE, SETTING_S, E, Fro, Had, Inf, Max, Row, Spec, _Norm, c_rho,  # noqa: F401
                    lam, s)
from .rule_base import RULES, Licence, RuleError, _decide_le, _monotone, _need, _word, rule  # noqa: F401
from .rules_basic import SUBMULT, cite  # noqa: F401
from . import rules_columns as _rules_columns  # noqa: E402,F401  (registers their rules)
from . import rules_losses as _rules_losses  # noqa: E402,F401

__all__ = ["Fro", "Spec", "Row", "Max", "Inf", "E", "Had", "PI", "lam", "s", "c_rho", "RuleError",
           "RULES", "rule", "RuleChain", "ByInduction", "AllOf", "cite", "MONOTONE", "Licence", "SUBMULT"]
