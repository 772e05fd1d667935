"""LaTeX and plain-text renderings of sympy statements and derivation steps.

LaTeX output stays within the subset matplotlib's mathtext parses (``\\lambda``,
``\\left( \\right)``, ``^{}``, ``\\leq``, ``\\prod``, ``\\mathcal{E}``); explicit
matrices (which mathtext cannot typeset) are rendered as their shape in words.

Examples
--------
>>> import sympy as sp
>>> from backsmooth.symbolic.symbols import lam, s, k, E_X0, E_Xk
>>> latex_relation(sp.Le(E_Xk, (lam*s)**k * E_X0))
'\\\\mathcal{E}(X^{(k)}) \\\\leq \\\\mathcal{E}(X^{(0)}) \\\\left(\\\\lambda s\\\\right)^{k}'
>>> text_relation(sp.Le(E_Xk, (lam*s)**k * E_X0))
'E(X^(k)) <= E(X^(0))*(lambda*s)**k'
"""

from __future__ import annotations

import sympy as sp

from .symbols import LATEX_NAMES, TEXT_NAMES

__all__ = ["latex_expr", "text_expr", "latex_relation", "text_relation", "latex_step",
           "text_step"]

_REL_LATEX = {"==": "=", "<=": r"\leq", "<": "<", ">=": r"\geq"}
_REL_TEXT = {"==": "==", "<=": "<=", "<": "<", ">=": ">="}


def latex_expr(expr) -> str:
    """LaTeX of a scalar sympy expression with the paper's symbol spellings."""
    if isinstance(expr, sp.MatrixBase):
        return r"\mathrm{%d \times %d\ matrix}" % expr.shape
    return sp.latex(expr, symbol_names=LATEX_NAMES)


#: a matrix entry with more operations than this is printed as its size, not simplified: the
#: entries of a symbolic backward pass run to thousands of operations, and simplifying them for
#: display took minutes (the step's verification does not depend on this rendering)
TEXT_ENTRY_MAX_OPS = 60


def _text_entry(e) -> str:
    ops = sp.count_ops(e)
    if ops > TEXT_ENTRY_MAX_OPS:
        return f"<expression of {ops} operations>"
    return sp.sstr(sp.simplify(e))


def text_expr(expr) -> str:
    """Plain text of a sympy expression with the paper's symbol spellings.

    Matrix entries are simplified for display, except entries larger than
    :data:`TEXT_ENTRY_MAX_OPS` operations, which are shown by their size.
    """
    if isinstance(expr, sp.MatrixBase):
        rows = [", ".join(_text_entry(e) for e in expr.row(r)) for r in range(expr.rows)]
        return "[" + "; ".join(rows) + "]"
    repl = {x: sp.Symbol(TEXT_NAMES[x]) for x in sp.sympify(expr).free_symbols
            if x in TEXT_NAMES}
    return sp.sstr(sp.sympify(expr).xreplace(repl))


def _rel_parts(rel):
    op = {sp.Eq: "==", sp.Le: "<=", sp.Lt: "<", sp.Ge: ">="}[type(rel)]
    return rel.lhs, rel.rhs, op


def latex_relation(rel) -> str:
    """LaTeX of a sympy relation (Eq, Le, Lt, Ge)."""
    lhs, rhs, op = _rel_parts(rel)
    return f"{latex_expr(lhs)} {_REL_LATEX[op]} {latex_expr(rhs)}"


def text_relation(rel) -> str:
    """Plain text of a sympy relation (Eq, Le, Lt, Ge)."""
    lhs, rhs, op = _rel_parts(rel)
    return f"{text_expr(lhs)} {_REL_TEXT[op]} {text_expr(rhs)}"


def _is_matrix_step(step):
    return isinstance(step.lhs, sp.MatrixBase) or isinstance(step.rhs, sp.MatrixBase)


def _is_instance_placeholder(step) -> bool:
    """Steps checked on rational instances of callables carry placeholder sides lhs/rhs."""
    return step.lhs == sp.Symbol("lhs") and step.rhs == sp.Symbol("rhs")


def latex_step(step) -> str:
    """LaTeX math fragment of a derivation step (matrices are named by shape only)."""
    if _is_instance_placeholder(step):
        return r"\mathrm{checked\ on\ exact\ rational\ instances\ (see\ the\ description)}"
    if _is_matrix_step(step):
        shape = step.lhs.shape if isinstance(step.lhs, sp.MatrixBase) else step.rhs.shape
        return r"\mathrm{entrywise\ identity\ of\ %d \times %d\ matrices}" % shape
    return f"{latex_expr(step.lhs)} {_REL_LATEX[step.relation]} {latex_expr(step.rhs)}"


def text_step(step) -> str:
    """Plain text of a derivation step (lhs relation rhs)."""
    if _is_instance_placeholder(step):
        return "(checked on exact rational instances: see the description)"
    return f"{text_expr(step.lhs)} {_REL_TEXT[step.relation]} {text_expr(step.rhs)}"
