"""Proof of Theorem 1 (forward oversmoothing), ``docs/theory.md``.

``E(H^(k)) <= lambda s_k E(X^(k))`` and ``E(X^(k)) <= prod_{i<k}(lambda s_i) E(X^(0)) <=
(lambda s)^k E(X^(0))``; with ``s <= lambda^(-alpha)``: ``<= lambda^((1-alpha)k) E(X^(0))``.
The Moonlight rendering ``(lambda s_k)^k`` is read as the product ``prod_{i<k} lambda s_i``.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> verify(theorem1_proof(), context={"lemma2": None}).passed
True
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import _floats as fl
from ._common import A1, A2, A3, SETTING, collect, registry_identity
from . import algebra as al
from . import rules as ru
from .checks import on_instances, scalar_identity, scalar_inequality
from .framework import Proof, Step
from backsmooth.symbolic.symbols import lam, s, k, alpha, E_X0  # the paper's symbols: one home

__all__ = ["theorem1_proof", "uniform_rate_check"]

_u, _t, _a, _b = sp.symbols("u t a b", nonnegative=True)
_sk, _Lk, _e0 = sp.symbols("s_k Lambda_k e_0", nonnegative=True)


def _layer_floats(which):
    def f(net):
        lamv = net["lam"]
        for kk in range(net["L"] + 1):
            X, F, H = net["X"][kk], net["F"][kk], net["H"][kk]
            # centring loses digits relative to the raw norm, so the scale is the raw norm
            sc = np.linalg.norm(X) + np.linalg.norm(F) + 1e-300
            if which == "W":
                yield fl.Ef(H), net["s"][kk] * fl.Ef(F), sc * max(net["s"][kk], 1)
            elif which == "P":
                yield fl.Ef(F), lamv * fl.Ef(X), sc
            elif which == "rho" and kk < net["L"]:
                yield fl.Ef(net["X"][kk + 1]), fl.Ef(H), np.linalg.norm(H) + 1e-300
    return lambda: collect(fl.network_instances(), f)


def _induction():
    # e_k <= Lam_k e_0 and e_{k+1} <= lambda s_k e_k  =>  e_{k+1} <= (Lam_k lambda s_k) e_0
    e_k = _Lk * _e0 - _a          # slack a >= 0
    e_k1 = lam * _sk * e_k - _b   # slack b >= 0
    return e_k1, (_Lk * lam * _sk) * _e0, {}


def uniform_rate_check(power=1):
    """Check ``E(X^(k)) <= (lambda s)^(power k) E(X^(0))`` with s = max_i s_i on random GNNs.

    ``power=1`` is Theorem 1; ``power=2`` (the squared rate, wrong for the root E) fails.
    """
    def f(net):
        smax = max(net["s"][:-1]) if net["L"] else 1.0
        e0 = fl.Ef(net["X"][0])
        for kk in range(net["L"] + 1):
            yield fl.Ef(net["X"][kk]), (net["lam"] * smax)**(power * kk) * e0, e0 + 1e-300
    return on_instances("<=", floats=lambda: collect(_tight_instances(), f),
                        detail="random GNNs incl. linear nets with eigen-aligned inputs (tight)")


def _tight_instances():
    return fl.network_instances() + fl.network_instances(seed=2, linear=True)


def _product_floats():
    def f(net):
        e0 = fl.Ef(net["X"][0])
        for kk in range(net["L"] + 1):
            Lam = float(np.prod([net["lam"] * si for si in net["s"][:kk]]))
            yield fl.Ef(net["X"][kk]), Lam * e0, e0 + 1e-300
    return collect(_tight_instances(), f)


def _uniform():
    g = 1 / (1 + _t)  # geometric mean of s_i/s in (0, 1]
    return (lam * g * s)**k, (lam * s)**k, {}


def _alpha():
    # s = g lambda^(-alpha), g in (0, 1]:  (lambda s)^k <= lambda^((1-alpha) k)
    g = 1 / (1 + _t)
    return (lam * g * lam**(-alpha))**k, lam**((1 - alpha) * k), {lam: 1 / (1 + _u)}


_X, _P, _W = al.matrix("X^(k)"), al.matrix("P"), al.matrix("W^(k)")
_sk_sym = sp.Symbol("s_k", positive=True)


def weights_chain():
    """``E(P X W) <= s_k E(P X)`` by rules (Lemma 2(c))."""
    F = _P * _X
    return ru.RuleChain(ru.E(F * _W), [
        ("E definition", ru.E(F * _W), {}),
        ("submultiplicative", ru.Fro(ru.PI * F * _W), {"split": 3, "pair": "F,2"}),
        ("weight norm", ru.Spec(_W), {"k": "k"}),
        ("E definition", ru.Fro(ru.PI * F), {})], _sk_sym * ru.E(F))


def propagation_chain(target=None):
    """``E(P X) <= lambda E(X)`` by rules (Lemma 2(b), m = 1)."""
    return ru.RuleChain(ru.E(_P * _X), [
        ("E definition", ru.E(_P * _X), {}),
        ("identity", ru.Fro(ru.PI * _P * _X), {"to": _P * ru.PI * ru.PI * _X}),
        ("submultiplicative", ru.Fro(_P * ru.PI * ru.PI * _X), {"split": 2, "pair": "2,F"}),
        ("spectral gap (A1)", ru.Spec(_P * ru.PI), {}),
        ("E definition", ru.Fro(ru.PI * _X), {})], lam * ru.E(_X) if target is None else target)


def activation_chain():
    """``E(rho(H)) <= E(H)``: Lemma 2(d), cited."""
    H = al.matrix("H^(k)")
    return ru.RuleChain(ru.E(al.matrix("rho(H^(k))")),
                        [ru.cite("lemma2", ru.E(al.matrix("rho(H^(k))")), ru.E(H))], ru.E(H))


def theorem1_proof() -> Proof:
    """Theorem 1 (forward oversmoothing)."""
    h = (A1, A2, A3) + SETTING
    steps = (
        Step("weights", "E(H^(k)) = E(F^(k) W^(k)) <= s_k E(P X^(k))",
             uses=("lemma2", "GNN recursion", "s_k, Q_k, S_k, Lam_k"), introduces=("E(H) <= s E(PX)",),
             reason="Lemma 2(c): Pi F W = (Pi F) W and ||AW||_F <= ||A||_F ||W||_2",
             check=weights_chain(),
             also=(on_instances("<=", floats=_layer_floats("W"), detail="every layer of 160 GNNs"),)),
        Step("propagation", "E(P X^(k)) <= lambda E(X^(k))",
             uses=("lemma2", A1), introduces=("E(PX) <= lambda E(X)",),
             reason="Lemma 2(b), m = 1: Pi P X = (P Pi)(Pi X), ||P Pi||_2 <= lambda",
             check=propagation_chain(),
             also=(on_instances("<=", floats=_layer_floats("P"), detail="every layer of 160 GNNs"),)),
        Step("activation", "E(X^(k+1)) = E(rho(H^(k))) <= E(H^(k))",
             uses=("lemma2", A2), introduces=("E(rho(H)) <= E(H)",),
             reason="Lemma 2(d)",
             check=activation_chain(),
             also=(on_instances("<=", floats=_layer_floats("rho"), detail="tanh, arctan, sin, softsign, id"),)),
        Step("induction", "E(X^(k)) <= Lam_k E(X^(0)), Lam_(k+1) = Lam_k lambda s_k",
             uses=("E(H) <= s E(PX)", "E(PX) <= lambda E(X)", "E(rho(H)) <= E(H)", "s_k, Q_k, S_k, Lam_k"),
             introduces=("product bound",),
             reason="chain the three steps, induct on k (the symbolic check is the induction step, with slacks a, b >= 0; "
                    "the base case Lam_0 = 1 is the definition)",
             check=scalar_inequality(_induction, "slacks a, b >= 0; Lambda_k, s_k, e_0 >= 0, symbolic"),
             also=(on_instances("<=", floats=_product_floats, detail="incl. tight linear eigen-aligned nets"),)),
        Step("uniform", "Lam_k <= (lambda s)^k when s_i <= s",
             uses=("product bound", A3), introduces=("uniform bound",),
             reason="Lam_k = (lambda g s)^k with g <= 1 the geometric mean of s_i/s",
             check=scalar_inequality(_uniform, "k symbolic, g = 1/(1+t)"),
             also=(uniform_rate_check(1),),
             latex=r"E(X^{(k)}) \le (\lambda s)^k E(X^{(0)})"),
        Step("alpha", "s <= lambda^(-alpha) implies (lambda s)^k <= lambda^((1-alpha)k)",
             uses=("uniform bound",), introduces=("alpha rate",),
             reason="lambda s <= lambda^(1-alpha)",
             check=scalar_inequality(_alpha, "0 < lambda = 1/(1+u) < 1, k symbolic, s = g lambda^(-alpha)")),
        Step("registry", "the chained bound (lambda s)^k E(X^(0)) is the registry's uniform statement",
             uses=("uniform bound",), introduces=("statement",),
             reason="identity with backsmooth.symbolic",
             check=scalar_identity(registry_identity("theorem1", "uniform", lambda: (lam * s)**k * E_X0))),
    )
    return Proof("theorem1", h, steps, ("E(H) <= s E(PX)", "product bound", "uniform bound", "alpha rate",
                                         "statement"),
                 notes=("'(lambda s_k)^k' of the Moonlight rendering read as prod_{i<k} lambda s_i <= (lambda s)^k.",))
