"""Which check judges which claim: the claim name is the key, checked when the package loads.

Every check module of :mod:`backsmooth.checks` (a module whose name does not start with ``_``)
is imported by :func:`load_check_modules`, so a new check needs no edit to a list: its
module registers it with :func:`backsmooth.checks._framework.register`.  A check is
registered under the name of the claim it checks (``register("theorem1", title,
("theorem1",), DEFAULTS)``); its ``claims`` may add claims whose rows it measures in the
same pass (the ``corollary1`` check also judges ``mean_propagation``).  The only other
names allowed are :data:`EXTENSION_CHECKS`: checks that carry existing claims to a setting
outside their hypotheses (``provenance="extension"``), each with the reason it is not a
claim of its own.

:func:`validate` runs on import and raises when a check names an unknown claim, when a
check's name is neither a claim nor a listed extension check, or when a claim is judged by
two checks of its own name.  :func:`check_for` answers "which check judges this claim?";
:func:`resolve` turns a name a user types (a claim, a check or a deprecated alias) into the
check to run.

Examples
--------
>>> from backsmooth.checks import ORDER, check_for
>>> ORDER[:3]
('lemma1', 'lemma2', 'lemma3')
>>> check_for("mean_propagation")
'corollary1'
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings

__all__ = [
    "DEPRECATED_ALIASES",
    "EXTENSION_CHECKS",
    "check_for",
    "load_check_modules",
    "order",
    "resolve",
    "validate",
]

#: checks whose name is not a claim: name -> why it is not a claim of the registry
EXTENSION_CHECKS = {
    "gcn": "runs Theorem 1, Lemma 3, Corollary 1 and Theorem 2 with the GCN normalisation "
           "P = D^-1/2 (A + I) D^-1/2, which is symmetric but not stochastic (outside A1); "
           "it measures the generalised E_u and reports where the claims carry over, so it "
           "is a setting of those claims, not a claim of its own",
    "theorem3_relu": "runs Theorem 3 for ReLU with c_rho replaced by the largest margin constant "
                     "max_k kappa_k of theorem2_relu; c_rho enters Theorem 3 only through Theorem 2 "
                     "and Proposition 1, an argument checked on instances here but not yet a "
                     "registry claim with a derivation and a proof",
}

#: names users knew before the checks were keyed by claim: old name -> (check to run, message)
DEPRECATED_ALIASES = {
    "lemmas": ("lemmas", "the check 'lemmas' is deprecated: each lemma has its own check now "
                         "(lemma1, lemma2, lemma3, lemma4); 'lemmas' still runs all four in "
                         "one pass"),
}


def load_check_modules():
    """Import every public module of :mod:`backsmooth.checks` (each registers its checks)."""
    import backsmooth.checks as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"backsmooth.checks.{info.name}")


def _claim_names():
    from backsmooth.symbolic.claims import claims

    return claims()


def validate(checks, hidden=()) -> None:
    """Raise ``ValueError`` if the registered checks and the claim registry disagree.

    Parameters
    ----------
    checks : dict
        Check name -> :class:`~backsmooth.checks._framework.CheckSpec`.
    hidden : iterable of str
        Registered names that are deprecated aliases (not run by ``--all``).
    """
    names = _claim_names()
    problems = []
    for key, spec in checks.items():
        if key in hidden:
            continue
        if key not in names and key not in EXTENSION_CHECKS:
            problems.append(
                f"check {key!r} is registered under a name that is not a claim; register it "
                f"under the claim it checks ({', '.join(names)}) or list it in "
                "backsmooth.checks._registry.EXTENSION_CHECKS with the reason"
            )
        if key in EXTENSION_CHECKS and spec.provenance != "extension":
            problems.append(f"extension check {key!r} must be registered with "
                            "provenance='extension'")
        if key in names and key not in spec.claims:
            problems.append(f"check {key!r} does not list its own claim in its claims "
                            f"{spec.claims}")
        unknown = [c for c in spec.claims if c not in names]
        if unknown:
            problems.append(f"check {key!r} names unknown claim(s) {unknown}")
    if problems:
        raise ValueError("the checks disagree with the claim registry:\n  " + "\n  ".join(problems))


def _visible(checks):
    return {k: v for k, v in checks.items() if k not in DEPRECATED_ALIASES}


def check_for(claim, checks=None):
    """Name of the check that judges ``claim`` (its own check, else the first that covers it).

    Returns ``None`` when no registered check covers the claim.
    """
    if checks is None:
        from ._framework import CHECKS as checks
    visible = _visible(checks)
    if claim in visible:
        return claim
    for key, spec in visible.items():
        if claim in spec.claims and key not in EXTENSION_CHECKS:
            return key
    return None


def order(checks=None) -> tuple:
    """The checks in paper order: claims' own checks in registry order, then extension checks."""
    if checks is None:
        from ._framework import CHECKS as checks
    visible = _visible(checks)
    out = [c for c in _claim_names() if c in visible]
    out += [k for k in visible if k not in out]
    return tuple(out)


def resolve(name, checks=None, warn=True) -> str:
    """The registered check to run for ``name`` (a check, a claim or a deprecated alias).

    A claim without a check of its own resolves to the check that covers it; a deprecated
    alias warns (``DeprecationWarning``) and resolves to what it names.

    Raises
    ------
    ValueError
        If nothing is registered under ``name``; the message lists the known names.
    """
    if checks is None:
        from ._framework import CHECKS as checks
    if name in DEPRECATED_ALIASES:
        target, message = DEPRECATED_ALIASES[name]
        if warn:
            warnings.warn(message, DeprecationWarning, stacklevel=3)
        return target
    if isinstance(name, str):
        found = check_for(name, checks)
        if found is not None:
            return found
        if name in checks:
            return name
    raise ValueError(f"unknown check {name!r}; known checks: {', '.join(order(checks))}")
