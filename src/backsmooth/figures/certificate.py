"""The local stationarity certificate drawn over Figure 1 and the mechanism figure; Figure 2 with scaled weights.

Extension (ours).  :func:`certificate_hook` is passed to the trainer and evaluates, at every
profile epoch, the claim ``local_certificate`` of ``docs/theory.md``: from the forward pass
(``H^(k)``, ``X^(k)``), the weights and the output error (``bbar^(L)``, ``E(B^(L))``) only,

    ``||dLoss/dW^(k)||_F <= delta_k = n ||xbar^(k)|| m_k + lambda n E(X^(k)) e_k``,

with ``m_k, e_k`` the local backward recursion (:mod:`backsmooth.numeric.local_certificate`).
:func:`certificate_theory` summarises it for ``figure1.json``; :func:`scaled_figure2_data` is the
Figure 2 variant with orthogonal weights times ``gain`` (``lambda s > 1``), where the global
Theorem 1 / Corollary 1 rates grow and the local-constant bounds still contract.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CERT_FIELDS", "certificate_hook", "certificate_record", "certificate_theory", "scaled_figure2_data", "plot_scaled_figure2",
           "draw_certificate"]

#: the per-profile-epoch arrays a run dict gets (prefixed ``cert_``)
CERT_FIELDS = ("delta", "m", "e", "mean_path", "deviation", "ell", "ell_w", "c", "h", "E_H", "E_D", "omega")

#: a bound is "within a factor" of the largest measured gradient when the ratio is below this
WITHIN_FACTOR = 100.0


def certificate_hook(lam: float, rho, *, deliver=None):
    """A ``profile_hook`` for :func:`backsmooth.numeric.training.train` that evaluates the certificate.

    Reads only ``fwd.H[k]`` (k < L), ``fwd.X[k]``, the weights and the output error ``B^(L)``.
    With ``deliver``, the hook reduces the forward pass to the certificate's small inputs
    (:func:`~backsmooth.numeric.local_certificate.certificate_inputs`), hands them to
    ``deliver(inputs)`` and records nothing: :func:`certificate_record` of those inputs, computed
    anywhere (e.g. in another process while the training goes on), gives the same numbers, bit
    for bit, as the hook without ``deliver``.
    """
    from backsmooth.numeric.local_certificate import certificate_inputs

    def hook(net, fwd, grads, weights):
        L = len(weights) - 1
        B = grads.B[-1]
        n = B.shape[0]
        bbar = B.mean(axis=0)
        e_B = float(np.sqrt(np.sum((B - bbar) ** 2) / n))
        inputs = certificate_inputs(weights, [fwd.H[k] for k in range(L)], [fwd.X[k] for k in range(L + 1)],
                                    bbar, e_B, rho)
        if deliver is not None:
            deliver(inputs)
            return {}
        return certificate_record(inputs, lam)

    return hook


def certificate_record(inputs, lam) -> dict:
    """The arrays :func:`certificate_hook` records at one profile epoch, from the epoch's certificate inputs."""
    from backsmooth.numeric.local_certificate import certificate_from_inputs

    out = certificate_from_inputs(inputs, lam)
    return {key: out[key] for key in CERT_FIELDS}


def supports_certificate(rho) -> bool:
    """Whether the activation has a Lipschitz derivative (A2b): ReLU-type activations do not."""
    from backsmooth.numeric.activations import activation

    return activation(rho).has_lipschitz_derivative


def certificate_theory(run, start) -> dict:
    """Summary of the certificate of one run: per-epoch max, ratio to the largest gradient, fractions.

    ``start`` is the output layer's stationary epoch (None: never stationary).
    """
    ep = np.asarray(run["profile_epochs"])
    delta = np.asarray(run["cert_delta"])                       # epochs x (L + 1)
    grads = np.asarray(run["gradient_norms"])[ep]
    dmax, gmax = delta.max(axis=1), grads.max(axis=1)
    ratio = dmax / gmax
    after = ep >= start if start is not None else np.zeros(ep.size, dtype=bool)
    return {"delta_max": dmax, "delta_per_layer": delta, "ratio_to_max_gradient": ratio,
            "max_gradient": gmax,
            # a bound: the certificate (per layer) is >= that layer's gradient at every recorded epoch
            "holds_every_epoch": bool(np.all(grads <= delta * (1 + 1e-9))),
            "within_factor": WITHIN_FACTOR,
            "within_factor_fraction_after_stationary": float(np.mean(ratio[after] <= WITHIN_FACTOR))
            if after.any() else float("nan"),
            "mean_path_norm": np.asarray(run["cert_mean_path"]), "ell": np.asarray(run["cert_ell"])}


