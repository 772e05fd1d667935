"""Proofs of Definition 1, Lemma 4 and Theorem 3, ``docs/theory.md``.

Definition 1: layer-wise ``delta``-stationarity gives ``||nabla Loss|| <= sqrt(L+1) delta``;
the MSE best constant predictor has loss ``E(Y)^2/2``.  Lemma 4: ``n ||xbar^(L)|| mu <=
||grad_L||_F + lambda n E(X^(L)) E(B^(L))``.  Theorem 3(a): ``||grad_k||_F <= min(T1_k, T2_k)``.

Correction kept from docs/theory.md (checked here exactly): "||grad_L|| <= delta implies every
layer near-stationary" is false without ``||xbar^(L)|| >= gamma``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import _exact as ex
from . import _floats as fl
from ._common import (A1, A1P, A2, A2A, A2B, SETTING, Pi, collect, fro2, mat, ones,
                                       registry_identity)
from .checks import exact_witness, scalar_identity, on_instances, symbolic_identity, symbolic_inequality
from . import theorem3_routes as tr
from . import theorem3_uniform as tu
from .algebra import all_sizes_identity as _asi
from .checks import scalar_inequality
from .rules import AllOf


def al_identity(build, detail):
    """An identity of matrices of every size without hypotheses (definitions only)."""
    return _asi(build, rules=(), detail=detail)
from ._common import A3
from .framework import Proof, Step
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["definition1_proof", "lemma4_proof", "theorem3_proof", "routes"]

delta = sy.delta


def _full_gradient():
    # ||grad_k|| = delta theta_k with theta_k = 1/(1+t_k) in (0, 1], L = 3 (4 layers)
    t = sp.symbols("t0:4", nonnegative=True)
    return sum((delta / (1 + ti))**2 for ti in t), 4 * delta**2, {}


def _mse_constant():
    Y = mat("y", 3, 2)
    c = sp.Matrix(sp.symbols("c_0 c_1", real=True))
    ybar = Y.T * ones(3) / 3
    loss = fro2(Y - ones(3) * c.T) / 6
    grad = sp.Matrix([sp.diff(loss, ci) for ci in c])
    return [(loss, fro2(Pi(3) * Y) / 6 + fro2(ybar - c) / 2), (grad.subs(dict(zip(c, ybar))), sp.zeros(2, 1))]


def _ce_constant():
    pis = sp.symbols("pi_0:3", positive=True)
    z = sum(pis)
    soft = [pi / z for pi in pis]  # softmax(log pi) = pi / sum(pi); = pi when sum(pi) = 1
    return [(soft[i].subs(pis[2], 1 - pis[0] - pis[1]), pis[i] if i < 2 else 1 - pis[0] - pis[1])
            for i in range(3)]


_kk = sp.Symbol("k", integer=True)
_Lsym = sp.Symbol("L", integer=True, nonnegative=True)
_gk = sp.Function("g", nonnegative=True)  # g(k) = ||grad_k||_F
_FULL_PREMISE = "||grad_k||_F <= delta for all k"


def full_gradient_chain():
    """``||nabla Loss|| = sqrt(sum_{k=0}^{L} ||grad_k||^2) <= sqrt(L+1) delta`` for every L (rules)."""
    from . import rules as ru

    total = sp.Sum(_gk(_kk)**2, (_kk, 0, _Lsym))
    return ru.RuleChain(sp.sqrt(total), [
        ("termwise sum", total, {"small": _gk(_kk), "large": delta, "premise": _FULL_PREMISE}),
        ("rewrite", None, {"to": sp.sqrt(_Lsym + 1) * delta, "name": "sum of L + 1 equal terms"})],
        sp.sqrt(_Lsym + 1) * delta, "L symbolic")


def _mse_all():
    from . import algebra as al
    from .rules import PI

    Y, c = al.matrix("Y"), al.matrix("c")
    d = al.mean(Y) - c
    lhs = al.transpose(Y - al.ONE * al.transpose(c)) * (Y - al.ONE * al.transpose(c))
    return lhs, al.transpose(PI * Y) * (PI * Y) + al.n * d * al.transpose(d)


def _mse_min():
    a, b = sp.symbols("a b", nonnegative=True)  # a = ||Pi Y||^2, b = ||ybar - c||^2 (0 at c = ybar)
    n = sp.Symbol("n", positive=True)
    return a / (2 * n), a / (2 * n) + b / 2, {}


def _ce_all():
    # softmax(log pi)_c = pi_c / sum_j pi_j for K classes (K symbolic); = pi_c when sum_j pi_j = 1
    K = sp.Symbol("K", integer=True, positive=True)
    j = sp.Symbol("j", integer=True)
    pi = sp.IndexedBase("pi", positive=True)
    c = sp.Symbol("c", integer=True)
    Z = sp.Sum(sp.exp(sp.log(pi[j])), (j, 1, K))
    soft = sp.exp(sp.log(pi[c])) / Z
    return soft.subs(sp.Sum(pi[j], (j, 1, K)), 1).subs(Z.function, pi[j]).subs(sp.Sum(pi[j], (j, 1, K)), 1), pi[c]


def definition1_proof() -> Proof:
    """Definition 1 (delta-stationary point; spurious relative to L_const)."""
    h = ("grad_k for k = 0..L", "Loss", _FULL_PREMISE) + SETTING
    steps = (
        Step("layer-wise to full", "||grad_k||_F <= delta for all k implies ||nabla Loss||_2 <= sqrt(L+1) delta",
             uses=("grad_k for k = 0..L", _FULL_PREMISE), introduces=("full gradient",),
             reason="||nabla||^2 = sum_k ||grad_k||^2 <= (L+1) max_k ||grad_k||^2",
             check=full_gradient_chain(),
             also=(symbolic_inequality(_full_gradient, "L = 3, ||grad_k|| = delta/(1+t_k), t_k >= 0"),)),
        Step("MSE constant", "L_const = min_c (1/2n)||Y - 1c^T||_F^2 = (1/2n)||Pi Y||_F^2 = E(Y)^2/2, at c = ybar",
             uses=("Loss", "lemma1"), introduces=("L_const MSE",),
             reason="centring identity (Lemma 1); the gradient vanishes at c = ybar",
             check=AllOf(al_identity(_mse_all, "centring identity, any n and width"),
                         scalar_inequality(_mse_min, "a = ||Pi Y||^2, b = ||ybar - c||^2 >= 0, zero at c = ybar")),
             also=(symbolic_identity(_mse_constant, "n = 3, two outputs, generic Y, c"),)),
        Step("CE constant", "for cross-entropy the best constant is c* = log pi (softmax(c*) = pi), L_const = H(pi)",
             uses=("Loss",), introduces=("L_const CE",),
             reason="the gradient of the convex mean CE at a constant c is softmax(c) - pi",
             check=scalar_identity(_ce_all, "K classes (K symbolic), frequencies pi_c > 0 summing to 1"),
             also=(symbolic_identity(_ce_constant, "3 classes, frequencies pi_c > 0 summing to 1"),)),
    )
    return Proof("definition1", h, steps, ("full gradient", "L_const MSE", "L_const CE"))


# ---------------------------------------------------------------- Lemma 4
_n, _x, _mu, _g, _c = sp.symbols("n x mu g c", positive=True)
_t, _w = sp.symbols("t w", nonnegative=True)
gamma = sy.gamma


def _divide():
    # hypothesis n x mu <= g + c (g = delta_L, c = lambda n E_XL E_BL) as g + c = n x mu + t, x = gamma + w
    A = _n * (gamma + _w) * _mu + _t
    return _mu, A / (_n * gamma), {}


def _lemma4_floats():
    def f(net):
        L_, X, B = net["L"], net["X"], net["B"]
        n = net["n"]
        xb = np.linalg.norm(X[L_].mean(0))
        if xb == 0:
            return
        mu0 = (np.linalg.norm(net["grads"][L_]) + net["lam"] * n * fl.Ef(X[L_]) * fl.Ef(B[L_])) / (n * xb)
        yield np.linalg.norm(B[L_].mean(0)), mu0, np.linalg.norm(B[L_])
    return collect(fl.network_instances(), f)


def _output_split_chain():
    """(3.1) of Lemma 3 at k = L, cited (a rule chain of one citation)."""
    from . import rules as ru

    xL, muL, gL, EX, EB = sp.symbols("xbar_L mu grad_L E_XL E_BL", nonnegative=True)
    return ru.RuleChain(_n * xL * muL, [ru.cite("lemma3", _n * xL * muL, gL + ru.lam * _n * EX * EB)],
                        gL + ru.lam * _n * EX * EB, "k = L in (3.1)")


def lemma4_proof() -> Proof:
    """Lemma 4 (stationary output layer and ||xbar^(L)|| >= gamma imply a small mean error)."""
    h = (A1, "||xbar^(L)|| >= gamma > 0", "||grad_L||_F <= delta_L") + SETTING
    steps = (
        Step("(3.1) at L", "n ||xbar^(L)|| mu <= ||grad_L||_F + lambda n E(X^(L)) E(B^(L))",
             uses=("lemma3",), introduces=("output split",),
             reason="Lemma 3, (3.1) at k = L",
             check=_output_split_chain(),
             also=(on_instances("<=", floats=_lemma4_floats, detail="mu <= mu_0 with gamma = ||xbar^(L)||"),)),
        Step("divide", "mu <= mu_0 = (delta_L + lambda n E(X^(L)) E(B^(L))) / (n gamma)",
             uses=("output split", "||xbar^(L)|| >= gamma > 0", "||grad_L||_F <= delta_L"),
             introduces=("mu_0",), reason="divide by n ||xbar^(L)|| >= n gamma",
             check=scalar_inequality(_divide, "slacks t, w >= 0")),
        Step("registry", "mu_0 is the registry's Lemma 4 bound",
             uses=("mu_0",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=scalar_identity(registry_identity(
                 "lemma4", "mu0",
                 lambda: (sy.delta_L + sy.lam * sy.n * sy.E_XL * sy.E_BL) / (sy.n * sy.gamma)))),
        Step("a priori", "E(X^(L)) <= Lam_L E(X^(0)) gives the a priori mu_0",
             uses=("mu_0", "theorem1"), introduces=("a priori",), reason="Theorem 1; the bound is increasing in E(X^(L))",
             check=scalar_inequality(lambda: ((sp.Symbol("d") + _c * (_x)) / _n,
                                                (sp.Symbol("d") + _c * (_x + _t)) / _n, {}),
                                       "monotone substitution E_XL = Lam_L E_X0 - t")),
    )
    return Proof("lemma4", h, steps, ("mu_0", "a priori", "statement"))


# ---------------------------------------------------------------- Theorem 3
def routes(net, kk):
    """``(T1_k, T2_k)`` of Theorem 3(a) for one network layer (floats, a posteriori)."""
    lamv, s_, L_, B, X = net["lam"], net["s"], net["L"], net["B"], net["X"]
    n = net["n"]
    c = net["rho"].derivative_lipschitz
    xi = np.linalg.norm(X[0])
    beta_, mu_, eB = fl.rowf(B[L_]), np.linalg.norm(B[L_].mean(0)), fl.Ef(B[L_])
    Q = float(np.prod(s_[:kk]))
    S = float(np.prod(s_[kk + 1:]))
    Sig = [sum(s_[jj] * fl.Ef(X[jj]) for jj in range(m, L_)) for m in range(L_ + 1)]
    T1 = min(np.sqrt(n) * xi * Q * S * (lamv**(L_ - m) * eB + mu_ + 2 * c * lamv * beta_ * Sig[m])
             for m in range(kk, L_ + 1))
    T2 = np.sqrt(n) * xi * Q * S * (mu_ + c * lamv * beta_ * Sig[kk]) + \
        lamv * n * fl.Ef(X[kk]) * S * (lamv**(L_ - kk) * eB + c * lamv * beta_ * Sig[kk])
    return T1, T2


def _route_floats(which):
    def f(net):
        if not net["rho"].zero_at_zero:
            return
        for kk in range(net["L"] + 1):
            T1, T2 = routes(net, kk)
            g = np.linalg.norm(net["grads"][kk])
            yield g, {"T1": T1, "T2": T2}[which], g + 1e-300
    return lambda: collect(fl.network_instances(), f)


def _ingredient_floats():
    def f(net):
        s_, X, B, L_ = net["s"], net["X"], net["B"], net["L"]
        n = net["n"]
        xi = np.linalg.norm(X[0])
        for kk in range(L_ + 1):
            Q = float(np.prod(s_[:kk]))
            yield np.linalg.norm(X[kk]), Q * xi, xi * max(Q, 1)                      # (F2)
            yield n * np.linalg.norm(X[kk].mean(0)), np.sqrt(n) * np.linalg.norm(X[kk]), xi * max(Q, 1)
            for m in range(kk, L_ + 1):                                               # (F4)
                pr = float(np.prod(s_[kk + 1:m + 1]))
                yield np.linalg.norm(B[kk]), pr * np.linalg.norm(B[m]), np.linalg.norm(B[m]) * max(pr, 1)
    return collect(fl.network_instances(), f)


def _gamma_counterexample():
    # exact: flat P (lambda = 1/2), identity activation, W^(L-1) = 0 so X^(L) = 0 and grad_L = 0,
    # yet grad_(L-1) != 0 -- for L = 2, 3.  Returned as (||grad_L||^2, 0) and (0 < ||grad_(L-1)||^2).
    out = []
    for L_ in (2, 3):
        P = ex.J(3) + ex.R(1, 2) * ex.Pi(3)
        X0 = sp.Matrix([[1, 0], [0, 1], [1, 1]])
        Ws = [sp.Rational(3, 2) * sp.eye(2) for _ in range(L_ - 1)] + [sp.zeros(2, 2), sp.Matrix([[1], [2]])]
        Xs, Fs, Hs = ex.net_forward(P, X0, Ws, "identity")
        Y = sp.Matrix([1, 2, 3])
        Bs, grads = ex.net_backward(P, Fs, Hs, Ws, (Hs[-1] - Y) / 3, "identity")
        out.append((fro2(grads[L_]), sp.Integer(0)))
        out.append((sp.Rational(1, 10**6) - fro2(grads[L_ - 1]), sp.Integer(0)))
    return out


def theorem3_proof() -> Proof:
    """Theorem 3 (every layer's gradient is bounded by the mean output error plus decaying terms)."""
    h = (A1, A1P, A2, A2A, A2B, A3, tu.LAMBDA_S, tu.S_LE_1) + SETTING
    steps = (
        Step("gamma needed", "without ||xbar^(L)|| >= gamma the uncorrected statement fails: grad_L = 0, grad_(L-1) != 0",
             uses=(A1,), introduces=("correction",),
             reason="W^(L-1) = 0 gives X^(L) = 0 but grad_(L-1) keeps the mean part n xbar^(L-1)(W^(L) bbar^(L))^T",
             check=exact_witness(lambda: [(a, b, {}) for a, b in _gamma_counterexample()],
                                 "exact rational nets L = 2, 3: ||grad_L||^2 = 0 and ||grad_(L-1)||^2 > 1e-6")),
        Step("(F1)", "E(X^(j)) <= Lam_j e_X", uses=("theorem1",), introduces=("(F1)",),
             reason="Theorem 1", check=tr.f1_chain()),
        Step("(F2)", "||X^(k)||_F <= Q_k ||X^(0)||_F = Q_k xi",
             uses=(A1, A2, A2A, "s_k, Q_k, S_k, Lam_k"), introduces=("(F2)",),
             reason="|rho(x)| <= |x| (A2a), ||P||_2 = 1, ||W^(k)||_2 = s_k; induction on k (Lemma 2(e)); "
                    "Frobenius, not spectral norms",
             check=tr.f2_forward_check(),
             also=(on_instances("<=", floats=_ingredient_floats),)),
        Step("(F2')", "n ||xbar^(k)|| <= sqrt(n) ||X^(k)||_F <= sqrt(n) Q_k xi",
             uses=("(F2)",), introduces=("(F2')",), reason="Cauchy-Schwarz on the column sums (Lemma 1)",
             check=tr.f2_mean_chain()),
        Step("(F3)", "||B^(j)||_row <= S_j beta", uses=("theorem2",), introduces=("(F3)",),
             reason="Theorem 2 (iv)", check=tr.f3_chain()),
        Step("(F4)", "||B^(k)||_F <= (prod_{i=k+1}^m s_i) ||B^(m)||_F for m >= k",
             uses=(A1, A2, "s_k, Q_k, S_k, Lam_k"), introduces=("(F4)",),
             reason="|rho'| <= 1, ||P^T||_2 = ||P||_2 = 1, ||W^(k+1)||_2 = s_(k+1); induction on m - k",
             check=tr.f4_backward_check()),
        Step("backward route", "for every m in {k..L}: ||grad_k||_F <= sqrt(n) xi Q_k S_k [lambda^(L-m) e_B + mu + "
             "2 c_rho lambda beta Sigma_m]; so ||grad_k||_F <= T1_k = sqrt(n) xi Q_k S_k min_m [...]",
             uses=("(F2)", "(F4)", "proposition1", "theorem2", A1, "s_k, Q_k, S_k, Lam_k"), introduces=("T1",),
             reason="||grad_k|| <= ||X^(k)||_F ||B^(k)||_F, ||B^(m)||_F <= sqrt(n)(E(B^(m)) + ||bbar^(m)||), (F5), (F6) "
                    "(Theorem 2 (v) with lambda^(j-m+1) <= lambda), (prod_{i=k+1}^m s_i) S_m = S_k",
             check=tr.backward_route_chain(),
             also=(on_instances("<=", floats=_route_floats("T1"), detail="a posteriori, every layer"),)),
        Step("forward route", "||grad_k||_F <= T2_k = sqrt(n) xi Q_k S_k (mu + c_rho lambda beta Sigma_k) + "
             "lambda n E(X^(k)) S_k (lambda^(L-k) e_B + c_rho lambda beta Sigma_k)",
             uses=("(F2')", "lemma3", "proposition1", "theorem2", A1), introduces=("T2",),
             reason="Lemma 3 split X^T P B = n xbar bbar^T + (Pi X)^T (P Pi)(Pi B), then (F2'), (F5), (F6)",
             check=tr.forward_route_chain(),
             also=(on_instances("<=", floats=_route_floats("T2"), detail="a posteriori, every layer"),)),
        Step("registry", "T2_k is the registry's forward-route statement",
             uses=("T2",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=scalar_identity(registry_identity("theorem3", "forward_route", _t2))),
        Step("uniform products", "Q_k S_k = prod_{i != k} s_i <= s^L when s_i <= s",
             uses=(A3, "s_k, Q_k, S_k, Lam_k"), introduces=("uniform products",),
             reason="L factors s_i <= s (geometric mean of s_i/s <= 1)",
             check=tu.uniform_products()),
        Step("Sigma bound", "Sigma_m = sum_{j=m}^{L-1} s_j E(X^(j)) <= s e_X (lambda s)^m / (1 - lambda s)",
             uses=(A3, "theorem1", tu.LAMBDA_S), introduces=("Sigma bound",),
             reason="s_j <= s, E(X^(j)) <= (lambda s)^j e_X (Theorem 1), geometric series",
             check=tu.sigma_chain()),
        Step("(b) uniform", "for every M in {0..L}: max_k ||grad_k||_F <= delta(M) = sqrt(n) xi s^L [mu + "
             "lambda^(L-M) e_B + 2 c_rho lambda s e_X beta (lambda s)^M / (1 - lambda s)]",
             uses=("T1", "T2", "uniform products", "Sigma bound", "theorem1", "lemma1", "mean_propagation",
                   A3, tu.LAMBDA_S),
             introduces=("(b)",),
             reason="k <= M: T1_k at m = M; k > M: T2_k with E(X^(k)) <= (lambda s)^k xi/sqrt(n), "
                    "lambda^(L+1) <= lambda^(L-M), lambda^(k+1) (lambda s)^k <= (lambda s)^M",
             check=tu.part_b(),
             latex=r"\max_k\|\nabla_k\|_F\le\sqrt n\,\xi\,s^L\Big[\mu+\lambda^{L-M}e_B+"
                   r"\frac{2c_\rho\lambda s e_X\beta(\lambda s)^M}{1-\lambda s}\Big]"),
        Step("(c) clean", "s <= 1: max_k ||grad_k||_F <= sqrt(n) xi [mu + lambda^floor(L/2) (e_B + 2 c_rho e_X beta / (1 - lambda))]",
             uses=("(b)", tu.S_LE_1), introduces=("(c)",),
             reason="(b) with M = ceil(L/2): s^L <= 1, 1/(1 - lambda s) <= 1/(1 - lambda), (lambda s)^M <= lambda^(floor(L/2) - 1)",
             check=tu.part_c()),
    )
    return Proof("theorem3", h, steps, ("T1", "T2", "statement", "(b)", "(c)"),
                 notes=("Our statement corrects the reconstruction: a lower bound ||xbar^(L)|| >= gamma is needed "
                        "(Lemma 4); step 'gamma needed' checks the counter-example exactly.",
                        "Frobenius norms replace the reconstruction's ||X^(k)||_2 <= s^k ||X^(0)||_2 (Lemma 2 warning).",
                        "Part (a) (the routes T1, T2 and their ingredients (F1)-(F4)) and parts (b), (c), derived "
                        "from (a), are rule chains.",
                        "(b) needs lambda s < 1 and (c) needs s <= 1: hypotheses of those parts only."))


def _t2():
    n, xi, Q, S, mu, c, lam, beta, Sig, EX, L, k, EB = (sy.n, sy.xi, sy.Q_k, sy.S_k, sy.mu, sy.c_rho, sy.lam, sy.beta,
                                                       sy.Sigma_k, sy.E_Xk, sy.L, sy.k, sy.E_BL)
    return sp.sqrt(n) * xi * Q * S * (mu + c * lam * beta * Sig) + lam * n * EX * S * (lam**(L - k) * EB + c * lam * beta * Sig)
