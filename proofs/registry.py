"""The registry of proofs: one :class:`~backsmooth.proofs.framework.Proof` per claim.

Claim names are those of ``backsmooth.symbolic.claims()``, and they are the only key: the
proof of claim ``NAME`` is the function ``NAME_proof()`` (no argument, returns a
:class:`Proof`) defined in any public module of :mod:`backsmooth.proofs`, found by that
naming convention (no hand-kept table).  Two functions of the same name, or a
``*_proof`` function whose prefix is no claim, are refused when the registry is first used.
:func:`proof` builds one proof; :func:`proofs` lists the names in dependency order (every
proof after the claims it cites); :func:`missing_proofs` names the claims without one.

Examples
--------
>>> "theorem1" in proofs()
True
>>> proof("lemma1").claim
'lemma1'
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil

from .framework import Proof, dependency_order

__all__ = ["PROOF_BUILDERS", "builders", "missing_proofs", "proof", "proofs"]

#: legacy explicit entries ``claim -> (module, function)``, consulted only for a builder that
#: does not follow the ``NAME_proof`` convention (empty: every proof follows it)
PROOF_BUILDERS: dict = {}

#: modules of this package that hold machinery, not proofs
_NOT_PROOF_MODULES = ("checks", "framework", "registry", "render")


@functools.lru_cache(maxsize=None)
def builders() -> dict:
    """Claim name -> builder function, found by the ``NAME_proof`` convention.

    Raises
    ------
    ValueError
        If two modules define the same ``NAME_proof`` or a ``*_proof`` function names no
        claim of the registry.
    """
    import backsmooth.proofs as pkg
    from backsmooth.symbolic.claims import claims

    names = claims()
    found, where, problems = {}, {}, []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_") or info.name in _NOT_PROOF_MODULES:
            continue
        module = importlib.import_module(f"backsmooth.proofs.{info.name}")
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if (not fname.endswith("_proof") or fname.startswith("_")
                    or fn.__module__ != module.__name__):
                continue
            claim = fname[: -len("_proof")]
            if claim not in names:
                problems.append(f"{module.__name__}.{fname} names no claim of the registry")
            elif claim in found:
                problems.append(f"{fname} is defined in {where[claim]} and {module.__name__}")
            else:
                found[claim], where[claim] = fn, module.__name__
    for claim, (mod, fname) in PROOF_BUILDERS.items():
        if claim not in found:
            found[claim] = getattr(importlib.import_module(f"backsmooth.proofs.{mod}"), fname)
    if problems:
        raise ValueError("the proofs disagree with the claim registry:\n  "
                         + "\n  ".join(problems))
    return {c: found[c] for c in names if c in found}


def missing_proofs(names=None) -> tuple:
    """Claims (default: the registry's) that have no ``NAME_proof`` builder."""
    from backsmooth.symbolic.claims import claims

    return tuple(c for c in (claims() if names is None else names) if c not in builders())


def _build(name) -> Proof:
    return builders()[name]()


@functools.lru_cache(maxsize=None)
def _all_proofs_cached():
    return tuple((name, _build(name)) for name in builders())


def _all_proofs() -> dict:
    return dict(_all_proofs_cached())


def proof(name) -> Proof:
    """Return the proof of claim ``name``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    if not isinstance(name, str) or name not in builders():
        raise ValueError(f"no proof for claim {name!r}; known claims: {', '.join(builders())}")
    return _all_proofs()[name]


def proofs() -> tuple:
    """Claim names with a proof, in dependency order."""
    return dependency_order(_all_proofs())
