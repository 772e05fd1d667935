"""Full-batch training of a deep GNN or MLP by gradient descent or Adam.

The parameters ``theta = (W^(0), ..., W^(L))`` of a :class:`~backsmooth.numeric.model.Network`
are updated from the exact gradients ``grad_k = dLoss/dW^(k) = F^(k)T B^(k)`` of the full
training loss (every training node in every step):

.. math::

    \\text{GD:}\\quad W^{(k)}_{t+1} = W^{(k)}_t - \\eta\\, g^{(k)}_t, \\qquad
    \\text{Adam:}\\quad m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t,\\
    v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2,\\
    W_{t+1} = W_t - \\eta\\, \\frac{m_t/(1-\\beta_1^t)}{\\sqrt{v_t/(1-\\beta_2^t)} + \\epsilon}

where ``g_t = grad_k`` at ``theta_t`` and ``eta`` is the learning rate (Kingma & Ba 2015;
the defaults ``beta_1 = 0.9, beta_2 = 0.999, eps = 1e-8`` are PyTorch's).

Record ``t`` of a :class:`TrainingHistory` describes the weights ``theta_t`` *before* update
``t`` (record 0 is the initialisation, record ``epochs`` the final weights): the loss, the
train/test accuracy (classification), every layer's gradient norm ``||grad_k||_F``, and the
mean output error ``||bbar^(L)||`` (``bbar^(L) = B^(L)T 1/n``, the quantity that Lemma 4 and
Theorem 3 of ``docs/theory.md`` tie to the gradients).  Every ``profile_every`` epochs it also
stores the profiles ``E(X^(k))``, ``E(B^(k))`` (root convention, see
:mod:`~backsmooth.numeric.measures`) and the mean-row norms ``||xbar^(k)||``, ``||bbar^(k)||``.

Layers can be frozen (``trainable="output"`` trains only ``W^(L)``);
:func:`~backsmooth.numeric.output_layer.fit_output_layer` instead solves the output-layer
problem to stationarity in one call.  No printing: a ``callback(epoch, record)`` lets the
caller drive a progress bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _engine
from ._validation import as_float_matrix, check_finite
from .losses import as_mask, loss_function
from .model import ForwardPass, Gradients, Network, _check_rows, _check_weights, backward, forward, gnn

__all__ = ["TrainingHistory", "train", "OPTIMIZERS", "trainable_layers"]

OPTIMIZERS = ("adam", "gd")


@dataclass(frozen=True)
class TrainingHistory:
    """Per-epoch record of a full-batch training run (record ``t`` = weights before update ``t``).

    Attributes
    ----------
    loss : ndarray, shape (epochs + 1,)
        Training loss at ``theta_t``.
    train_accuracy, test_accuracy : ndarray, shape (epochs + 1,)
        Fraction of correctly classified train / test nodes (NaN for regression or no test mask).
    gradient_norms : ndarray, shape (epochs + 1, L + 1)
        ``||dLoss/dW^(k)||_F`` for ``k = 0..L`` (frozen layers included).
    mean_output_error : ndarray, shape (epochs + 1,)
        ``||bbar^(L)||_2``, the norm of the mean row of ``B^(L)``.
    profile_epochs : ndarray of int, shape (m,)
        Epochs at which the profiles were taken.
    forward_energy, backward_energy : ndarray, shape (m, L + 1)
        ``E(X^(k))`` and ``E(B^(k))``, ``k = 0..L``.
    forward_mean_norm, backward_mean_norm : ndarray, shape (m, L + 1)
        ``||xbar^(k)||`` and ``||bbar^(k)||``.
    spectral_norms : ndarray, shape (m, L + 1)
        ``s_k = ||W^(k)||_2`` at the profile epochs.
    output_error_row_norm : ndarray, shape (m,)
        ``beta = ||B^(L)||_row`` (max row norm) at the profile epochs (Theorems 2-3).
    weights : tuple of ndarray
        Final weights ``theta_epochs``.
    settings : dict
        Optimiser, learning rate, epochs, trainable layers, seed, loss.
    profile_extra : dict of ndarray
        What ``profile_hook`` returned at the profile epochs, one array per key, stacked along
        the first axis (empty without a hook).
    """

    loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    gradient_norms: np.ndarray
    mean_output_error: np.ndarray
    profile_epochs: np.ndarray
    forward_energy: np.ndarray
    backward_energy: np.ndarray
    forward_mean_norm: np.ndarray
    backward_mean_norm: np.ndarray
    spectral_norms: np.ndarray
    output_error_row_norm: np.ndarray
    weights: tuple = field(repr=False)
    settings: dict = field(default_factory=dict)
    profile_extra: dict = field(default_factory=dict)

    @property
    def epochs(self) -> np.ndarray:
        """``0, 1, ..., epochs`` (one entry per record)."""
        return np.arange(self.loss.shape[0])

    def to_dict(self, *, include_weights: bool = False) -> dict:
        """Return the history as plain Python lists and numbers (JSON-serialisable).

        NaN is kept as ``float('nan')``; the caller chooses how to serialise it.
        """
        out = {"epochs": self.epochs.tolist(), "settings": dict(self.settings)}
        for name in ("loss", "train_accuracy", "test_accuracy", "gradient_norms", "mean_output_error",
                     "profile_epochs", "forward_energy", "backward_energy", "forward_mean_norm",
                     "backward_mean_norm", "spectral_norms", "output_error_row_norm"):
            out[name] = np.asarray(getattr(self, name)).tolist()
        if include_weights:
            out["weights"] = [np.asarray(W).tolist() for W in self.weights]
        return out


def trainable_layers(trainable, num_layers: int) -> tuple:
    """Return the sorted tuple of trained layer indices.

    ``None``/``"all"``: every layer; ``"output"``: only ``L``; ``"hidden"``: all but ``L``;
    otherwise a sequence of indices in ``[0, L]`` (negative indices count from the end).
    """
    L = num_layers - 1
    if trainable is None or (isinstance(trainable, str) and trainable == "all"):
        return tuple(range(num_layers))
    if isinstance(trainable, str):
        if trainable == "output":
            return (L,)
        if trainable == "hidden":
            return tuple(range(L))
        raise ValueError(f"trainable must be 'all', 'output', 'hidden' or a list of layer indices, got {trainable!r}")
    try:
        raw = [int(k) for k in trainable]
    except (TypeError, ValueError) as exc:
        raise TypeError(f"trainable must be 'all', 'output', 'hidden' or a sequence of ints, got {trainable!r}") from exc
    if not raw or any(not -num_layers <= k <= L for k in raw):
        raise ValueError(f"trainable layer indices must lie in [-{num_layers}, {L}] and be non-empty, got {trainable!r}")
    idx = sorted({k % num_layers for k in raw})
    return tuple(idx)


def _accuracy(H, labels, mask):
    if labels is None or mask is None or not mask.any():
        return float("nan")
    return float(np.mean(np.argmax(H[mask], axis=1) == labels[mask]))


def train(network, X, weights, *, targets, loss="cross_entropy", optimizer="adam",
          learning_rate: float = 1e-3, epochs: int = 1000, train_mask=None, test_mask=None,
          trainable=None, betas=(0.9, 0.999), eps: float = 1e-8, profile_every: int = 0,
          callback=None, activation="tanh", seed=None, profile_hook=None,
          network_schedule=None) -> TrainingHistory:
    """Train ``theta = (W^(0..L))`` by full-batch GD or Adam and record every epoch.

    Parameters
    ----------
    network : Network, sparse array, ndarray or None
        A prebuilt :class:`Network` (recommended) or the propagation matrix ``P`` (None: MLP).
    X : ndarray, shape (n, d_0)
        Input features ``X^(0)``.
    weights : sequence of ndarray
        Initial weights ``W^(0), ..., W^(L)`` (copied, never modified).
    targets : ndarray
        Class labels (n,) for cross-entropy, or regression targets (n, d_{L+1}) for MSE.
    loss : {"cross_entropy", "mse"}
    optimizer : {"adam", "gd"}
    learning_rate : float
        ``eta``.
    epochs : int
        Number of updates; the history has ``epochs + 1`` records.
    train_mask, test_mask : bool array or index array, optional
        Nodes in the loss (default: all) and nodes for the test accuracy (default: none).
    trainable : None, "all", "output", "hidden" or sequence of int
        Layers that are updated; the others stay frozen (their gradients are still recorded).
    betas, eps : Adam constants ``beta_1, beta_2, epsilon``.
    profile_every : int
        Record ``E(X^(k))``, ``E(B^(k))`` every this many epochs (0: only at the first and last
        record).
    callback : callable, optional
        ``callback(epoch, record)`` after each record; ``record`` is a dict of scalars
        (``loss``, ``train_accuracy``, ``test_accuracy``, ``mean_output_error``,
        ``max_gradient_norm``).
    activation : str
        Used only when ``network`` is not a :class:`Network`.
    seed : int or Generator, optional
        Stored in ``settings``; training itself is deterministic (full batch).
    profile_hook : callable, optional
        ``profile_hook(network, forward_pass, gradients, weights) -> dict`` of arrays, called at
        the profile epochs; the results are stacked into ``history.profile_extra``.
    network_schedule : callable, optional
        ``network_schedule(t) -> Network`` used for record and update ``t`` instead of
        ``network`` (e.g. a fresh DropEdge graph per step,
        :class:`~backsmooth.numeric.remedies.DropEdgeSchedule`) [extension].

    Examples
    --------
    A linear one-layer "network" is least squares; GD converges to the normal-equation solution:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    >>> h = train(None, X, [np.zeros((3, 1))], targets=Y, loss="mse", optimizer="gd",
    ...           learning_rate=0.5, epochs=300, activation="identity")
    >>> bool(np.allclose(h.weights[-1], np.linalg.lstsq(X, Y, rcond=None)[0], atol=1e-8))
    True
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate}")
    if int(epochs) != epochs or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs}")
    epochs = int(epochs)
    if int(profile_every) != profile_every or profile_every < 0:
        raise ValueError(f"profile_every must be a non-negative integer (0: first and last epoch), got {profile_every}")
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable as callback(epoch, record)")
    if profile_hook is not None and not callable(profile_hook):
        raise TypeError("profile_hook must be callable as profile_hook(network, forward, gradients, weights)")
    net = network if isinstance(network, Network) else gnn(network, len(weights) - 1, activation)
    W = [np.array(w, dtype=np.float64, copy=True) for w in weights]
    if len(W) != len(net.layers):
        raise ValueError(f"the network has {len(net.layers)} layers but {len(W)} weight matrices were given")
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    loss_fn = loss_function(loss)
    classification = loss_fn.name == "cross_entropy"
    train_m = as_mask(train_mask, n)
    test_m = as_mask(test_mask, n) if test_mask is not None else None
    labels = np.asarray(targets) if classification else None
    layers = trainable_layers(trainable, len(W))
    b1, b2 = float(betas[0]), float(betas[1])
    # the trained layers' weights are views of one flat vector, updated once per epoch: the
    # updates are elementwise, so every entry gets the same operations in the same order as a
    # layer-by-layer update (the same bits), with one set of numpy calls per epoch
    sizes = np.cumsum([0] + [W[k].size for k in layers])
    W_flat = np.concatenate([W[k].ravel() for k in layers] or [np.zeros(0)])
    for k, a, b in zip(layers, sizes[:-1], sizes[1:]):
        W[k] = W_flat[a:b].reshape(W[k].shape)
    m_flat, v_flat = np.zeros_like(W_flat), np.zeros_like(W_flat)

    L1 = len(W)
    rec = {k: np.full(epochs + 1, np.nan) for k in ("loss", "train", "test", "mu")}
    grad_norms = np.full((epochs + 1, L1), np.nan)
    prof_t, prof = [], {k: [] for k in ("EX", "EB", "xm", "bm", "s", "beta")}
    extra = {}
    # X and the weights' shapes are checked once, as the first forward pass would check them;
    # the weights' finiteness is checked at every epoch (_step)
    X0 = np.ascontiguousarray(as_float_matrix("X", X))
    checked, frozen = False, [W[k] for k in range(L1) if k not in layers]
    for t in range(epochs + 1):
        net_t = net if network_schedule is None else network_schedule(t)
        profiled = t == 0 or t == epochs or bool(profile_every and t % profile_every == 0)
        if _fast_path(net_t):
            if not checked:
                _check_inputs(net_t, X0, W)
                checked = True
            g = _step(net_t, X0, W, W_flat, frozen, loss_fn, targets, train_m, keep_signals=profiled)
        else:  # another precision: forward and backward convert X and the weights each epoch
            fwd = forward(net_t, X, W)
            g = backward(net_t, fwd, W, loss=loss_fn, targets=targets, mask=train_m)
        H = g.forward.output
        rec["loss"][t] = g.loss
        grad_norms[t] = [np.linalg.norm(G) for G in g.weight_gradients]
        rec["mu"][t] = np.linalg.norm(g.B[-1].mean(axis=0))
        if classification:
            rec["train"][t] = _accuracy(H, labels, train_m)
            rec["test"][t] = _accuracy(H, labels, test_m)
        if profiled:
            fwd = g.forward
            prof_t.append(t)
            prof["EX"].append([_energy(Xk) for Xk in fwd.X])
            prof["EB"].append([_energy(Bk) for Bk in g.B])
            prof["xm"].append([np.linalg.norm(Xk.mean(axis=0)) for Xk in fwd.X])
            prof["bm"].append([np.linalg.norm(Bk.mean(axis=0)) for Bk in g.B])
            prof["s"].append([np.linalg.norm(w, 2) for w in W])
            prof["beta"].append(float(np.sqrt(np.max(np.sum(g.B[-1] ** 2, axis=1)))))
            if profile_hook is not None:
                for key, value in profile_hook(net, fwd, g, W).items():
                    extra.setdefault(key, []).append(np.asarray(value, dtype=np.float64))
        if not np.isfinite(g.loss):
            raise FloatingPointError(
                f"training diverged at epoch {t} (loss {g.loss}); lower the learning rate "
                f"(now {learning_rate}) or use Adam"
            )
        if callback is not None:
            callback(t, {"loss": g.loss, "train_accuracy": rec["train"][t], "test_accuracy": rec["test"][t],
                         "mean_output_error": rec["mu"][t], "max_gradient_norm": float(grad_norms[t].max())})
        if t == epochs:
            break
        G = np.concatenate([g.weight_gradients[k].ravel() for k in layers] or [np.zeros(0)])
        if optimizer == "gd":
            W_flat -= learning_rate * G
        else:
            m_flat = b1 * m_flat + (1 - b1) * G
            v_flat = b2 * v_flat + (1 - b2) * G * G
            m_hat = m_flat / (1 - b1 ** (t + 1))
            v_hat = v_flat / (1 - b2 ** (t + 1))
            W_flat -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    settings = {"optimizer": optimizer, "learning_rate": float(learning_rate), "epochs": epochs,
                "trainable": list(layers), "loss": loss_fn.name, "betas": [b1, b2], "eps": float(eps),
                "profile_every": int(profile_every), "seed": seed if isinstance(seed, (int, type(None))) else str(seed),
                "num_train": int(train_m.sum()), "num_test": int(test_m.sum()) if test_m is not None else 0}
    arr = lambda key: np.asarray(prof[key], dtype=np.float64).reshape(len(prof_t), L1)  # noqa: E731
    return TrainingHistory(
        loss=rec["loss"], train_accuracy=rec["train"], test_accuracy=rec["test"],
        gradient_norms=grad_norms, mean_output_error=rec["mu"],
        profile_epochs=np.asarray(prof_t, dtype=np.int64),
        forward_energy=arr("EX"), backward_energy=arr("EB"),
        forward_mean_norm=arr("xm"), backward_mean_norm=arr("bm"), spectral_norms=arr("s"),
        output_error_row_norm=np.asarray(prof["beta"], dtype=np.float64),
        weights=tuple(W), settings=settings,
        profile_extra={key: np.stack(v) for key, v in extra.items()},
    )


