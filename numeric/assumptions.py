"""Which of the paper's assumptions on the propagation matrix P hold, and why not.

ass:P (A1, the paper, via its review S2): :math:`P` is symmetric, stochastic
(:math:`P 1 = 1`, hence also :math:`1^T P = 1^T`), and every eigenvalue other than the top
eigenvalue 1 (eigenvector :math:`1`) satisfies :math:`|\\mu| \\le \\lambda < 1`.
ass:P+ (our reconstruction of the paper's "stochastic", kept separate because only some proofs
need non-negativity): ass:P and :math:`P \\ge 0`.

:func:`assumption_report` measures every ingredient of these assumptions for any square
``P`` and returns an :class:`AssumptionReport`; :func:`require_ass_P` is the validation helper
other modules call before a computation that relies on ass:P.

**Tolerance.** Each equality is checked up to :math:`\\tau = 10^{-10}\\,\\|P\\|_\\infty`
(the largest absolute row sum). Round-off in a row sum of :math:`k` entries, in
:math:`P_{ij} - P_{ji}` or in an eigenvalue of :math:`P` is at most about
:math:`k \\varepsilon \\|P\\|_\\infty` with :math:`\\varepsilon \\approx 2.2 \\times 10^{-16}`,
so :math:`\\tau` accepts every float64 rendering of an exact identity for rows of up to
about :math:`10^5` entries while rejecting any genuine violation larger than :math:`\\tau`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from .graphs import bipartite_sides, connected_components
from .propagation import _as_csr, _is_stochastic, _is_symmetric, _spectrum, _tolerance

__all__ = ["AssumptionReport", "assumption_report", "require_ass_P"]


@dataclass(frozen=True)
class AssumptionReport:
    """The properties of a propagation matrix :math:`P` that the paper's assumptions use.

    Attributes
    ----------
    n, nnz : int
        Size and number of stored nonzeros of :math:`P`.
    symmetric, row_stochastic, column_stochastic, nonnegative : bool
        :math:`P = P^T`, :math:`P 1 = 1`, :math:`1^T P = 1^T`, :math:`P \\ge 0` (up to
        ``tolerance``).
    connected, num_components, bipartite : bool, int, bool
        Of the support graph (an edge wherever :math:`P_{ij} \\ne 0`, :math:`i \\ne j`;
        a nonzero diagonal entry is a self-loop, which makes a graph non-bipartite).
    self_loops, positive_diagonal : bool
        Some / every diagonal entry is nonzero / positive.
    lambda_ : float
        The contraction factor :math:`\\lambda` (:func:`~backsmooth.numeric.propagation.
        contraction_factor`); ``to_dict`` names it ``"lambda"``.
    top_eigenvalue : float
        :math:`\\mu_1`, the largest (algebraic) eigenvalue.
    satisfies_ass_P : bool
        ass:P: symmetric, row-stochastic and :math:`\\lambda < 1 - \\tau`.
    satisfies_ass_P_plus : bool
        ass:P and :math:`P \\ge 0`.
    warnings : tuple of str
        Human-readable reasons why bounds are vacuous or the wrong measure would be used.
    tolerance : float
        :math:`\\tau = 10^{-10} \\|P\\|_\\infty` (module docstring).
    """

    n: int
    nnz: int
    symmetric: bool
    row_stochastic: bool
    column_stochastic: bool
    nonnegative: bool
    connected: bool
    num_components: int
    bipartite: bool
    self_loops: bool
    positive_diagonal: bool
    lambda_: float
    top_eigenvalue: float
    satisfies_ass_P: bool
    satisfies_ass_P_plus: bool
    warnings: tuple = field(default=())
    tolerance: float = 0.0

    def to_dict(self) -> dict:
        """Return a JSON-serialisable dict (``lambda_`` is stored under ``"lambda"``)."""
        data = asdict(self)
        data["lambda"] = data.pop("lambda_")
        data["warnings"] = list(self.warnings)
        return {key: (value.item() if isinstance(value, np.generic) else value)
                for key, value in data.items()}

    def __str__(self) -> str:
        rows = [
            ("n", str(self.n)),
            ("nnz", str(self.nnz)),
            ("symmetric", _yes(self.symmetric)),
            ("row-stochastic (P1 = 1)", _yes(self.row_stochastic)),
            ("column-stochastic (1'P = 1')", _yes(self.column_stochastic)),
            ("non-negative", _yes(self.nonnegative)),
            ("connected", f"{_yes(self.connected)} ({self.num_components} component(s))"),
            ("bipartite", _yes(self.bipartite)),
            ("self-loops", _yes(self.self_loops)),
            ("positive diagonal", _yes(self.positive_diagonal)),
            ("top eigenvalue mu_1", f"{self.top_eigenvalue:.12g}"),
            ("lambda", f"{self.lambda_:.12g}"),
            ("ass:P (symmetric, P1 = 1, lambda < 1)", _yes(self.satisfies_ass_P)),
            ("ass:P+ (ass:P and P >= 0)", _yes(self.satisfies_ass_P_plus)),
            ("tolerance", f"{self.tolerance:.3g}"),
        ]
        width = max(len(key) for key, _ in rows)
        lines = [f"{key:<{width}}  {value}" for key, value in rows]
        lines += [f"warning: {text}" for text in self.warnings]
        return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _warnings(r: dict) -> list[str]:
    out = []
    lam, tol = r["lambda_"], r["tolerance"]
    if not r["symmetric"]:
        out.append(
            "not symmetric: ass:P needs P = P^T and the paper's bounds do not apply; lambda is "
            "the second-largest eigenvalue modulus (for the random walk D~^-1 (A+I) it equals "
            "lambda of the similar symmetric D~^1/2 P D~^-1/2 = the GCN normalisation)")
    elif not r["row_stochastic"]:
        out.append(
            "symmetric but not stochastic (P1 != 1, e.g. the GCN normalisation): the "
            "oversmoothing limit is the top eigenvector (D~^1/2 1 for GCN), not the constant "
            "vector; use the generalised measure relative to the top eigenvector")
    if not r["nonnegative"]:
        out.append("P has negative entries: ass:P+ fails")
    if not r["connected"]:
        extra = ", every bound of the paper is vacuous" if lam >= 1 - tol else ""
        out.append(f"disconnected ({r['num_components']} components): lambda = {lam:.6g}{extra}")
    if r["bipartite"] and r["n"] > 1 and r["connected"]:
        out.append(
            f"bipartite with zero diagonal: eigenvalue -{r['top_eigenvalue']:.6g}, "
            f"lambda = {lam:.6g}, every bound of the paper is vacuous; add self-loops "
            "(kind='lazy' or 'metropolis' have a positive diagonal)")
    elif r["connected"] and r["symmetric"] and r["row_stochastic"] and lam >= 1 - tol:
        out.append(f"lambda = {lam:.6g} >= 1: every bound of the paper is vacuous")
    return out


def assumption_report(P, *, method="auto") -> AssumptionReport:
    """Measure every ingredient of ass:P / ass:P+ for ``P`` and explain what fails.

    Parameters
    ----------
    P : array_like or scipy sparse, shape (n, n)
        A propagation matrix (finite, square), e.g. from
        :func:`~backsmooth.numeric.propagation.propagation_matrix`.
    method : {"auto", "dense", "sparse"}
        Eigensolver for :math:`\\lambda` (see
        :func:`~backsmooth.numeric.propagation.contraction_factor`).

    Returns
    -------
    AssumptionReport

    Examples
    --------
    The walk :math:`D^{-1} A` on the even cycle :math:`C_6` is bipartite, so :math:`-1` is an
    eigenvalue and :math:`\\lambda = 1`; the lazy walk on the same cycle satisfies ass:P.

    >>> import networkx as nx
    >>> from backsmooth.numeric.propagation import propagation_matrix
    >>> A = nx.to_scipy_sparse_array(nx.cycle_graph(6))
    >>> report = assumption_report(A / 2)
    >>> report.bipartite, report.lambda_, report.satisfies_ass_P
    (True, 1.0, False)
    >>> assumption_report(propagation_matrix(A, "lazy")).satisfies_ass_P
    True
    """
    P = _as_csr(P)
    n = P.shape[0]
    tol = _tolerance(P)
    mu1, _, lam = _spectrum(P, method)
    symmetric = _is_symmetric(P, tol)
    row = _is_stochastic(P, tol)
    col = _is_stochastic(sp.csr_array(P.T), tol)
    nonneg = P.nnz == 0 or float(P.data.min()) >= -tol
    off = sp.csr_array(P - sp.diags_array(P.diagonal()))
    off.data[np.abs(off.data) <= tol] = 0.0
    off.eliminate_zeros()
    diag = P.diagonal()
    support = off + sp.diags_array((np.abs(diag) > tol).astype(float))
    k, _ = connected_components(off)
    fields = dict(
        n=int(n), nnz=int(P.nnz), symmetric=symmetric, row_stochastic=row,
        column_stochastic=col, nonnegative=bool(nonneg), connected=bool(k == 1),
        num_components=int(k), bipartite=bipartite_sides(support) is not None,
        self_loops=bool(np.any(np.abs(diag) > tol)),
        positive_diagonal=bool(np.all(diag > tol)),
        lambda_=float(lam), top_eigenvalue=float(mu1), tolerance=float(tol),
    )
    fields["satisfies_ass_P"] = bool(symmetric and row and lam < 1 - tol)
    fields["satisfies_ass_P_plus"] = bool(fields["satisfies_ass_P"] and nonneg)
    fields["warnings"] = tuple(_warnings(fields))
    return AssumptionReport(**fields)


def require_ass_P(P, name="P", *, contraction=False) -> sp.csr_array:
    """Return ``P`` as CSR if it is symmetric and row-stochastic; raise ValueError otherwise.

    The cheap (O(nnz)) part of ass:P, checked up to :math:`\\tau = 10^{-10}\\|P\\|_\\infty`.
    With ``contraction=True`` also require :math:`\\lambda < 1` (an eigensolve).

    Parameters
    ----------
    P : array_like or scipy sparse, shape (n, n)
    name : str
        Name of the argument in the error message.
    contraction : bool
        Also require :math:`\\lambda < 1` (connected, not bipartite without self-loops).

    Examples
    --------
    >>> import networkx as nx
    >>> from backsmooth.numeric.propagation import propagation_matrix
    >>> require_ass_P(propagation_matrix(nx.path_graph(4), "gcn"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: P is symmetric but not stochastic ...
    """
    P = _as_csr(P, name)
    tol = _tolerance(P)
    if not _is_symmetric(P, tol):
        gap = float(abs(P - P.T).max())
        raise ValueError(
            f"{name} is not symmetric (max |{name} - {name}^T| = {gap:.3g}); ass:P needs a "
            "symmetric propagation matrix: build one with propagation_matrix(graph, 'lazy') or "
            f"'metropolis', or symmetrise with ({name} + {name}.T) / 2")
    if not _is_stochastic(P, tol):
        gap = float(np.max(np.abs(np.asarray(P.sum(axis=1)).ravel() - 1.0)))
        raise ValueError(
            f"{name} is symmetric but not stochastic (max |{name} 1 - 1| = {gap:.3g}); ass:P "
            "needs rows summing to 1. The GCN normalisation D^-1/2 (A+I) D^-1/2 is not "
            "stochastic: use kind='lazy' or 'metropolis', or the generalised measures "
            "relative to the top eigenvector")
    if contraction:
        lam = _spectrum(P, "auto")[2]
        if not lam < 1 - tol:
            raise ValueError(
                f"{name} has lambda = {lam:.6g} >= 1 (disconnected graph, or bipartite with zero "
                "diagonal): the bounds of ass:P are vacuous; use a connected graph and a "
                "propagation matrix with a positive diagonal (kind='lazy' or 'metropolis')")
    return P