def draw_certificate(ax, epochs, delta_max, label):
    """Draw the certificate's ``max_k delta_k`` over a gradient panel."""
    ax.plot(epochs, delta_max, color="crimson", ls="-.", lw=1.6, label=label)


def _orthogonal_scaled_weights(settings, gain, seed):
    from backsmooth.numeric import initial_weights

    widths = [settings.num_features] + [settings.width] * settings.deep_depth + [2]
    return [gain * W for W in initial_weights(widths, "orthogonal", seed=10_000 + int(seed))]


def scaled_figure2_data(settings, seeds=(0,), *, gain: float = 2.0, epochs: int | None = None,
                        progress=None) -> dict:
    """Figure 2 with orthogonal weights times ``gain`` (every ``s_k = gain``): local vs global bounds.

    For each seed: ``E(X^(k))`` and ``E(B^(k))`` at initialisation and after ``epochs`` epochs of
    training (default: the settings' epochs), with the global rates ``(lambda s)^k E(X^(0))`` and
    ``(lambda s)^(L-k) E(B^(L))`` and the local bounds: forward ``E(X^(0)) prod_{i<k} lambda s_i ell_i``
    and the one-step ``lambda s_k ell_k E(X^(k))``; backward ``e_k`` of the local recursion.
    """
    from .settings import csbm_problem
    from backsmooth.numeric import gnn
    from backsmooth.numeric.local_certificate import local_forward_bound
    from backsmooth.numeric.training import train

    L = settings.deep_depth
    epochs = settings.epochs if epochs is None else int(epochs)
    out = {"figure": "2-scaled", "provenance": "extension", "settings": settings.to_dict(), "gain": float(gain),
           "seeds": list(seeds), "depth": L, "k": np.arange(L + 1), "epochs": epochs, "runs": []}
    for seed in seeds:
        sample, P, lam = csbm_problem(settings, seed)
        net = gnn(P, L, settings.activation)
        W0 = _orthogonal_scaled_weights(settings, gain, seed)
        cb = (lambda t, record: progress(1)) if progress is not None else None
        h = train(net, sample.features, W0, targets=sample.labels, loss=settings.loss,
                  optimizer=settings.optimizer, learning_rate=settings.learning_rate, epochs=epochs,
                  profile_every=0, callback=cb, seed=seed,
                  profile_hook=certificate_hook(lam, settings.activation))
        from backsmooth.numeric import loss_function

        L_const = float(loss_function(settings.loss).best_constant_loss(sample.labels))
        snaps = []
        for r, t in enumerate(h.profile_epochs):
            s = h.spectral_norms[r]
            EX, EB = h.forward_energy[r], h.backward_energy[r]
            ell = h.profile_extra["ell"][r]
            ell_w = h.profile_extra["ell_w"][r]
            snaps.append({
                "epoch": int(t), "s_max": float(s.max()), "lambda_s": float(lam * s.max()),
                "lambda_s_ell_max": float(np.max(lam * s[:L] * ell)), "ell": ell, "lambda_s_ell": lam * s[:L] * ell,
                "ell_w": ell_w, "lambda_s_ell_w": lam * s[:L] * ell_w,
                "lambda_s_ell_w_below_one_fraction": float(np.mean(lam * s[:L] * ell_w < 1)),
                "local_forward_chained_w": local_forward_bound(s, lam, ell_w, EX[0]),
                "local_forward_step_w": np.r_[np.nan, lam * s[:L] * ell_w * EX[:L]],
                "forward_holds_w": bool(np.all(EX[1:] <= lam * s[:L] * ell_w * EX[:L] * (1 + 1e-9))),
                "E_X": EX, "E_B": EB,
                "global_forward_rate": EX[0] * np.cumprod(np.r_[1.0, np.full(L, lam * s.max())]),
                "global_backward_rate": EB[L] * (lam * s.max()) ** (L - np.arange(L + 1)),
                "local_forward_chained": local_forward_bound(s, lam, ell, EX[0]),
                "local_forward_step": np.r_[np.nan, lam * s[:L] * ell * EX[:L]],   # bound on E(X^(k)), k >= 1
                "local_backward": h.profile_extra["e"][r],
                "forward_holds": bool(np.all(EX[1:] <= lam * s[:L] * ell * EX[:L] * (1 + 1e-9))),
                "backward_holds": bool(np.all(EB <= h.profile_extra["e"][r] * (1 + 1e-9))),
                "max_gradient": float(h.gradient_norms[t].max()),
                "certificate_max": float(h.profile_extra["delta"][r].max()),
            })
        out["runs"].append({"seed": int(seed), "lam": float(lam), "L_const": L_const, "loss": h.loss,
                            "final_loss_over_L_const": float(h.loss[-1] / L_const), "snapshots": snaps})
        if progress is not None and epochs == 0:
            progress(1)
    out["notes"] = [
        f"Orthogonal initial weights times {gain:g}: every s_k = {gain:g}, so lambda s > 1 and the global "
        "rates (lambda s)^k of Theorem 1 and Corollary 1 grow with depth.",
        "Local bounds (claims local_smoothing and local_backward_recursion, extension): ell_k = max |rho'| over "
        "the per-column segments of the pre-activations, max over columns; ell^w_k its column-energy weighted "
        "mean. Measured finding: some column of every layer keeps its segment near 0, so lambda s_k ell_k stays "
        "close to lambda s > 1; the weighted slope falls as tanh saturates the other columns, and "
        "lambda s_k ell^w_k < 1 in most layers (see lambda_s_ell_w_below_one_fraction).",
    ]
    return out


