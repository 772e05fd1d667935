"""A readable diagnosis of a monitored run: is this backward oversmoothing?

From a :class:`~backsmooth.torch.monitor.Monitor`'s record, :func:`diagnose` computes

* the graph: ``lambda`` of the propagation matrix the model uses and the assumption report
  (:func:`backsmooth.numeric.assumption_report`);
* the fitted per-layer rates at the first recorded step: forward ``E(X^(k)) ~ r_f^k`` over all
  layers, backward ``E(B^(k)) ~ r_b^(L-k)`` over the output half (as Figure 2), against
  ``lambda s`` (``s`` the geometric mean of the hidden ``||W^(k)||_2``);
* the step from which the output layer stays stationary (gradient below 1e-2 of its first
  value, as Figure 1; reported as evidence, not required by the verdict: Adam keeps it
  oscillating around a stationary point);
* the Theorem 3 (a) certificate ``max_k ||grad_k||_F <= delta`` at every recorded step, when its
  hypotheses hold (ass:P+, a vanilla layer ``P X W`` without bias, an activation with
  ``|rho'| <= 1`` and ``c_rho`` finite, given to :func:`diagnose`); otherwise the reasons why not;
* a verdict with its reasons.  **present**: the backward signal reaching the input layer is
  attenuated (median ``E(B^(0)) / E(B^(L)) <= attenuation``) and the loss stalled (above ``stall`` x the best-constant loss if given, else
  less than 1% lower over the second half of the record).  **absent**: the loss fell below
  ``stall`` x the best-constant loss, or ``E(B^(0)) / E(B^(L)) > 0.1`` (backward signals reach
  the input), or there is no graph (an MLP).  **undecided** otherwise (e.g. not trained long enough for stationarity).

The thresholds are ours (``[extension]``), stated in the verdict; the rates and the certificate
come from the paper's Theorem 1, Corollary 1 and Theorem 3.
"""

from __future__ import annotations

import csv
import json
import pathlib
from dataclasses import asdict, dataclass, field

import numpy as np

from ..figures.experiments import STATIONARY_THRESHOLD
from ..figures.theory import fitted_rate, stationary_epoch, theorem3_delta

__all__ = ["Diagnosis", "diagnose"]

_PER_LAYER = ("forward_energy", "backward_energy", "backward_norm", "gradient_norms", "spectral_norms")


