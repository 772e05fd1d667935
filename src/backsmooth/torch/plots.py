"""Figure 1 and Figure 2 of the paper, drawn from a user's monitored run (matplotlib, lazily).

* :func:`plot_gradients` (Figure 1 style): ``||grad_k||_F`` per layer against the step, the output
  layer outlined, the step the output layer became stationary, the Theorem 3 ``delta`` when
  certified; beside it the loss with the best-constant loss.
* :func:`plot_profiles` (Figure 2 style): ``E(X^(k))`` and ``E(B^(k))`` against ``k`` at the first
  and last recorded steps, with the rates ``(lambda s)^k E(X^(0))`` (Theorem 1) and
  ``(lambda s)^(L-k) E(B^(L))`` (Corollary 1, linear GNN) where ``lambda`` is known.
"""

from __future__ import annotations

import pathlib

import numpy as np

from ..figures.plotting import _layer_panel, _plt

__all__ = ["plot_gradients", "plot_profiles"]


def _finish(fig, path):
    if path is None:
        return fig
    path = pathlib.Path(path)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    _plt().close(fig)
    return path


def plot_gradients(diagnosis, path=None):
    """Figure 1 style plot of a diagnosis; returns the path written (or the figure if ``path`` is None)."""
    plt = _plt()
    h = diagnosis.history
    steps = h["steps"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    _layer_panel(axes[0], [{"gradient_norms": h["gradient_norms"]}],
                 f"Gradient norm per layer ({len(diagnosis.layer_names)} layers)", plt.cm.viridis)
    axes[0].set_xlabel("recorded step index" if steps.size and steps[-1] != steps.size - 1 else "step")
    c = diagnosis.certificate
    if c["applicable"]:
        axes[0].plot(np.arange(steps.size), c["delta_max"], "k--", lw=1.4,
                     label=r"Theorem 3 $\delta=\max_k\delta_k$ (a posteriori)")
    if diagnosis.stationary_step is not None:
        idx = int(np.searchsorted(steps, diagnosis.stationary_step))
        axes[0].axvline(idx, color="red", ls=":", label=f"output layer stationary: step {diagnosis.stationary_step}")
    axes[0].legend(fontsize=7, loc="lower left")
    ax = axes[1]
    ax.plot(np.arange(steps.size), h["loss"], color="tab:blue", label="training loss")
    if diagnosis.best_constant_loss is not None:
        ax.axhline(diagnosis.best_constant_loss, color="gray", ls=":",
                   label=f"best constant L_const = {diagnosis.best_constant_loss:.4g}")
    ax.set_xlabel("step")
    ax.set_title(f"Loss -- verdict: backward oversmoothing {diagnosis.verdict}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _finish(fig, path)


def plot_profiles(diagnosis, path=None):
    """Figure 2 style plot of a diagnosis; returns the path written (or the figure if ``path`` is None)."""
    from ..figures.theory import backward_rate_lines, forward_rate_line

    plt = _plt()
    h = diagnosis.history
    L = len(diagnosis.layer_names) - 1
    k = np.arange(L + 1)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for row, style in ((0, "o-"), (-1, "s--")):
        label = f"step {int(h['steps'][row])}"
        axes[0].plot(k, h["forward_energy"][row], style, ms=3, label=label)
        axes[1].plot(k, h["backward_energy"][row], style, ms=3, label=label)
    if np.isfinite(diagnosis.lambda_s):
        note = "" if (diagnosis.graph or {}).get("satisfies_ass_P") else " (rate only: ass:P fails)"
        axes[0].plot(k, forward_rate_line(diagnosis.lam, diagnosis.s, L, h["forward_energy"][0, 0]), "k:",
                     label=rf"$(\lambda s)^k E(X^{{(0)}})$, $\lambda s$ = {diagnosis.lambda_s:.3g}" + note)
        lines = backward_rate_lines(diagnosis.lam, diagnosis.s, L, h["backward_energy"][0, -1],
                                    h["forward_energy"][0, 0], h["output_error_row_norm"][0], 1.0)
        axes[1].plot(k, lines["corollary1_linear_rate"], "k:", label=r"$(\lambda s)^{L-k} E(B^{(L)})$ (linear GNN)" + note)
    axes[0].set_title(rf"Forward $E(X^{{(k)}})$ (fitted rate {diagnosis.forward_rate:.3g})")
    axes[1].set_title(rf"Backward $E(B^{{(k)}})$ (fitted rate, output half {diagnosis.backward_rate:.3g})")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel(f"layer k (0 = input, {L} = output)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _finish(fig, path)
