"""The paper's scalar symbols, with the sympy assumptions the statements need.

Conventions (``docs/theory.md``): ``J = 11^T/n``, ``Pi = I - J``,
``E(X) = ||Pi X||_F / sqrt(n)`` (the ROOT convention: ``E(X)^2 = (1/(2n^2)) sum_ij
||X_i - X_j||^2``), ``s_k = ||W^(k)||_2``, ``lambda`` bounds every non-trivial eigenvalue of
``P`` in absolute value.  Measured quantities (``E(X^(0))``, ``||B^(L)||_row``, ...) are
nonnegative symbols.

Examples
--------
>>> from backsmooth.symbolic.symbols import lam, s, alpha
>>> bool(lam.is_positive), bool(s.is_positive), bool(alpha.is_nonnegative)
(True, True, True)
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "n", "L", "k", "m", "j", "M",
    "lam", "s", "alpha", "delta", "gamma", "c_rho", "c_2", "w", "p",
    "s_k", "s_k1", "s_L", "Lam_k", "Lam_L", "Q_k", "S_k",
    "E_X0", "E_Xk", "E_XL", "E_Hk", "E_Bk", "E_Bk1", "E_BL", "E_Y", "E_HL",
    "beta", "mu", "xi", "xbar_L", "delta_L", "G_max", "B_row_k1", "L_const", "Sigma_k",
    "Sigma_m", "E_X", "E_B", "X_F", "xbar", "grad_k", "grad_norm", "loss", "E_PmX", "E_XW",
    "E_rhoX", "r_k", "bbar_k", "mean_gap_k", "dist_k", "x_i", "s_i", "i",
    "Sigma_lam_k", "gbar_inf", "bbar_k1",
    "kappa_k", "kappa", "Sigma_kappa_k", "s_out",
    "SYMBOL_MEANINGS", "LATEX_NAMES", "TEXT_NAMES", "python_name",
]

# integers
n = sp.Symbol("n", integer=True, positive=True)
L = sp.Symbol("L", integer=True, positive=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
m = sp.Symbol("m", integer=True, nonnegative=True)
j = sp.Symbol("j", integer=True, nonnegative=True)
M = sp.Symbol("M", integer=True, nonnegative=True)

# reals with assumptions
lam = sp.Symbol("lambda", positive=True)  # 0 < lambda < 1 is imposed where used
s = sp.Symbol("s", positive=True)
alpha = sp.Symbol("alpha", nonnegative=True)  # alpha < 1 imposed where used
delta = sp.Symbol("delta", nonnegative=True)
gamma = sp.Symbol("gamma", positive=True)
c_rho = sp.Symbol("c_rho", nonnegative=True)
c_2 = sp.Symbol("c_2", nonnegative=True)
w = sp.Symbol("w", real=True)
p = sp.Symbol("p", real=True)

s_k = sp.Symbol("s_k", nonnegative=True)
s_k1 = sp.Symbol("s_{k+1}", nonnegative=True)
s_L = sp.Symbol("s_L", nonnegative=True)
Lam_k = sp.Symbol("Lambda_k", nonnegative=True)
Lam_L = sp.Symbol("Lambda_L", nonnegative=True)
Q_k = sp.Symbol("Q_k", nonnegative=True)
S_k = sp.Symbol("S_k", nonnegative=True)

E_X0 = sp.Symbol("E_X0", nonnegative=True)
E_Xk = sp.Symbol("E_Xk", nonnegative=True)
E_XL = sp.Symbol("E_XL", nonnegative=True)
E_Hk = sp.Symbol("E_Hk", nonnegative=True)
E_Bk = sp.Symbol("E_Bk", nonnegative=True)
E_Bk1 = sp.Symbol("E_Bk1", nonnegative=True)
E_BL = sp.Symbol("E_BL", nonnegative=True)
E_Y = sp.Symbol("E_Y", nonnegative=True)
E_HL = sp.Symbol("E_HL", nonnegative=True)
beta = sp.Symbol("beta", nonnegative=True)
mu = sp.Symbol("mu", nonnegative=True)
xi = sp.Symbol("xi", nonnegative=True)
xbar_L = sp.Symbol("xbar_L", positive=True)
delta_L = sp.Symbol("delta_L", nonnegative=True)
G_max = sp.Symbol("G_max", nonnegative=True)
B_row_k1 = sp.Symbol("B_row_k1", nonnegative=True)
L_const = sp.Symbol("L_const", nonnegative=True)
Sigma_k = sp.Symbol("Sigma_k", nonnegative=True)

#: what a numeric caller must supply for each symbol (root convention for every E)
SYMBOL_MEANINGS = {
    "n": "number of nodes",
    "L": "depth: number of hidden layers (weights W^(0..L))",
    "k": "layer index, 0 <= k <= L",
    "m": "power of P",
    "M": "split layer of Theorem 3(b), 0 <= M <= L",
    "lambda": "max |mu_i| over the non-trivial eigenvalues of P (0 < lambda < 1)",
    "s": "uniform bound on the spectral norms s_i = ||W^(i)||_2",
    "alpha": "exponent with s <= lambda^(-alpha), 0 <= alpha < 1",
    "delta": "stationarity level: ||grad_k||_F <= delta for every k",
    "gamma": "lower bound on ||xbar^(L)||",
    "c_rho": "Lipschitz constant of rho'",
    "c_2": "Lipschitz constant of rho''",
    "w": "free weight of the Proposition 2 constructions",
    "p": "off-diagonal entry of P_p = [[1-p, p], [p, 1-p]]",
    "s_k": "||W^(k)||_2",
    "s_{k+1}": "||W^(k+1)||_2",
    "s_L": "||W^(L)||_2",
    "Lambda_k": "prod_{i<k} lambda s_i (1 for k = 0)",
    "Lambda_L": "prod_{i<L} lambda s_i",
    "Q_k": "prod_{i<k} s_i",
    "S_k": "prod_{i=k+1}^{L} s_i",
    "E_X0": "E(X^(0)) = ||Pi X^(0)||_F/sqrt(n)",
    "E_Xk": "E(X^(k))",
    "E_XL": "E(X^(L))",
    "E_Hk": "E(H^(k))",
    "E_Bk": "E(B^(k))",
    "E_Bk1": "E(B^(k+1))",
    "E_BL": "E(B^(L))",
    "E_Y": "E(Y) (targets)",
    "E_HL": "E(H^(L)) (output)",
    "beta": "||B^(L)||_row = max_i ||B^(L)_i||_2",
    "mu": "||bbar^(L)||_2, the mean output error",
    "xi": "||X^(0)||_F",
    "xbar_L": "||xbar^(L)||_2",
    "delta_L": "||grad_L||_F (or a bound on it)",
    "G_max": "||G_k||_max with G_k = P B^(k+1) W^(k+1)T",
    "B_row_k1": "||B^(k+1)||_row",
    "L_const": "loss of the best constant predictor",
    "Sigma_k": "sum_{j=k}^{L-1} s_j E(X^(j))",
}

Sigma_m = sp.Symbol("Sigma_m", nonnegative=True)
E_X = sp.Symbol("E_X", nonnegative=True)
E_B = sp.Symbol("E_B", nonnegative=True)
X_F = sp.Symbol("X_F", nonnegative=True)
xbar = sp.Symbol("xbar", nonnegative=True)
grad_k = sp.Symbol("grad_k", nonnegative=True)
grad_norm = sp.Symbol("grad_norm", nonnegative=True)
loss = sp.Symbol("Loss", nonnegative=True)
E_PmX = sp.Symbol("E_PmX", nonnegative=True)
E_XW = sp.Symbol("E_XW", nonnegative=True)
E_rhoX = sp.Symbol("E_rhoX", nonnegative=True)
r_k = sp.Symbol("r_k", nonnegative=True)
bbar_k = sp.Symbol("bbar_k", nonnegative=True)
mean_gap_k = sp.Symbol("mean_gap_k", nonnegative=True)
dist_k = sp.Symbol("dist_k", nonnegative=True)
i = sp.Symbol("i", integer=True, nonnegative=True)
s_i = sp.IndexedBase("s", positive=True)
x_i = s_i  # alias kept for readability in products

Sigma_lam_k = sp.Symbol("Sigma_lam_k", nonnegative=True)
gbar_inf = sp.Symbol("gbar_inf", nonnegative=True)
bbar_k1 = sp.Symbol("bbar_k1", nonnegative=True)

SYMBOL_MEANINGS.update({
    "Sigma_lam_k": "sum_{j=k}^{L-1} lambda^(j-k+1) s_j E(X^(j))",
    "gbar_inf": "||gbar_k||_inf = max_j |(W^(k+1) bbar^(k+1))_j|",
    "bbar_k1": "||bbar^(k+1)||_2",
    "Sigma_m": "sum_{j=m}^{L-1} s_j E(X^(j))",
    "E_X": "E(X) for a generic X",
    "E_B": "E(B) for a generic B",
    "X_F": "||X||_F",
    "xbar": "||xbar||_2, norm of the mean row of X",
    "grad_k": "||dLoss/dW^(k)||_F",
    "grad_norm": "||nabla_theta Loss||_2",
    "Loss": "value of the loss",
    "E_PmX": "E(P^m X)",
    "E_XW": "E(X W)",
    "E_rhoX": "E(rho(X))",
    "r_k": "||bbar^(k) - D_k W^(k+1) bbar^(k+1)||_2",
    "bbar_k": "||bbar^(k)||_2",
    "mean_gap_k": "||bbar^(k) - N_k bbar^(L)||_2",
    "dist_k": "||B^(k) - 1 (M_k bbar^(L))^T||_F",
})

#: LaTeX spelling of the symbols (a subset of LaTeX that matplotlib mathtext parses)
LATEX_NAMES = {
    lam: r"\lambda", s_k: "s_k", s_k1: "s_{k+1}", s_L: "s_L",
    Lam_k: r"\Lambda_k", Lam_L: r"\Lambda_L", Q_k: "Q_k", S_k: "S_k",
    E_X0: r"\mathcal{E}(X^{(0)})", E_Xk: r"\mathcal{E}(X^{(k)})", E_XL: r"\mathcal{E}(X^{(L)})",
    E_Hk: r"\mathcal{E}(H^{(k)})", E_Bk: r"\mathcal{E}(B^{(k)})", E_Bk1: r"\mathcal{E}(B^{(k+1)})",
    E_BL: r"\mathcal{E}(B^{(L)})", E_Y: r"\mathcal{E}(Y)", E_HL: r"\mathcal{E}(H^{(L)})",
    beta: r"\|B^{(L)}\|_{row}", mu: r"\|\bar{b}^{(L)}\|", xi: r"\|X^{(0)}\|_F",
    xbar_L: r"\|\bar{x}^{(L)}\|", delta_L: r"\delta_L", G_max: r"\|G_k\|_{max}",
    B_row_k1: r"\|B^{(k+1)}\|_{row}", L_const: r"\mathcal{L}_{const}", Sigma_k: r"\Sigma_k",
    Sigma_m: r"\Sigma_m", E_X: r"\mathcal{E}(X)", E_B: r"\mathcal{E}(B)", X_F: r"\|X\|_F",
    xbar: r"\|\bar{x}\|", grad_k: r"\|\nabla_{W^{(k)}}\mathcal{L}\|_F",
    grad_norm: r"\|\nabla_\theta\mathcal{L}\|", loss: r"\mathcal{L}(\theta)",
    E_PmX: r"\mathcal{E}(P^m X)", E_XW: r"\mathcal{E}(XW)", E_rhoX: r"\mathcal{E}(\rho(X))",
    r_k: r"\|r_k\|", bbar_k: r"\|\bar{b}^{(k)}\|", mean_gap_k: r"\|\bar{b}^{(k)} - N_k\bar{b}^{(L)}\|",
    dist_k: r"\|B^{(k)} - 1(M_k\bar{b}^{(L)})^T\|_F", c_rho: r"c_\rho",
}

#: plain-text spelling of the symbols
TEXT_NAMES = {
    E_X0: "E(X^(0))", E_Xk: "E(X^(k))", E_XL: "E(X^(L))", E_Hk: "E(H^(k))", E_Bk: "E(B^(k))",
    E_Bk1: "E(B^(k+1))", E_BL: "E(B^(L))", E_Y: "E(Y)", E_HL: "E(H^(L))",
    beta: "||B^(L)||_row", mu: "||bbar^(L)||", xi: "||X^(0)||_F", xbar_L: "||xbar^(L)||",
    G_max: "||G_k||_max", B_row_k1: "||B^(k+1)||_row", E_X: "E(X)", E_B: "E(B)", X_F: "||X||_F",
    xbar: "||xbar||", grad_k: "||grad_k||_F", grad_norm: "||grad_theta Loss||", E_PmX: "E(P^m X)",
    E_XW: "E(XW)", E_rhoX: "E(rho(X))", r_k: "||r_k||", bbar_k: "||bbar^(k)||",
    mean_gap_k: "||bbar^(k) - N_k bbar^(L)||", dist_k: "||B^(k) - 1 (M_k bbar^(L))^T||_F",
}

_PY = {"lambda": "lam", "s_{k+1}": "s_k1", "Lambda_k": "Lam_k", "Lambda_L": "Lam_L"}


def python_name(symbol) -> str:
    """Return the Python identifier a numeric caller uses for ``symbol``.

    Examples
    --------
    >>> python_name(lam), python_name(s_k1), python_name(E_X0)
    ('lam', 's_k1', 'E_X0')
    """
    return _PY.get(symbol.name, symbol.name)


# ReLU margin constants (extension, claim theorem2_relu)
kappa_k = sp.Symbol("kappa_k", nonnegative=True)
kappa = sp.Symbol("kappa", nonnegative=True)
Sigma_kappa_k = sp.Symbol("Sigma_kappa_k", nonnegative=True)
SYMBOL_MEANINGS.update({
    "kappa_k": "ReLU margin constant of layer k: 1 / min_j |hbar^(k)_j| over the non-constant "
               "columns j of the pre-activation H^(k) = P X^(k) W^(k) (hbar^(k): its mean row; "
               "0 if every column is constant)",
    "kappa": "max_k kappa_k over the layers k < L",
    "Sigma_kappa_k": "sum_{j=k}^{L-1} lambda^(j-k+1) kappa_j s_j E(X^(j))",
})
LATEX_NAMES.update({kappa_k: r"\kappa_k", kappa: r"\kappa", Sigma_kappa_k: r"\Sigma^{\kappa}_k"})

# Theorem 3 with the output layer kept out of s (claim theorem3, variants *_hidden)
s_out = sp.Symbol("s_out", positive=True)
SYMBOL_MEANINGS["s_out"] = ("max(s_L, s) with s = max_{i<L} s_i (uniform_hidden), or max(s_L, 1) "
                            "(clean_hidden): the output layer's share of Q_k S_k")
LATEX_NAMES[s_out] = r"s_{out}"
# -- remedies [extension] (symbolic/derive_remedies.py, numeric/remedies.py) ----------------
r_skip = sp.Symbol("r", positive=True)
a_ir = sp.Symbol("a", nonnegative=True)
m_ir = sp.Symbol("m_M", nonnegative=True)
sigma_pn = sp.Symbol("sigma", positive=True)
E_BL1 = sp.Symbol("E_BL1", nonnegative=True)
bbar_L1 = sp.Symbol("bbar_L1", nonnegative=True)
__all__ += ["r_skip", "a_ir", "m_ir", "sigma_pn", "E_BL1", "bbar_L1"]
SYMBOL_MEANINGS.update({
    "r": "skip weight r of a residual layer X' = r X + rho(P X W)",
    "a": "initial-residual weight a in [0, 1]",
    "m_M": "max_{1 <= i <= L-1} ||M^(i)||_2, M^(i) = (1 - b) I + b W^(i) (M = W without identity mapping)",
    "sigma": "PairNorm scale: every normalised row has mean squared norm sigma^2",
    "E_BL1": "E(B^(L-1)), the backward signal of the last hidden layer",
    "bbar_L1": "||bbar^(L-1)||_2",
})
LATEX_NAMES.update({
    r_skip: "r", a_ir: "a", m_ir: "m_M", sigma_pn: r"\sigma", E_BL1: r"\mathcal{E}(B^{(L-1)})",
    bbar_L1: r"\|\bar{b}^{(L-1)}\|",
})
TEXT_NAMES.update({E_BL1: "E(B^(L-1))", bbar_L1: "||bbar^(L-1)||", sigma_pn: "sigma", m_ir: "m_M"})