@dataclass(frozen=True)
class Diagnosis:
    """The diagnosis of a monitored run (see the module docstring); ``str()`` reads it out."""

    verdict: str
    reasons: tuple
    layer_names: tuple
    b_meaning: str
    propagation_source: str
    reference: str
    graph: dict | None
    lam: float
    s: float
    lambda_s: float
    forward_rate: float
    backward_rate: float
    backward_attenuation: float
    stationary_step: int | None
    best_constant_loss: float | None
    certificate: dict
    history: dict = field(repr=False)

    def to_dict(self) -> dict:
        """JSON-ready dict (arrays become lists, NaN becomes None)."""
        from ..figures.plotting import to_jsonable

        return to_jsonable(asdict(self))

    def to_json(self, path) -> pathlib.Path:
        path = pathlib.Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1))
        return path

    def to_csv(self, path) -> pathlib.Path:
        """One row per recorded step: loss, mean output error, and every per-layer field."""
        path = pathlib.Path(path)
        h = self.history
        L1 = len(self.layer_names)
        header = ["step", "loss", "mean_output_error"] + [f"{key}_k{k}" for key in _PER_LAYER for k in range(L1)]
        header += ["theorem3_delta_max"]
        delta = self.certificate.get("delta_max")
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for t, step in enumerate(h["steps"]):
                row = [int(step), h["loss"][t], h["mean_output_error"][t]]
                row += [h[key][t, k] for key in _PER_LAYER for k in range(L1)]
                row += [delta[t] if delta is not None else float("nan")]
                w.writerow(["" if isinstance(v, float) and not np.isfinite(v) else repr(float(v)) for v in row])
        return path

    def save(self, out, *, plots=True) -> dict:
        """Write ``diagnosis.json``, ``diagnosis.csv`` and (``plots``) the Figure 1 / 2 style plots."""
        out = pathlib.Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"json": self.to_json(out / "diagnosis.json"), "csv": self.to_csv(out / "diagnosis.csv")}
        if plots:
            from .plots import plot_gradients, plot_profiles

            paths["figure1"] = plot_gradients(self, out / "diagnosis_figure1.png")
            paths["figure2"] = plot_profiles(self, out / "diagnosis_figure2.png")
        return paths

    def __str__(self) -> str:
        g = self.graph or {}
        lines = [f"backward oversmoothing: {self.verdict.upper()}  [extension: diagnosis of a user's model]"]
        lines += [f"  - {r}" for r in self.reasons]
        lines += [
            f"layers monitored (L + 1 = {len(self.layer_names)}): {', '.join(self.layer_names[:4])}"
            + (", ..." if len(self.layer_names) > 4 else ""),
            f"B^(k): {self.b_meaning}",
            f"propagation P: {self.propagation_source}; measures relative to {self.reference}",
        ]
        if g:
            lines.append(f"graph: n = {g['n']}, lambda = {self.lam:.4g}, ass:P {'holds' if g['satisfies_ass_P'] else 'fails'}"
                         + "".join(f"\n  warning: {w}" for w in g.get("warnings", [])))
        lines += [
            f"rates at the first recorded step: forward {self.forward_rate:.4g}, backward (output half) "
            f"{self.backward_rate:.4g}; lambda s = {self.lambda_s:.4g} (s = {self.s:.4g}) [paper: Theorem 1, Corollary 1]",
            f"E(B^(0)) / E(B^(L)) (median over steps) = {self.backward_attenuation:.3g}",
            "output layer stationary (gradient < 1e-2 x initial) from step "
            + ("never (within the record)" if self.stationary_step is None else str(self.stationary_step)),
        ]
        c = self.certificate
        if c["applicable"]:
            lines.append(f"Theorem 3 [reconstruction] certificate at the last step: theta is delta-stationary with "
                         f"delta = max_k delta_k = {c['delta_max'][-1]:.3g} (measured max_k ||grad_k|| = "
                         f"{c['measured_max'][-1]:.3g})")
        else:
            lines.append("Theorem 3 certificate: not evaluated -- " + "; ".join(c["reasons"]))
        loss = self.history["loss"]
        if loss.size:
            lines.append(f"loss: first {loss[0]:.4g}, last {loss[-1]:.4g}" + (
                "" if self.best_constant_loss is None else f", best constant L_const = {self.best_constant_loss:.4g}"))
        return "\n".join(lines)


def _graph(mon):
    P = mon.propagation
    if P is None:
        return None
    from backsmooth.numeric import assumption_report

    return assumption_report(P).to_dict()


def _certificate(mon, h, graph, activation):
    reasons = []
    if graph is None:
        reasons.append("no propagation matrix (MLP)")
    elif not graph["satisfies_ass_P_plus"]:
        reasons.append("P does not satisfy ass:P+ (symmetric, stochastic, non-negative, lambda < 1); "
                       "e.g. PyG's GCN normalisation is not stochastic")
    for name, m in mon.layers:
        params = list(m.parameters())
        if len(params) != 1 or params[0].dim() != 2:
            reasons.append(f"layer {name} is not a bias-free single-matrix layer P X W")
            break
    c_rho = float("nan")
    if activation is None:
        reasons.append("activation unknown (pass activation='tanh' to diagnose)")
    else:
        from backsmooth.numeric import activation as _activation

        act = _activation(activation)
        c_rho = float(act.derivative_lipschitz)
        if not (np.isfinite(c_rho) and act.lipschitz <= 1):
            reasons.append(f"{act.name} does not meet (A2a)-(A2b): |rho'| <= 1 and rho' Lipschitz")
    if h["steps"].size == 0 or not np.all(np.isfinite(h["spectral_norms"])):
        reasons.append("spectral norms not recorded")
    if reasons:
        return {"applicable": False, "reasons": reasons, "delta_max": None, "measured_max": None}

    class _Hist:  # the fields theorem3_delta reads, at every recorded step
        spectral_norms = h["spectral_norms"]
        forward_energy = h["forward_energy"]
        backward_energy = h["backward_energy"]
        backward_mean_norm = h["backward_mean_norm"]
        output_error_row_norm = h["output_error_row_norm"]

    n = graph["n"]
    xi = float(h["forward_norm"][0, 0]) * np.sqrt(n)   # ||X^(0)||_F (the input does not change)
    delta = theorem3_delta(_Hist, n=n, xi=xi, lam=graph["lambda"], c_rho=c_rho)
    return {"applicable": True, "reasons": [], "delta": delta, "delta_max": delta.max(axis=1),
            "measured_max": h["gradient_norms"].max(axis=1),
            "holds": bool(np.all(h["gradient_norms"] <= delta * (1 + 1e-12)))}