def _fast_path(net: Network) -> bool:
    """Whether :func:`_step` applies: a float64 network (``forward`` would not convert)."""
    return net.P is None or net.P.dtype == np.float64


def _check_inputs(net, X0, W):
    """What :func:`~backsmooth.numeric.model.forward` checks before its pass, in its order."""
    _check_rows(net, X0.shape[0])
    _check_weights(W, X0.shape[1], np.float64)


def _step(net, X0, W, W_flat, frozen, loss_fn, targets, mask, *, keep_signals):
    """One epoch's ``backward(net, forward(net, X0, W), W, ...)`` for checked float64 inputs.

    The same engine calls on the same arrays as :func:`forward` and :func:`backward` (so the
    same bits), without their per-epoch validation of what :func:`train` checked once (``X``,
    the weights' shapes).  The weights are checked for NaN/inf here, in one call for the
    trained ones (views of ``W_flat``) and one per ``frozen`` layer, with the error ``forward``
    would raise.  Without ``keep_signals`` only ``B^(L)`` is kept (``g.B`` is
    ``[None, ..., None, B^(L)]``): the other layers' signals are not copied out.
    """
    _check_rows(net, X0.shape[0])  # a network_schedule may give another graph each epoch
    if not (np.isfinite(W_flat).all() and all(np.isfinite(w).all() for w in frozen)):
        for k, w in enumerate(W):
            check_finite(f"weights[{k}]", w)
    state = _engine.lean_forward(net.layers, net.operator, X0, W, interval=1, symmetric=net.symmetric)
    fwd = ForwardPass._from_state(net, state)
    value, G = loss_fn.value_and_output_error(fwd.output, targets, mask)
    last = len(W) - 1
    if keep_signals:
        Bs, grads = _engine.lean_backward(state, np.ascontiguousarray(G), weights=W)
    else:
        Bs = [None] * len(W)

        def keep_output_error(k, B):  # B^(L) as the kept signals give it (caller's order, a copy)
            if k == last:
                Bs[k] = state.op.to_external(B, copy=True)

        _, grads = _engine.lean_backward(state, np.ascontiguousarray(G), weights=W, keep_signals=False,
                                         on_signal=keep_output_error)
    return Gradients(loss=value, B=Bs, weight_gradients=grads, forward=fwd)


def _energy(S) -> float:
    C = S - S.mean(axis=0)
    return float(np.sqrt(np.sum(C * C) / S.shape[0]))