def plot_scaled_figure2(data: dict, out):
    """Plot :func:`scaled_figure2_data`: forward and backward profiles at initialisation and after training."""
    from .plotting import _plt, save_figure

    plt = _plt()
    run = data["runs"][0]
    k = np.asarray(data["k"])
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.8))
    panels = {}
    for snap, ls in zip(run["snapshots"], ("-", "--")):
        tag = f"epoch {snap['epoch']}"
        ax = axes[0]
        ax.plot(k, snap["E_X"], "o" + ls, ms=3, color="tab:blue", label=f"$E(X^{{(k)}})$, {tag}")
        ax.plot(k, snap["global_forward_rate"], ls, color="gray", lw=1,
                label=rf"global $(\lambda s)^k E(X^{{(0)}})$, $\lambda s$ = {snap['lambda_s']:.2f}, {tag}")
        ax.plot(k, snap["local_forward_step"], "^" + ls, ms=3, color="crimson", lw=1,
                label=rf"local one-step $\lambda s_{{k-1}}\ell_{{k-1}}E(X^{{(k-1)}})$ (max slope), {tag}")
        ax.plot(k, snap["local_forward_step_w"], "v" + ls, ms=3, color="purple", lw=1,
                label=rf"local one-step with weighted slope $\ell^w_{{k-1}}$, {tag}")
        ax = axes[1]
        ax.plot(k, snap["E_B"], "o" + ls, ms=3, color="tab:orange", label=f"$E(B^{{(k)}})$, {tag}")
        ax.plot(k, snap["global_backward_rate"], ls, color="gray", lw=1,
                label=rf"global $(\lambda s)^{{L-k}}E(B^{{(L)}})$, {tag}")
        ax.plot(k, snap["local_backward"], "^" + ls, ms=3, color="crimson", lw=1, label=f"local recursion $e_k$, {tag}")
        axes[2].plot(k[:-1], snap["lambda_s_ell"], "o" + ls,
                     ms=3, color="tab:green", label=rf"$\lambda s_k \ell_k$ (max slope), {tag}")
        axes[2].plot(k[:-1], snap["lambda_s_ell_w"], "v" + ls,
                     ms=3, color="purple", label=rf"$\lambda s_k \ell^w_k$ (weighted slope), {tag}")
        for name, cols in (("forward", ("E_X", "global_forward_rate", "local_forward_step", "local_forward_step_w")),
                           ("backward", ("E_B", "global_backward_rate", "local_backward"))):
            panels[f"{name}_epoch{snap['epoch']}"] = (["k"] + list(cols), [k] + [np.asarray(snap[c]) for c in cols])
    axes[2].axhline(1.0, color="black", lw=0.8, ls=":")
    axes[2].axhline(run["snapshots"][0]["lambda_s"], color="gray", lw=1, label=r"global $\lambda s$")
    axes[0].set_title(r"Forward $E(X^{(k)})$: global vs local bound")
    axes[1].set_title(r"Backward $E(B^{(k)})$: global rate vs local recursion")
    axes[2].set_title(r"Local factor $\lambda s_k \ell_k$ (tanh saturation)")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("layer k")
        ax.legend(fontsize=6)
    fig.suptitle(f"Figure 2 with orthogonal weights x {data['gain']:g} (extension): lambda s > 1, final loss / "
                 f"L_const = {run['final_loss_over_L_const']:.3f}", fontsize=11)
    fig.tight_layout()
    paths = save_figure(fig, data, out, "figure2_scaled", panels)
    plt.close(fig)
    return paths