def diagnose(monitor, *, activation=None, best_constant_loss=None, attenuation=1e-3,
             stall=0.9) -> Diagnosis:
    """Diagnose the run a :class:`~backsmooth.torch.monitor.Monitor` recorded.

    Parameters
    ----------
    monitor : Monitor
    activation : str, optional
        The hidden activation (``"tanh"``, ``"relu"``, ...): needed for the Theorem 3 certificate.
    best_constant_loss : float, optional
        ``L_const`` of the training targets (e.g.
        ``backsmooth.numeric.loss_function("cross_entropy").best_constant_loss(y[train])``).
    attenuation, stall : float
        Thresholds of the verdict (module docstring).
    """
    h = monitor.history()
    if h["steps"].size == 0:
        raise ValueError("the monitor recorded no step: call monitor.step(loss) after loss.backward()")
    graph = _graph(monitor)
    L = len(monitor.layers) - 1
    lam = float(graph["lambda"]) if graph else float("nan")
    hidden = h["spectral_norms"][0, :L] if L else h["spectral_norms"][0]
    s = float(np.exp(np.nanmean(np.log(hidden)))) if np.any(np.isfinite(hidden)) else float("nan")
    EB = h["backward_energy"]
    fwd_rate = fitted_rate(h["forward_energy"][0])
    bwd_rate = fitted_rate(EB[0, ::-1][: L // 2 + 1]) if L >= 1 else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        att = float(np.nanmedian(EB[:, 0] / EB[:, -1]))
    g_out = h["gradient_norms"][:, -1]
    idx = stationary_epoch(g_out, STATIONARY_THRESHOLD * g_out[0])
    st_step = None if idx is None else int(h["steps"][idx])
    cert = _certificate(monitor, h, graph, activation)
    verdict, reasons = _verdict(h, att, idx, best_constant_loss, attenuation, stall, graph is not None)
    reference = "the constant vector" if monitor.reference is None else (
        "D~^(1/2) 1 (GCN normalisation)" if "gcn_norm" in str(monitor.propagation_source) else "the top eigenvector of P")
    return Diagnosis(
        verdict=verdict, reasons=tuple(reasons), layer_names=tuple(n for n, _ in monitor.layers),
        b_meaning=monitor.b_meaning, propagation_source=str(monitor.propagation_source), reference=reference,
        graph=graph, lam=lam, s=s, lambda_s=lam * s, forward_rate=fwd_rate, backward_rate=bwd_rate,
        backward_attenuation=att, stationary_step=st_step,
        best_constant_loss=None if best_constant_loss is None else float(best_constant_loss),
        certificate=cert, history=h)


def _verdict(h, att, stationary_idx, L_const, attenuation, stall, has_graph):
    loss = h["loss"]
    reasons = []
    trained = False
    if L_const is not None and np.isfinite(loss[-1]):
        trained = loss[-1] < stall * L_const
        reasons.append(f"final loss {loss[-1]:.4g} is {'below' if trained else 'not below'} "
                       f"{stall:g} x best-constant loss {L_const:.4g}")
        stalled = not trained
    else:
        half = loss[loss.size // 2:]
        stalled = bool(half.size >= 2 and np.all(np.isfinite(half)) and half[-1] >= 0.99 * half[0])
        reasons.append(f"loss {'stalled' if stalled else 'still decreasing'} over the second half of the record "
                       "(no best-constant loss given)")
    reaches = not (att <= 0.1)
    reasons.append(f"median E(B^(0)) / E(B^(L)) = {att:.3g}: backward signals "
                   + ("reach the input layers" if reaches else
                      ("are smoothed away before the input layers" if att <= attenuation else "are attenuated")))
    stationary = stationary_idx is not None
    reasons.append("the output layer became stationary" if stationary else "the output layer did not become stationary")
    if not has_graph:
        reasons.append("no propagation matrix (an MLP): attenuated backward signals are not smoothing by a graph")
        return "absent", reasons
    if trained or reaches:
        return "absent", reasons
    if att <= attenuation and stalled:
        if not stationary:
            reasons.append("(the output layer's gradient has not settled below 1e-2 x its first value -- "
                           "an adaptive optimiser may keep it oscillating; Theorem 3 speaks of that regime)")
        return "present", reasons
    return "undecided", reasons
