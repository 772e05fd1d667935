"""The registry of the paper's claims: one place, stable names, provenance.

Each :class:`Claim` carries its hypotheses (the labels of ``docs/theory.md``:
``A1`` = ass:P (P symmetric, P1 = 1, non-trivial eigenvalues |mu_i| <= lambda < 1),
``A1+`` = A1 and P >= 0, ``A2`` = ass:sigma (rho elementwise, 1-Lipschitz), ``A2a`` =
rho(0) = 0, ``A2b`` = rho' c_rho-Lipschitz, ``A2c`` = rho'' c_2-Lipschitz, ``A3`` = s_i <= s,
plus side conditions such as ``lambda*s<1``), its statement as sympy relations in the
paper's symbols, its default bound (see :mod:`backsmooth.symbolic.bounds` for all variants)
and its provenance:

* ``"paper"``: stated in the paper as far as the verified sources show;
* ``"reconstruction"``: our precise or corrected version of a result of the paper;
* ``"extension"``: beyond the paper.

Adding a claim touches one place here: append one entry to ``_SPEC``, ``(name, title,
provenance, provenance_note, hypotheses, statement, bound_variants)``, where
``bound_variants`` is a tuple of ``(variant, quantity, relation, expr, symbols,
description)`` (see :func:`backsmooth.symbolic.bounds.make_variant`; the first variant is the
claim's default bound).  The claims registered before this rule keep their variants in
``symbolic/bounds.py``'s ``BOUNDS`` under their name; a claim must have its variants in
exactly one of the two places (checked at import).  ``tests/test_claim_layers.py`` then says
which other layer (derivation, proof, check, notebook section) the claim still lacks.

Every E is the ROOT convention ``E(X) = ||(I - 11^T/n) X||_F / sqrt(n)``.

Examples
--------
>>> from backsmooth.symbolic.claims import claim, claims
>>> claims()[:3]
('lemma1', 'lemma2', 'lemma3')
>>> c = claim("theorem1")
>>> c.provenance, c.hypotheses
('paper', ('A1', 'A2'))
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import bounds as _bounds
from . import symbols as _S
from .render import latex_relation, text_relation
from .symbols import (
    L, M, Lam_k, Lam_L, S_k, Sigma_k, E_B, E_BL, E_Bk, E_Bk1, E_HL, E_Hk, E_PmX, E_X, E_X0,
    E_XL, E_XW, E_Xk, E_Y, E_rhoX, G_max, L_const, X_F, alpha, bbar_k, beta, c_rho, delta,
    delta_L, dist_k, gamma, grad_k, grad_norm, i, k, lam, loss, m, mean_gap_k, mu, n, r_k, s,
    s_i, s_k, s_k1, s_L, w, xbar, xbar_L, xi, B_row_k1,
)
from .symbols import kappa_k  # theorem2_relu

from . import local_symbols as _LS  # noqa: E402  (extension symbols)

__all__ = ["Claim", "CLAIMS", "claims", "claim", "check_keys", "PROVENANCES", "ROOT_CONVENTION"]

PROVENANCES = ("paper", "reconstruction", "extension")
ROOT_CONVENTION = "E(X) = ||(I - 11^T/n) X||_F / sqrt(n)  (E(X)^2 = (1/(2n^2)) sum_ij ||X_i - X_j||^2)"


@dataclass(frozen=True)
class Claim:
    """A claim of the paper (or of our corrected/extended theory).

    Attributes
    ----------
    name, title : str
    provenance : {"paper", "reconstruction", "extension"}
    provenance_note : str
    hypotheses : tuple of str
    statement : tuple of sympy relations
    bound : sympy.Expr
        Right-hand side of the default bound variant.
    bound_symbols : tuple of sympy.Symbol
        Ordered symbols a numeric caller supplies (meanings in ``bound_meanings``).
    variants : tuple of str
        Names of all bound variants (``bound_function(name, variant)``).
    """

    name: str
    title: str
    provenance: str
    provenance_note: str
    hypotheses: tuple
    statement: tuple
    bound: sp.Expr
    bound_symbols: tuple
    variants: tuple

    def __post_init__(self):
        if self.provenance not in PROVENANCES:
            raise ValueError(f"provenance must be one of {PROVENANCES}, got {self.provenance!r}")

    @property
    def bound_meanings(self) -> dict:
        """Meaning of each default-bound argument (Python name -> text)."""
        return _bounds.bound_variant(self.name).argument_meanings

    def latex(self) -> tuple:
        """The statement as a tuple of LaTeX math fragments (mathtext-compatible)."""
        return tuple(latex_relation(r) for r in self.statement)

    def text(self) -> tuple:
        """The statement as a tuple of plain-text relations."""
        return tuple(text_relation(r) for r in self.statement)


_lam_prod_k = sp.Product(lam * s_i[i], (i, 0, k - 1))
_lam_prod_L = sp.Product(lam * s_i[i], (i, 0, L - 1))

_SPEC = (
    ("lemma1", "Pairwise-difference identity", "reconstruction",
     "Identity behind the paper's eq:dirichlet (S2 writes the pairwise form); root convention ours",
     (),
     (sp.Eq(E_X**2, X_F**2 / n - xbar**2),)),
    ("lemma2", "P contracts the complement of constants by lambda", "reconstruction",
     "Standard consequence of ass:P used by the paper's Theorem 1 proof; statement ours",
     ("A1", "A2"),
     (sp.Le(E_PmX, lam**m * E_X), sp.Le(E_XW, s_k * E_X), sp.Le(E_rhoX, E_X))),
    ("lemma3", "Gradient = mean part + centred part", "reconstruction",
     "Ours (docs/theory.md Lemma 3): X^T P B = n xbar bbar^T + (Pi X)^T P (Pi B); P in the middle",
     ("A1",),
     (sp.Le(grad_k, n * sp.Symbol("xbar_k", nonnegative=True) * bbar_k + lam * n * E_Xk * E_Bk),)),
    ("lemma4", "Stationary output layer => small mean output error", "reconstruction",
     "Ours (Lemma 4); makes the paper's 'trained last layer' step rigorous; needs "
     "||xbar^(L)|| >= gamma",
     ("A1", "||xbar^(L)||>=gamma"),
     (sp.Le(mu, (delta_L + lam * n * E_XL * E_BL) / (n * gamma)),)),
    ("mean_propagation", "Mean of backward signals (linear GNN)", "reconstruction",
     "Bluesky 4/7 (VERIFIED): the oversmoothed backward limit is the mean prediction error; "
     "exact formula bbar^(k) = M_k bbar^(L) ours",
     ("A1", "rho=id"),
     (sp.Le(bbar_k, S_k * mu),)),
    ("theorem1", "Forward oversmoothing", "paper",
     "Paper's Theorem 1 (VERIFIED via Moonlight review and summary page); "
     "'(lambda s_k)^k' read as prod_{i<k} lambda s_i; constants ours",
     ("A1", "A2"),
     (sp.Le(E_Xk, _lam_prod_k * E_X0), sp.Le(E_Xk, (lam * s)**k * E_X0),
      sp.Le(E_Xk, lam**((1 - alpha) * k) * E_X0))),
    ("corollary1", "Backward oversmoothing of linear GNNs", "reconstruction",
     "Paper's Corollary 1 content (linear case, section 4.1) reconstructed; numbering ours; "
     "exact closed form B^(k) = P^(L-k) B^(L) M_k^T",
     ("A1", "rho=id", "A3"),
     (sp.Le(E_Bk, (lam * s)**(L - k) * E_BL), sp.Le(dist_k, sp.sqrt(n) * (lam * s)**(L - k) * E_BL))),
    ("theorem2", "Non-linear backward oversmoothing with forward interaction", "reconstruction",
     "Corrected: unrolled constant carries S_k = prod_{i>k} s_i and ||B||_row (our first reading of the paper "
     "had 'C ~ c_rho lambda s^2' and a ||B||_max-type factor); needs P >= 0",
     ("A1+", "A2", "A2b"),
     (sp.Le(E_Bk, lam * s_k1 * E_Bk1 + c_rho * lam * s_k * s_k1 * E_Xk * B_row_k1),
      sp.Le(E_Bk, (lam * s)**(L - k) * E_BL
            + c_rho * lam * s**(L + 1) * lam**k * E_X0 * beta / (1 - lam**2 * s)))),
    ("proposition1", "Backward mean follows the linearised recursion", "reconstruction",
     "Paper's Proposition 1 content (mean driven by the output error) reconstructed with "
     "explicit error; numbering ours",
     ("A1+", "A2", "A2b"),
     (sp.Le(r_k, c_rho * lam * s_k * s_k1 * E_Xk * B_row_k1),
      sp.Le(mean_gap_k, c_rho * lam * s**(L - k + 1) * beta * E_X0 * (lam * s)**k / (1 - lam * s)))),
    ("definition1", "delta-stationary point (layer-wise), spurious", "reconstruction",
     "Paper's Definition 1 wording UNKNOWN; layer-wise version and L_const ours",
     (),
     (sp.Le(grad_k, delta), sp.Le(grad_norm, sp.sqrt(L + 1) * delta), sp.Eq(L_const, E_Y**2 / 2))),
    ("theorem3", "A stationary output layer is a global stationary point", "reconstruction",
     "Corrected: the paper's statement needs ||xbar^(L)|| >= gamma (counter-example W^(L-1) = 0 "
     "in docs/theory.md); bound via the mean output error mu; Frobenius norms",
     ("A1+", "A2", "A2a", "A2b", "A3", "lambda*s<1"),
     (sp.Le(grad_k, sp.sqrt(n) * xi * s**L * (
         mu + lam**(L - M) * E_BL + 2 * c_rho * lam * s * E_X0 * beta * (lam * s)**M / (1 - lam * s))),)),
    ("corollary2", "Spurious stationary points", "reconstruction",
     "Corrected: mean-fitted last layer W^(L) = xbar c*^T/||xbar||^2 instead of a (norm-"
     "constrained) least-squares one; loss lower bound valid for every theta",
     ("A1+", "A2", "A2a", "A2b"),
     (sp.Ge(loss, L_const - E_Y * E_HL), sp.Ge(loss, L_const - E_Y * lam * s_L * Lam_L * E_X0))),
    ("proposition2", "MLPs are not GNNs (exact counter-examples)", "reconstruction",
     "Paper's Proposition 2 exists (VERIFIED) but its construction is UNKNOWN; ours has mu = 0, "
     "loss = L_const, any depth, and the GNN rate lambda^(L+1)",
     ("n=2", "X0=I", "MSE"),
     (sp.Eq(grad_k, 0), sp.Eq(sp.Symbol("grad_0_mlp", nonnegative=True), sp.Abs(w) / sp.sqrt(2)),
      sp.Eq(sp.Symbol("grad_0_gnn", nonnegative=True), lam**(L + 1) * sp.Abs(w) / sp.sqrt(2)))),
    ("theorem2_relu", "ReLU backward oversmoothing with the margin constant", "extension",
     "Ours: ReLU' is a step (no c_rho), but |1[a>0] - 1[b>0]| <= |a - b|/|b| for b != 0 gives "
     "Theorem 2 and Proposition 1(i) with c_rho replaced by kappa_k = 1/min_j |hbar^(k)_j|, "
     "the inverse margin of the mean pre-activation of layer k; vacuous as the margin -> 0",
     ("A1+", "A2", "rho=relu", "hbar^(k)_j != 0"),
     (sp.Le(E_Bk, lam * s_k1 * E_Bk1 + kappa_k * lam * s_k * s_k1 * E_Xk * B_row_k1),
      sp.Le(sp.Symbol("R_k_F", nonnegative=True), kappa_k * sp.sqrt(n) * E_Hk),
      sp.Le(r_k, kappa_k * E_Hk * G_max))),
    # ---- extension (issue 17): local constants along a run
    ("local_smoothing", "Local-constant forward smoothing E(X^(k+1)) <= lambda s_k ell_k E(X^(k))", "extension",
     "Ours: Theorem 1 with the slope of rho over the segments actually spanned by the pre-activations "
     "(ell_k <= 1); a posteriori (ell_k is measured on the run)",
     ("A1", "A2", "rho C^1"),
     (sp.Le(_LS.E_Xk1, _LS.ell_w * E_Hk), sp.Le(_LS.E_Xk1, lam * s_k * _LS.ell_k * E_Xk))),
    ("local_backward_recursion", "Local-constant backward recursion for E(B^(k)) and the mean bbar^(k)", "extension",
     "Ours: Theorem 2 / Proposition 1 with local constants: the backward fluctuation contracts by "
     "lambda s_(k+1) ell_k, the non-linearity re-injects E(rho'(H^(k))) <= c_k E(H^(k)) times the mean of G_k, "
     "and the mean follows dbar^(k) o W^(k+1) bbar^(k+1) up to lambda s E(rho'(H)) E(B^(k+1)); P >= 0 not needed",
     ("A1", "A2", "rho C^1"),
     (sp.Le(E_Bk, lam * s_k1 * _LS.ell_k * E_Bk1 + _LS.E_Dk * _LS.gbar_norm),
      sp.Le(_LS.rbar_k, lam * s_k1 * _LS.E_Dk * E_Bk1),
      sp.Le(_LS.E_Dk, _LS.c_k * E_Hk))),
    ("local_certificate", "A posteriori stationarity certificate from forward quantities and the output error",
     "extension",
     "Ours: ||grad_k|| <= n ||xbar^(k)|| m_k + lambda n E(X^(k)) e_k, m_k and e_k from the mean output error "
     "carried along the linearised mean path and the local backward recursion",
     ("A1", "A2", "A2b"),
     (sp.Le(grad_k, n * _LS.xbar_k * _LS.m_k + lam * n * E_Xk * _LS.e_k),)),
    ("saturation_threshold", "Saturated tanh: segments away from 0 make lambda s ell_k < 1", "extension",
     "Ours: ell_k <= sech(a)^2 <= 4 exp(-2a) when every column segment avoids (-a, a), so lambda s_k ell_k <= 1 "
     "once cosh(a)^2 >= lambda s_k; no a-priori bound on a follows from large weights alone",
     ("rho = tanh",),
     (sp.Le(_LS.ell_k, 1 / sp.cosh(_LS.a_sat)**2), sp.Le(_LS.ell_k, 4 * sp.exp(-2 * _LS.a_sat)))),
    # -- remedies [extension] ------------------------------------------------------------------
    ("remedy_residual", "Residual GNN: the skip path keeps backward energy (linear rho)", "extension",
     "Ours: for X^(k+1) = r X^(k) + P X^(k) W^(k), E(B^(k)) >= (r - lambda s)^(L-1-k) E(B^(L-1)) "
     "(vanilla: <= (lambda s)^(L-k)); tanh is not covered and is measured",
     ("A1", "rho=id", "A3", "lambda*s<=r"),
     (sp.Ge(_S.E_Bk, (_S.r_skip - lam * s)**(L - 1 - k) * _S.E_BL1),
      sp.Le(_S.E_Bk, (_S.r_skip + lam * s)**(L - 1 - k) * _S.E_BL1))),
    ("remedy_initial_residual", "Initial residual (APPNP/GCNII) contracts the main backward path by (1 - a)",
     "extension",
     "Ours: the main path's backward signal shrinks by (1 - a) lambda m_M (centred) and (1 - a) m_M "
     "(mean) per layer; the gradient reaches the first layer through the anchor path a B^(k) M^T",
     ("A1", "rho=id", "0<=a<=1"),
     (sp.Le(_S.E_Bk, ((1 - _S.a_ir) * lam * _S.m_ir)**(L - 1 - k) * _S.E_BL1),
      sp.Le(bbar_k, ((1 - _S.a_ir) * _S.m_ir)**(L - 1 - k) * _S.bbar_L1))),
    ("remedy_normalisation", "Mean subtraction and PairNorm: centred backward signals", "extension",
     "Ours: normalised layers have bbar^(k) = 0 (the mean mechanism of Theorem 3 is cut); mean "
     "subtraction contracts E(B) by lambda s per layer; PairNorm's Jacobian multiplies by sigma/E(H^(k))",
     ("A1", "A2", "A3"),
     (sp.Le(_S.E_Bk, (lam * s)**(L - 1 - k) * _S.E_BL1),
      sp.Le(_S.E_Bk, _S.sigma_pn * lam * s_k1 * E_Bk1 / E_Hk))),
)


def _bound_variants(entry, table):
    """The bound variants of one ``_SPEC`` entry: its own 7th element, else ``BOUNDS[name]``.

    A new claim carries its variants in its ``_SPEC`` entry (one place in ``symbolic/``):
    ``(variant, quantity, relation, expr, symbols, description)`` tuples, the first one the
    default bound.  The claims written before that keep theirs in
    :data:`backsmooth.symbolic.bounds.BOUNDS` under the claim's name.  Exactly one of the two
    must hold the variants; the variants of an entry are entered into ``BOUNDS`` here, so
    :func:`~backsmooth.symbolic.bounds.bound_function` finds every claim's variants.
    """
    name = entry[0]
    own = entry[6] if len(entry) > 6 else None
    if own and table.get(name):
        raise ValueError(f"claim {name!r} has bound variants in its _SPEC entry and in "
                         f"BOUNDS[{name!r}] (symbolic/bounds.py): keep one of them")
    if own:
        table[name] = tuple(_bounds.make_variant(name, *spec) for spec in own)
    if not table.get(name):
        raise ValueError(
            f"claim {name!r} has no bound variant: give its _SPEC entry in symbolic/claims.py a "
            "7th element, a tuple of (variant, quantity, relation, expr, symbols, description) "
            "tuples (the first is the claim's default bound)")
    return table[name]


def _build(spec, table):
    """``name -> Claim`` from ``spec`` (``_SPEC``), entering own bound variants into ``table``."""
    out = {}
    for entry in spec:
        if len(entry) not in (6, 7):
            raise ValueError(f"_SPEC entry {entry[:1]} must be (name, title, provenance, note, "
                             "hypotheses, statement[, bound variants])")
        name, title, prov, note, hyps, statement = entry[:6]
        if name in out:
            raise ValueError(f"claim {name!r} is registered twice in _SPEC")
        table_v = _bound_variants(entry, table)
        v = table_v[0]
        out[name] = Claim(name=name, title=title, provenance=prov, provenance_note=note,
                          hypotheses=tuple(hyps), statement=tuple(statement), bound=v.expr,
                          bound_symbols=v.symbols, variants=tuple(x.name for x in table_v))
    return out


#: name -> Claim, in paper order (lemmas first, then the numbered results)
CLAIMS = _build(_SPEC, _bounds.BOUNDS)


def check_keys(table, what, extra=()) -> None:
    """Raise ``ValueError`` unless ``table``'s keys are claim names (or listed in ``extra``).

    Every per-claim table of the package (bound variants, derivations, ...) is keyed by the
    claim name; this check, run when each table's module loads, refuses a key that names no
    claim, so a renamed or removed claim cannot leave a stale entry behind.
    """
    stray = [key for key in table if key not in CLAIMS and key not in extra]
    if stray:
        raise ValueError(f"{what} has entries {stray} that name no claim of the registry "
                         f"({', '.join(CLAIMS)})")


check_keys(_bounds.BOUNDS, "symbolic.bounds.BOUNDS")


def claims() -> tuple:
    """Names of every registered claim, in paper order."""
    return tuple(CLAIMS)


def claim(name) -> Claim:
    """Return the :class:`Claim` called ``name``.

    Raises
    ------
    ValueError
        If ``name`` is unknown; the message lists the known names.
    """
    try:
        return CLAIMS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown claim {name!r}; known claims: {', '.join(CLAIMS)}") from None
