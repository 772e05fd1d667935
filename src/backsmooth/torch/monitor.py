"""Record the paper's quantities while a user's own PyTorch / PyG GNN trains.

For layer ``k = 0..L`` of the model (``L + 1`` layers, the last one the output layer), a
recorded step keeps

* ``E(X^(k))``: the smoothing measure of the layer's **input** ``X^(k)``;
* ``E(B^(k))`` with ``B^(k) = dLoss/dH^(k)``, the gradient with respect to the layer's
  **output** ``H^(k)``.  For ``GCNConv``, ``Linear`` and any layer that applies its activation
  outside the module (the usual ``x = act(conv(x, edge_index))``), that output is the
  pre-activation ``H^(k) = P X^(k) W^(k)`` of the paper, so ``B^(k)`` is the paper's backward
  signal; for a layer that applies its activation inside, it is the gradient w.r.t. the
  post-activation output;
  For a ``Linear`` stack that propagates outside the ``Linear`` (``lin(P @ x)``), the input is
  ``F^(k) = P X^(k)``, not ``X^(k)``: name a module that computes ``P X W`` itself instead;
* ``||B^(k)||_F / sqrt(n)`` and ``||bbar^(k)||`` (mean row of ``B^(k)``);
* ``||dLoss/dtheta_k||_F`` over **all** parameters of layer ``k`` (weights and biases);
* ``s_k = ||W^(k)||_2`` when the layer has exactly one weight matrix;
* the loss, the mean output error ``mu = ||bbar^(L)||`` and ``beta = ||B^(L)||_row``.

``E(S) = ||(I - u u^T/||u||^2) S||_F / sqrt(n)`` with ``u`` the invariant vector of ``P``
(:func:`~backsmooth.torch.graph.reference_vector`): the constants for a stochastic ``P``,
``D~^(1/2) 1`` for PyG's GCN normalisation.  All of it is computed in the model's own dtype
with torch, without copying a signal to numpy; the scaling of
:func:`backsmooth.numeric.measures.stable_norm` keeps tiny (oversmoothed) signals exact.

Cost when off: a recording-disabled monitor leaves one Python attribute test per layer call
(``monitor.enabled = False``, or ``every=``); :meth:`Monitor.remove` removes the hooks.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .graph import (
    as_propagation,
    edge_index_adjacency,
    gcn_propagation,
    reference_vector,
)

__all__ = ["Monitor", "find_layers"]

_B_MEANING = ("B^(k) = dLoss/d(output of layer k): the pre-activation H^(k) when the activation is "
              "applied outside the layer (GCNConv, Linear)")


def _message_passing_class():
    try:
        from torch_geometric.nn import MessagePassing
    except ImportError:  # torch_geometric is optional too: plain torch models still work
        return None
    return MessagePassing


def find_layers(model, layers=None):
    """Return ``[(name, module), ...]``: the layers ``k = 0..L`` of ``model``, in call order.

    ``layers`` may name them (attribute paths such as ``"convs.3"``, or the modules
    themselves).  Otherwise: every PyG ``MessagePassing`` module (not nested in another), or
    if there are none, every ``torch.nn.Linear``, in registration order.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    named = dict(model.named_modules())
    if layers is not None:
        by_id = {id(m): name for name, m in named.items()}
        out = []
        for item in layers:
            if isinstance(item, str):
                if item not in named:
                    raise ValueError(f"model has no submodule {item!r}; known: {', '.join(n for n in named if n)}")
                out.append((item, named[item]))
            elif isinstance(item, torch.nn.Module):
                if id(item) not in by_id:
                    raise ValueError(f"layer {type(item).__name__} is not a submodule of the model")
                out.append((by_id[id(item)], item))
            else:
                raise TypeError(f"layers must hold submodule names or modules, got {type(item).__name__}")
    else:
        mp = _message_passing_class()
        out = []
        if mp is not None:
            for name, m in named.items():
                if isinstance(m, mp) and not any(name.startswith(p + ".") for p, _ in out):
                    out.append((name, m))
        if not out:
            out = [(name, m) for name, m in named.items() if isinstance(m, torch.nn.Linear)]
    if not out:
        raise ValueError("found no layers to monitor: the model has no PyG MessagePassing and no "
                         "torch.nn.Linear modules; name them with layers=[...]")
    if len({id(m) for _, m in out}) != len(out):
        raise ValueError("a layer is listed twice (a module called twice per forward pass cannot be read)")
    return out


