"""Proofs of the local-constant claims (extension): local smoothing, the local backward
recursion, the local stationarity certificate and the tanh saturation threshold.

Notation (``docs/theory.md``, extension section): for a hidden layer ``k < L`` and column ``j``
the segment ``[min_i H_ij, max_i H_ij]`` carries the local slopes ``ell_kj = max |rho'|`` and
``c_kj = max |rho''|``; ``ell_k, c_k`` are their maxima over ``j``, ``ell^w_k`` the
column-energy weighted slope, ``h_k = max_ij |H_ij - hbar_j|``.

Evidence: every step of the four proofs is an all-sizes identity or a rule chain (the algebraic
splits in non-commuting letters, the norm inequalities by named rules, the ``tanh`` facts decided
by sympy for every real argument); the unrolled route of the certificate is in
:mod:`backsmooth.proofs.unrolled_route`.  The earlier instance checks (160 random networks of 5
activations) are kept as additional evidence.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import _floats as fl
from ._common import A1, A2, SETTING, Pi, backward_step_split, collect, mean_row
from .checks import on_instances, symbolic_identity, symbolic_inequality
from .framework import Proof, Step
from . import certificate_chains as cc
from . import unrolled_route as ur
from . import local_chains as lc
from . import rules as ru
from .rules_local import C1, C2, LOCAL_DEFS

__all__ = ["local_smoothing_proof", "local_backward_recursion_proof", "local_certificate_proof",
           "saturation_threshold_proof", "certificate_on_net"]

TANH = "rho = tanh"


def certificate_on_net(net):
    """The certificate quantities of one network instance (forward pass, weights, output error only)."""
    from backsmooth.numeric.local_certificate import certificate_from_pass

    L, B = net["L"], net["B"]
    return certificate_from_pass(net["W"], net["H"][:L], net["X"], B[L].mean(0), fl.Ef(B[L]), net["lam"],
                                 net["rho"])


def _nets():
    return fl.network_instances()


def _cache():
    if not hasattr(_cache, "v"):
        _cache.v = [(net, certificate_on_net(net)) for net in _nets()]
    return _cache.v


def _forward_floats():
    def f(item):
        net, q = item
        for k in range(net["L"]):
            X1, H, X = net["X"][k + 1], net["H"][k], net["X"][k]
            sc = 1 + np.abs(H).max()
            yield fl.Ef(X1), q["ell_w"][k] * fl.Ef(H), sc
            yield fl.Ef(X1), net["lam"] * net["s"][k] * q["ell"][k] * fl.Ef(X), sc
    return collect(_cache(), f)


def _segment_floats():
    # |rho'(x)| <= ell_kj and |rho'(x) - rho'(hbar_j)| <= c_kj |x - hbar_j| on every entry
    from backsmooth.numeric.local_certificate import segment_derivative_bounds

    def f(item):
        net, _ = item
        rho = net["rho"]
        for k in range(net["L"]):
            H = net["H"][k]
            ell, c = segment_derivative_bounds(rho, H.min(0), H.max(0))
            hbar = H.mean(0)
            sc = 1 + np.abs(H).max()
            for a, b in zip(np.abs(rho.derivative(H)).ravel(), np.broadcast_to(ell, H.shape).ravel()):
                yield a, b, sc
            R = np.abs(rho.derivative(H) - rho.derivative(hbar)[None, :])
            for a, b in zip(R.ravel(), (c[None, :] * np.abs(H - hbar)).ravel()):
                yield a, b, sc
    return collect(_cache(), f)


def _one_step_floats():
    def f(item):
        net, q = item
        lam, s = net["lam"], net["s"]
        for k in range(net["L"]):
            B, B1, H, W1 = net["B"][k], net["B"][k + 1], net["H"][k], net["W"][k + 1]
            gbar = W1 @ B1.mean(0)
            D = net["rho"].derivative(H)
            sc = (np.linalg.norm(B) + np.linalg.norm(B1) * s[k + 1]) / np.sqrt(net["n"])
            yield fl.Ef(B), lam * s[k + 1] * q["ell"][k] * fl.Ef(B1) + q["E_D"][k] * np.linalg.norm(gbar), sc
            r = np.linalg.norm(B.mean(0) - D.mean(0) * gbar)
            yield r, lam * s[k + 1] * q["E_D"][k] * fl.Ef(B1), sc
            yield q["E_D"][k], q["c"][k] * fl.Ef(H), 1 + np.abs(H).max()
    return collect(_cache(), f)


def _chained_floats():
    def f(item):
        net, q = item
        for k in range(net["L"] + 1):
            B = net["B"][k]
            sc = np.linalg.norm(net["B"][-1]) * max(1.0, float(np.prod(net["s"][k + 1:])))
            yield np.linalg.norm(B.mean(0)), q["m"][k], sc
            yield fl.Ef(B), q["e"][k], sc
    return collect(_cache(), f)


def _certificate_floats():
    def f(item):
        net, q = item
        for k in range(net["L"] + 1):
            sc = np.linalg.norm(net["X"][k]) * np.linalg.norm(net["B"][-1]) * max(1.0, float(np.prod(net["s"][k + 1:])))
            yield np.linalg.norm(net["grads"][k]), q["delta"][k], sc
    return collect(_cache(), f)


def _mean_split():
    # B^(k) = rho'(H) o G with G = 1 gbar^T + Pi G:
    #   Pi B^(k) = (Pi rho'(H)) diag(gbar) + Pi (rho'(H) o Pi G),
    #   bbar^(k) = dbar o gbar + mean((Pi rho'(H)) o Pi G)   (dbar = column means of rho'(H))
    q = backward_step_split()
    G, Bk = q["G"], q["Bk"]
    Dp = q["H"].applyfunc(sp.Function("rho_prime"))
    gbar = mean_row(G)
    PiG = Pi(3) * G
    dbar = mean_row(Dp)
    return [(Pi(3) * Bk, Pi(3) * Dp * sp.diag(*gbar) + Pi(3) * sp.matrix_multiply_elementwise(Dp, PiG)),
            (mean_row(Bk), sp.matrix_multiply_elementwise(dbar, gbar)
             + mean_row(sp.matrix_multiply_elementwise(Pi(3) * Dp, PiG))),
            (gbar, q["W"] * mean_row(q["B1"])),
            # the linearised step used by the unrolled form: Pi B^(k) = (Pi G) diag(dbar) + eta_k
            (Pi(3) * Bk, PiG * sp.diag(*dbar) + Pi(3) * Dp * sp.diag(*gbar)
             + Pi(3) * sp.matrix_multiply_elementwise(Pi(3) * Dp, PiG))]


def local_smoothing_proof() -> Proof:
    """E(X^(k+1)) <= ell^w_k E(H^(k)) <= lambda s_k ell_k E(X^(k))."""
    x = sp.Symbol("x", positive=True)
    steps = (
        Step("segment slopes", "|rho'(x)| <= ell_kj for x in column j's segment, and rho is ell_kj-Lipschitz there",
             uses=(C1, LOCAL_DEFS, "E(X)"), introduces=("column Lipschitz",),
             reason="definition of ell_kj as a maximum over the segment; mean value theorem (the segment is an "
                    "interval holding every entry of column j, so every point between two of them)",
             check=lc.segment_slopes_check(),
             latex=r"|\rho(H_{ij}) - \rho(H_{lj})| \le \ell_{kj} |H_{ij} - H_{lj}|,\ |\rho'(H_{ij})| \le \ell_{kj}",
             also=(on_instances("<=", floats=_segment_floats, detail="every entry of every hidden layer"),)),
        Step("per column", "||Pi rho(H_:j)||^2 <= ell_kj^2 ||Pi H_:j||^2, summed: E(X^(k+1)) <= ell^w_k E(H^(k))",
             uses=("column Lipschitz", "lemma1", C1, LOCAL_DEFS, "GNN recursion"), introduces=("weighted step",),
             reason="Lemma 1's pairwise form per column and |rho(x) - rho(y)| <= ell_kj |x - y| (the mean value "
                    "theorem, re-derived inside the termwise sum); E(X)^2 = sum_j ||Pi X_:j||^2 / n; "
                    "ell^w_k E(H) = (sum_j ell_kj^2 ||Pi H_:j||^2 / n)^(1/2) by definition",
             check=lc.per_column_check(),
             latex=r"\|\Pi\rho(H)_{:j}\|^2 \le \ell_{kj}^2 \|\Pi H_{:j}\|^2,\ E(X^{(k+1)}) \le \ell^w_k E(H^{(k)})",
             also=(on_instances("<=", floats=_forward_floats, detail="both lines, every hidden layer"),)),
        Step("tanh slope", "tanh' decreases in |x|: its maximum on a segment is at the point nearest 0",
             uses=(C1,), introduces=("closed form",),
             reason="tanh' = sech^2 is even and sech(a + t)^2 <= sech(a)^2 for a, t >= 0 (so the largest value "
                    "on a segment is at its point of smallest |x|)",
             check=ru.AllOf(lc.tanh_even_identity(), lc.tanh_decreasing()),
             also=(symbolic_inequality(lambda: (-2 * sp.tanh(x) / sp.cosh(x)**2, sp.Integer(0), {}),
                                       "(tanh')' <= 0 at a symbolic x > 0"),)),
        Step("to one step", "ell^w_k <= ell_k and E(H^(k)) <= lambda s_k E(X^(k)) give lambda s_k ell_k E(X^(k))",
             uses=("weighted step", "theorem1", LOCAL_DEFS), introduces=("statement",),
             reason="weighted mean of slopes <= their max (ell_kj <= ell_k termwise); Theorem 1's step",
             check=lc.to_one_step_chain(),
             also=(on_instances("<=", floats=_forward_floats),)),
    )
    return Proof("local_smoothing", (A1, A2, C1, LOCAL_DEFS) + SETTING, steps, ("weighted step", "statement"),
                 notes=("The slopes are measured a posteriori on the pre-activations; the statement holds for "
                        "every network, the informative part is how small ell_k is on a given run.",))


def local_backward_recursion_proof() -> Proof:
    """E(B^(k)) and the mean remainder r_k with local constants."""
    steps = (
        Step("split", "Pi B^(k) = (Pi rho'(H)) diag(gbar) + Pi (rho'(H) o Pi G_k); bbar^(k) = dbar o gbar + "
             "mean((Pi rho'(H)) o Pi G_k); gbar = W^(k+1) bbar^(k+1)",
             uses=("GNN recursion", "lemma2", A1), introduces=("split",),
             reason="G_k = 1 gbar^T + Pi G_k, rho'(H) = 1 dbar^T + Pi rho'(H), (1 g^T) o M = M diag(g), "
                    "Pi kills constant columns, 1^T P = 1^T, diag(g)^T = diag(g), diag(g) d = g o d",
             check=lc.backward_split_check(),
             also=(symbolic_identity(_mean_split, "generic symmetric stochastic 3 x 3 P, generic H, B, W, rho'"),)),
        Step("local rho'", "|rho'(H_ij)| <= ell_k; E(rho'(H^(k))) <= c_k E(H^(k))",
             uses=(C1, C2, LOCAL_DEFS, "lemma1"), introduces=("local rho'",),
             reason="definition of ell_k; mean value theorem for rho' on column j's segment, then Lemma 1 per column, "
                    "and c_kj <= c_k",
             check=lc.local_rho_prime_check(),
             latex=r"|\rho'(H_{ij})| \le \ell_k,\ E(\rho'(H^{(k)})) \le c_k E(H^{(k)})",
             also=(on_instances("<=", floats=_segment_floats),)),
        Step("one step", "E(B^(k)) <= lambda s_(k+1) ell_k E(B^(k+1)) + E(rho'(H^(k))) ||W^(k+1) bbar^(k+1)||; "
             "||bbar^(k) - dbar o W^(k+1) bbar^(k+1)|| <= lambda s_(k+1) E(rho'(H^(k))) E(B^(k+1))",
             uses=("split", "local rho'", "lemma2", A1, "s_k, Q_k, S_k, Lam_k"), introduces=("statement",),
             reason="||rho'(H) o Pi G||_F <= ell_k ||Pi G||_F <= ell_k lambda s_(k+1) sqrt(n) E(B^(k+1)) (||P Pi||_2 <= "
                    "lambda); ||(Pi rho'(H)) diag(gbar)||_F <= ||Pi rho'(H)||_F ||gbar||; the mean of a Hadamard "
                    "product of two n-row matrices has norm <= ||.||_F ||.||_F / n (Cauchy-Schwarz per column)",
             check=ru.AllOf(lc.backward_e_chain(), lc.backward_mean_chain()),
             latex=r"E(B^{(k)}) \le \lambda s_{k+1}\ell_k E(B^{(k+1)}) + E(\rho'(H^{(k)}))\|W^{(k+1)}\bar b^{(k+1)}\|",
             also=(on_instances("<=", floats=_one_step_floats, detail="three lines, every hidden layer"),)),
    )
    return Proof("local_backward_recursion", (A1, A2, C1, C2, LOCAL_DEFS) + SETTING, steps, ("statement",),
                 notes=("P >= 0 is not used: no max-row norm is propagated (the mean of G_k is split off).",))


def local_certificate_proof() -> Proof:
    """||grad_k|| <= n ||xbar^(k)|| m_k + lambda n E(X^(k)) e_k."""
    steps = (
        Step("mean path", "bbar^(k) - v_k = rbar_k + diag(dbar^(k)) W^(k+1) delta_(k+1), W^(k+1) bbar^(k+1) = "
             "W^(k+1) v_(k+1) + W^(k+1) delta_(k+1) and bbar^(k) = v_k + delta_k (v_k = dbar^(k) o W^(k+1) v_(k+1), "
             "v_L = bbar^(L), delta_k = bbar^(k) - v_k, rbar_k = bbar^(k) - dbar^(k) o gbar_k)",
             uses=("GNN recursion", "xbar", A1), introduces=("mean path",),
             reason="dbar o gbar = diag(dbar) gbar and gbar = W^(k+1) bbar^(k+1) (1^T P = 1^T)",
             check=cc.mean_path_check()),
        Step("one-step route", "||bbar^(k) - v_k|| <= d_k = s_(k+1) [ell_k d_(k+1) + lambda E(rho'(H^(k))) e_(k+1)] and "
             "E(B^(k)) <= e_k = lambda s_(k+1) ell_k e_(k+1) + E(rho'(H^(k))) g_k, g_k = ||W^(k+1) v_(k+1)|| + "
             "s_(k+1) d_(k+1), for any bounds e_(k+1), d_(k+1) at layer k + 1; d_L = 0, e_L = E(B^(L))",
             uses=("mean path", "local_backward_recursion", "s_k, Q_k, S_k, Lam_k"),
             introduces=("one-step bounds",),
             reason="induction on L - k: the mean path, the triangle inequality, the local backward recursion "
                    "(its mean remainder and E(B^(k)) lines, and |rho'| <= ell_k so ||diag(dbar)||_2 <= ell_k), "
                    "||W^(k+1)||_2 = s_(k+1)",
             check=cc.one_step_route_check(),
             latex=r"\|\bar b^{(k)} - v_k\| \le d_k,\ E(B^{(k)}) \le e_k"),
        Step("linearised step", "Pi B^(k) = P (Pi B^(k+1)) A_k + eta_k, A_k = W^(k+1)T diag(dbar^(k)), "
             "eta_k = (Pi rho'(H)) diag(gbar) + Pi ((Pi rho'(H)) o Pi G_k); 1^T eta_k = 0 (eta_k = Pi eta_k)",
             uses=("local_backward_recursion", "GNN recursion", A1), introduces=("linearised step",),
             reason="the split of the local backward recursion (last identity) and Pi P = P Pi",
             check=cc.linearised_step_check(),
             latex=r"\Pi B^{(k)} = P(\Pi B^{(k+1)})A_k + \eta_k"),
        Step("eta bound", "||eta_k||_F / sqrt(n) <= E(rho'(H^(k))) ||W^(k+1) bbar^(k+1)|| + omega_k lambda s_(k+1) "
             "E(B^(k+1)), omega_k = ||Pi rho'(H^(k))||_max",
             uses=("linearised step", A1, "s_k, Q_k, S_k, Lam_k"), introduces=("eta bound",),
             reason="triangle inequality, ||diag(gbar)||_2 <= ||gbar||, gbar = W^(k+1) bbar^(k+1), "
                    "||A o B||_F <= ||A||_F ||B||_max, ||P Pi||_2 <= lambda (with the one-step route's bounds this "
                    "gives the unrolled form's E(rho'(H^(k))) g_k + omega_k lambda s_(k+1) e_(k+1))",
             check=cc.eta_chain(),
             latex=r"\|\eta_k\|_F/\sqrt{n} \le E(\rho'(H^{(k)}))\|W^{(k+1)}\bar b^{(k+1)}\| + "
                   r"\omega_k \lambda s_{k+1} E(B^{(k+1)})"),
        Step("unrolled identity", "Pi B^(k) = P^(L-k) Pi B^(L) M_(k,L) + sum_{j=k}^{L-1} P^(j-k) eta_j M_(k,j) and "
             "bbar^(k) - v_k = sum_{j=k}^{L-1} M_(k,j)^T rbar_j for every k <= L (M_(k,j) = A_(j-1)...A_k, "
             "M_(k,k) = I)",
             uses=("linearised step", "mean path"), introduces=("unrolled identity",),
             reason="induction on L - k. k = L: P^0 = I, M_(L,L) = I, empty sums, delta_L = 0 (v_L = bbar^(L)). "
                    "k < L: the linearised step (resp. the mean path delta_k = rbar_k + A_k^T delta_(k+1)), the "
                    "statement at k + 1 with its sum as one term, left and right multiplication distribute over a "
                    "finite sum, P P^(j-k-1) = P^(j-k), M_(k+1,j) A_k = M_(k,j), and the term j = k joined to the sum",
             check=ur.unrolled_identity_check(),
             latex=r"\Pi B^{(k)} = P^{L-k}\Pi B^{(L)}M_{k,L} + \sum_{j=k}^{L-1} P^{j-k}\eta_j M_{k,j}"),
        Step("unrolled route", "e_k = min(one-step value, eu_k) and d_k = min(one-step value, du_k) bound E(B^(k)) "
             "and ||bbar^(k) - v_k||, where eu_k = lambda^(L-k) ||M_(k,L)||_2 e_L + sum_{j=k}^{L-1} lambda^(j-k) "
             "||M_(k,j)||_2 (E(rho'(H^(j))) g_j + omega_j lambda s_(j+1) e_(j+1)) and du_k = sum_{j=k}^{L-1} "
             "||M_(k,j)||_2 lambda s_(j+1) E(rho'(H^(j))) e_(j+1) (exactly what the numeric certificate computes)",
             uses=("unrolled identity", "linearised step", "eta bound", "one-step bounds", "mean path",
                   "local_backward_recursion", "lemma2", "s_k, Q_k, S_k, Lam_k"),
             introduces=("deviation and energy bounds",),
             reason="strong induction on L - k (e_L = E(B^(L)), d_L = 0). k < L: the one-step route with the bounds "
                    "at k + 1; and the unrolled identity, the triangle inequality over the finite sum, Pi eta_j = eta_j, "
                    "||P^m Pi||_2 <= lambda^m (Lemma 2, m = j - k >= 0), sub-multiplicativity with the exact "
                    "||M_(k,j)||_2, the eta bound, ||W^(j+1) bbar^(j+1)|| <= ||W^(j+1) v_(j+1)|| + s_(j+1) d_(j+1) "
                    "(mean path) and the bounds at every layer j + 1 > k; the mean remainder bound of the local "
                    "backward recursion for rbar_j; the minimum of two bounds is a bound",
             check=ur.unrolled_route_check(),
             latex=r"E(B^{(k)}) \le e_k = \min(e^{1}_k, e^{u}_k),\ \|\bar b^{(k)} - v_k\| \le d_k",
             also=(on_instances("<=", floats=_chained_floats, detail="every layer of 160 networks (the final m_k, e_k)"),)),
        Step("chained", "||bbar^(k)|| <= m_k = ||v_k|| + d_k and E(B^(k)) <= e_k",
             uses=("mean path", "deviation and energy bounds"), introduces=("m_k, e_k",),
             reason="bbar^(k) = v_k + delta_k and the triangle inequality",
             check=ru.AllOf(cc.chained_chain(ur.delta(cc.k)), ru.RuleChain(ru.E(ur.B(cc.k)), [
                 ru.cite("deviation and energy bounds", ru.E(ur.B(cc.k)), cc.e(cc.k))], cc.e(cc.k))),
             also=(on_instances("<=", floats=_chained_floats, detail="every layer of 160 networks"),)),
        Step("certificate", "||grad_k||_F <= n ||xbar^(k)|| m_k + lambda n E(X^(k)) e_k",
             uses=("m_k, e_k", "lemma3"), introduces=("statement",),
             reason="Lemma 3: ||grad_k|| <= n ||xbar^(k)|| ||bbar^(k)|| + lambda n E(X^(k)) E(B^(k))",
             check=cc.certificate_chain(ur.B(cc.k)),
             latex=r"\|\nabla_k\|_F \le n\|\bar x^{(k)}\| m_k + \lambda n E(X^{(k)}) e_k",
             also=(on_instances("<=", floats=_certificate_floats, detail="every layer of 160 networks"),)),
    )
    return Proof("local_certificate", (A1, A2, C1) + SETTING, steps, ("statement",),
                 notes=("Only forward quantities, the weights and the output error (bbar^(L), E(B^(L))) enter; "
                        "no hidden backward signal and no gradient.",
                        "Every step holds for every n, width and depth L: the one-step route and the unrolled route "
                        "are inductions on L - k, the unrolled identity (a sum of L - k terms with powers P^(j-k)) "
                        "is proved with the sum of the induction hypothesis as one term; e_k, d_k are the smaller of "
                        "the two routes, exactly as the numeric certificate computes them.",
                        "Facts proved at a generic layer k (linearised step, mean path, eta bound, local backward "
                        "recursion) are applied at layer j by the naming convention of the engine's inductions."))


AWAY = "every column segment of H^(k) avoids (-a, a), a >= 0"
THRESHOLD = "cosh(a)^2 >= lambda s_k"


def saturation_threshold_proof() -> Proof:
    """tanh: ell_k <= sech(a)^2 <= 4 exp(-2a); lambda s_k ell_k <= 1 once cosh(a)^2 >= lambda s_k."""
    steps = (
        Step("segment away from 0", "every column segment avoids (-a, a) => ell_k <= sech(a)^2",
             uses=(TANH, AWAY, LOCAL_DEFS), introduces=("sech bound",),
             reason="ell_kj is the maximum of tanh' = sech^2 over column j's segment, whose points x have "
                    "|x| >= a, i.e. x = +-(a + t), t >= 0; tanh' is even and sech(a + t)^2 <= sech(a)^2; "
                    "ell_k is the maximum over j",
             check=ru.AllOf(lc.tanh_even_identity(), lc.tanh_decreasing()),
             latex=r"\ell_k \le \mathrm{sech}(a)^2"),
        Step("exponential", "sech(a)^2 <= 4 exp(-2a)", uses=("sech bound",), introduces=("exp bound",),
             reason="with y = e^a: 4/(y + 1/y)^2 <= 4/y^2",
             check=lc.sech_exponential()),
        Step("threshold", "cosh(a)^2 >= lambda s_k => lambda s_k ell_k <= 1",
             uses=("sech bound", THRESHOLD), introduces=("statement",),
             reason="cosh(a)^2 = lambda s_k (1 + v), v >= 0: lambda s_k ell_k <= lambda s_k sech(a)^2 = 1/(1 + v)",
             check=lc.threshold_chain(THRESHOLD)),
    )
    return Proof("saturation_threshold", (TANH, AWAY, THRESHOLD, LOCAL_DEFS) + SETTING, steps,
                 ("sech bound", "exp bound", "statement"),
                 notes=("Not a-priori: large weights do not force every column segment away from 0 (a column "
                        "whose mean pre-activation is 0 keeps ell_k = 1 whatever s is); the threshold is a "
                        "condition checked on the run.",
                        "The tanh facts are decided by sympy for a symbolic argument (every real value): "
                        "exponential rewriting and the substitutions a = log(1 + p), a = log y."))