def _gcn_settings(layers):
    from torch_geometric.nn import GCNConv

    convs = [m for _, m in layers if isinstance(m, GCNConv)]
    if len(convs) != len(layers):
        return None
    flags = {(c.normalize, c.improved, c.add_self_loops, c.flow) for c in convs}
    if len(flags) > 1:
        raise ValueError("the GCNConv layers normalise differently (normalize/improved/add_self_loops/flow); "
                         "pass the propagation matrix as propagation=P")
    return flags.pop()


class Monitor:
    """Attach to an ``nn.Module``, then call :meth:`step` after each ``loss.backward()``.

    Parameters
    ----------
    model : torch.nn.Module
    layers : sequence of str or nn.Module, optional
        The layers ``k = 0..L`` in call order (default: :func:`find_layers`).
    edge_index, edge_weight, num_nodes : optional
        The graph the model propagates on; for ``GCNConv`` layers it is also taken from their
        first call if not given.
    propagation : sparse/dense matrix, torch tensor, or str, optional
        ``P`` itself, or a kind of :func:`backsmooth.numeric.propagation_matrix` (``"lazy"``,
        ``"gcn"``, ...) applied to ``edge_index``.  Needed for layers whose ``P`` cannot be
        rebuilt (anything but ``GCNConv``); without a graph a ``Linear`` stack is an MLP
        (``P = I``).
    every : int
        Record one step in ``every`` (the others cost one attribute test per layer).
    spectral_norms : bool
        Record ``s_k = ||W^(k)||_2`` (one SVD per layer and recorded step).

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    >>> mon = Monitor(net)                      # no graph: an MLP, P = I
    >>> x = torch.randn(5, 3)
    >>> loss = net(x).pow(2).mean(); loss.backward(); mon.step(loss)
    >>> mon.history()["forward_energy"].shape   # one step, L + 1 = 2 layers
    (1, 2)
    """

    def __init__(self, model, *, layers=None, edge_index=None, edge_weight=None, num_nodes=None,
                 propagation=None, every: int = 1, spectral_norms: bool = True):
        self.layers = find_layers(model, layers)
        if int(every) != every or every < 1:
            raise ValueError(f"every must be a positive integer, got {every}")
        self.every = int(every)
        self.record_spectral_norms = bool(spectral_norms)
        self.enabled = True
        self.b_meaning = _B_MEANING
        self._P, self._reference, self.propagation_source = None, None, None
        self._gcn = None
        self._graph_shape = None
        if isinstance(propagation, str):
            if edge_index is None:
                raise ValueError(f"propagation={propagation!r} needs the graph: pass edge_index")
            from backsmooth.numeric import propagation_matrix

            ei = edge_index.detach().cpu().numpy() if isinstance(edge_index, torch.Tensor) else edge_index
            ew = edge_weight.detach().cpu().numpy() if isinstance(edge_weight, torch.Tensor) else edge_weight
            self._set_P(propagation_matrix(ei, propagation, num_nodes=num_nodes, edge_weight=ew),
                        f"backsmooth propagation_matrix(edge_index, kind={propagation!r})")
        elif propagation is not None:
            self._set_P(as_propagation(propagation), "given by the user")
        else:
            mp = _message_passing_class()
            if mp is not None and any(isinstance(m, mp) for _, m in self.layers):
                self._gcn = _gcn_settings(self.layers)
                if self._gcn is None:
                    names = sorted({type(m).__name__ for _, m in self.layers})
                    raise ValueError(f"cannot rebuild the propagation matrix of {', '.join(names)} layers "
                                     "(only GCNConv is read); pass propagation=P")
                if edge_index is not None:
                    self._build_gcn(edge_index, edge_weight, num_nodes)
            elif edge_index is not None:
                raise ValueError("a Linear stack with an edge_index: say how it propagates with "
                                 "propagation='lazy'/'gcn'/... or propagation=P")
            else:
                self.propagation_source = "none (MLP, P = I)"
        self._steps, self._rows = [], []
        self._current = None
        self._count = 0
        self._handles = [m.register_forward_hook(self._make_hook(k)) for k, (_, m) in enumerate(self.layers)]

    # -- graph ---------------------------------------------------------------------------
    def _set_P(self, P, source):
        self._P, self.propagation_source = P, source
        u = reference_vector(P)
        self._set_reference(u)

    def _set_reference(self, u):
        self._reference = None if u is None else np.asarray(u, dtype=np.float64)
        self._u_cache = {}

    def _build_gcn(self, edge_index, edge_weight, num_nodes):
        normalize, improved, loops, flow = self._gcn
        if normalize:
            P, u = gcn_propagation(edge_index, num_nodes, edge_weight, improved=improved,
                                   add_self_loops=loops, flow=flow)
            self._P, self.propagation_source = P, "PyG gcn_norm" + (" with self-loops" if loops else "")
            self._set_reference(u)
        else:
            self._set_P(edge_index_adjacency(edge_index, num_nodes, edge_weight, flow=flow),
                        "edge_index as given (GCNConv normalize=False)")
        self._graph_shape = tuple(edge_index.shape)

    @property
    def propagation(self):
        """``P`` (scipy CSR) the measures refer to (None before the graph is seen, or an MLP)."""
        return self._P

    @property
    def reference(self):
        """The invariant vector ``u`` of the measures (None: the constants)."""
        return self._reference

    # -- hooks -----------------------------------------------------------------------------
    def _unit(self, like):
        if self._reference is None:
            return None
        key = (like.dtype, like.device)
        if key not in self._u_cache:
            u = torch.as_tensor(self._reference, dtype=like.dtype, device=like.device)
            self._u_cache[key] = (u / torch.linalg.vector_norm(u)).unsqueeze(1)
        return self._u_cache[key]

    def _measure(self, S, rows=False):
        """``(E(S), ||S||_F/sqrt(n), ||mean row||, max row norm or NaN)`` of a 2-D tensor, as floats.

        Four passes over ``S`` (three for the constants): the centred part is formed once
        (``S - u (u^T S)`` in one fused ``addmm``) and never by cancellation of norms, so an
        oversmoothed signal keeps its digits.
        """
        n = S.shape[0]
        if self._P is not None and n != self._P.shape[0]:
            raise ValueError(f"a layer signal has {n} rows but the graph has {self._P.shape[0]} nodes "
                             "(mini-batches / sampled subgraphs cannot be read: monitor full-batch steps)")
        mean = S.mean(dim=0, keepdim=True)
        u = self._unit(S)
        C = S - mean if u is None else torch.addmm(S, u, u.T @ S, alpha=-1)
        beta = float(torch.linalg.vector_norm(S, dim=1).max()) if rows else float("nan")
        root_n = math.sqrt(n)
        return _scaled_norm(C) / root_n, _scaled_norm(S) / root_n, _scaled_norm(mean), beta

    def _make_hook(self, k):
        def hook(module, args, output):
            if not self.enabled or self._count % self.every or not torch.is_grad_enabled():
                return None
            if self._P is None and self._gcn is not None:
                if len(args) < 2:
                    raise ValueError("GCNConv was called without a positional edge_index; pass edge_index= "
                                     "to the Monitor")
                self._build_gcn(args[1], args[2] if len(args) > 2 else None, args[0].shape[0])
            elif self._gcn is not None and len(args) > 1 and tuple(args[1].shape) != self._graph_shape:
                raise ValueError(f"the graph changed: edge_index of shape {tuple(args[1].shape)}, the monitor "
                                 f"rebuilt P from {self._graph_shape} (one full graph per monitor)")
            X = args[0] if args else None
            if not isinstance(X, torch.Tensor) or X.dim() != 2:
                raise TypeError(f"layer {k} ({self.layers[k][0]}): its first input must be a 2-D node signal "
                                f"tensor (n, d), got {type(X).__name__}")
            if not isinstance(output, torch.Tensor) or output.dim() != 2:
                raise TypeError(f"layer {k} ({self.layers[k][0]}): its output must be a 2-D tensor (n, d), "
                                f"got {type(output).__name__}")
            if self._current is None:
                self._current = {"X": {}, "B": {}}
            with torch.no_grad():
                self._current["X"][k] = self._measure(X.detach())
            if output.requires_grad:
                output.register_hook(self._make_grad_hook(k))
            return None
        return hook

    def _make_grad_hook(self, k):
        def grad_hook(grad):
            if self._current is not None:
                with torch.no_grad():
                    self._current["B"][k] = self._measure(grad.detach(), rows=k == len(self.layers) - 1)
            return None
        return grad_hook

    # -- steps -------------------------------------------------------------------------------
    def step(self, loss=None):
        """Close the current training step (call after ``loss.backward()``, before ``optimizer.step()``)."""
        recording = self.enabled and self._count % self.every == 0
        self._count += 1
        if not recording:
            self._current = None
            return
        cur, self._current = self._current, None
        L1 = len(self.layers)
        if cur is None or len(cur["X"]) < L1:
            raise ValueError("no forward pass was recorded through every layer since the last step "
                             f"(saw {0 if cur is None else len(cur['X'])} of {L1}); call step() once per "
                             "training step, after loss.backward()")
        if len(cur["B"]) < L1:
            missing = sorted(set(range(L1)) - set(cur["B"]))
            raise ValueError(f"no gradient reached layers {missing}: call step() after loss.backward()")
        with torch.no_grad():
            grads, specs = [], []
            for _, m in self.layers:
                gs = [p.grad for p in m.parameters() if p.grad is not None]
                grads.append(math.sqrt(sum(_scaled_norm(g) ** 2 for g in gs)) if gs else 0.0)
                mats = [p for p in m.parameters() if p.dim() == 2]
                if self.record_spectral_norms and len(mats) == 1:
                    specs.append(float(torch.linalg.matrix_norm(mats[0].detach(), ord=2)))
                else:
                    specs.append(float("nan"))
        X = np.array([[float(v) for v in cur["X"][k]] for k in range(L1)])
        B = np.array([[float(v) for v in cur["B"][k]] for k in range(L1)])
        self._steps.append(self._count - 1)
        self._rows.append({
            "loss": float("nan") if loss is None else float(loss.detach() if isinstance(loss, torch.Tensor) else loss),
            "forward_energy": X[:, 0], "forward_norm": X[:, 1], "forward_mean_norm": X[:, 2],
            "backward_energy": B[:, 0], "backward_norm": B[:, 1], "backward_mean_norm": B[:, 2],
            "gradient_norms": np.array(grads), "spectral_norms": np.array(specs),
            "output_error_row_norm": B[-1, 3],
        })

    def history(self) -> dict:
        """The record as numpy arrays: ``steps`` (T,), per-layer fields (T, L + 1), scalars (T,)."""
        if not self._rows:
            return {"steps": np.zeros(0, dtype=int)}
        out = {"steps": np.array(self._steps)}
        for key in self._rows[0]:
            out[key] = np.array([r[key] for r in self._rows])
        out["mean_output_error"] = out["backward_mean_norm"][:, -1]
        return out

    def remove(self):
        """Remove every hook: the model runs exactly as without the monitor."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def diagnose(self, **kwargs):
        """Return the :class:`~backsmooth.torch.diagnosis.Diagnosis` of the run so far (see there)."""
        from .diagnosis import diagnose

        return diagnose(self, **kwargs)


def _scaled_norm(S) -> float:
    """``||S||_F`` as a float, without underflow or overflow, as :func:`backsmooth.numeric.stable_norm`.

    The plain norm is exact to round-off unless it is non-finite or below ``sqrt(tiny)/eps``
    (then entries whose squares underflow could matter): only then is ``S`` scaled by
    ``max|S|`` first (two more passes).  The common case costs one reduction and one
    conversion to a Python float (no further tensor operations: they cost more than the
    reduction on the small signals a monitor sees).
    """
    r = float(torch.linalg.vector_norm(S))
    floor = _NORM_FLOOR.get(S.dtype)
    if floor is None:
        info = torch.finfo(S.dtype)
        floor = _NORM_FLOOR[S.dtype] = math.sqrt(info.tiny) / info.eps
    if math.isfinite(r) and r >= floor:
        return r
    scale = float(S.abs().max()) if S.numel() else 0.0
    if scale == 0 or not math.isfinite(scale):
        return scale
    return scale * float(torch.linalg.vector_norm(S / scale))


_NORM_FLOOR: dict = {}
