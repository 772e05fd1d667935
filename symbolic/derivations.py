"""``derive(name)``: run the sympy derivation of a claim and return its checked steps.

The derivation of claim ``NAME`` is its entry in ``_TABLE`` (where it combines several
functions) or else a function ``derive_NAME()`` of one of the ``derive_*`` modules;
:func:`missing_derivations` names the claims that have neither.

Every derivation is performed when called (and cached: the steps are immutable), so
``derive`` reports what sympy established now, never a stored answer.  Besides the
claims of the registry two derivations have their own names: ``"backprop"`` (the backward
recursion and the weight gradient derived from the forward definition) and ``"relu"``
(what carries over to ReLU GNNs and what does not).

A derivation is a chain of the one step engine (:mod:`backsmooth.symbolic.chain`): its steps
are :class:`~backsmooth.symbolic.steps.DerivationStep` (chain steps whose evidence kind names
what sympy established), :func:`derivation_chain` makes them a
:class:`~backsmooth.symbolic.chain.Proof` and :func:`derivation_result` checks it with the same
chain checker and :func:`~backsmooth.symbolic.chain_verify.verify` as the proofs, so a
derivation has a strength (its weakest step) exactly like a proof.

Examples
--------
>>> steps = derive("lemma4")
>>> all(st.verified for st in steps), steps[0].method
(True, 'simplify')
>>> derivation_result("lemma4").strength
'rule'
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from . import counterexample as _ce
from . import derive_backward as _bw
from . import derive_lemmas as _lm
from . import derive_local as _local
from . import derive_nonlinear as _nl
from . import derive_relu as _relu
from . import derive_relu_margin as _relu_margin
from . import derive_remedies as _rem
from . import derive_stationary as _st
from . import derive_theorem1 as _t1
from .chain import Proof, check_chain
from .chain_verify import verify
from .claims import check_keys, claims

__all__ = ["derive", "derivations", "missing_derivations", "EXTRA_DERIVATIONS",
           "chain_of", "derivation_chain", "derivation_result"]

#: derivations that are not claims of the registry, with a one-line description
EXTRA_DERIVATIONS = {
    "backprop": "Backward recursion and weight gradient, derived by differentiating the "
                "forward definition (generic rho), plus the linear closed forms",
    "relu": "ReLU GNNs: Lipschitz, masked linear recursion, constant-pattern form, and why "
            "(A2b)-based results do not cover ReLU",
}

_TABLE = {
    "lemma1": _lm.derive_lemma1,
    "lemma2": _lm.derive_lemma2,
    "lemma3": _lm.derive_lemma3,
    "lemma4": _lm.derive_lemma4,
    "mean_propagation": _bw.derive_mean_propagation,
    "theorem1": lambda: _t1.derive_theorem1() + _relu.derive_relu_lipschitz(),
    "corollary1": _t1.derive_corollary1,
    "theorem2": lambda: _nl.derive_theorem2() + _relu.derive_relu_constant_pattern(),
    "proposition1": _nl.derive_proposition1,
    "definition1": _st.derive_definition1,
    "theorem3": _st.derive_theorem3,
    "corollary2": _st.derive_corollary2,
    "proposition2": _ce.derive_proposition2,
    "backprop": lambda: _bw.derive_backprop() + _bw.derive_linear_closed_forms(),
    "relu": _relu.derive_relu,
    "theorem2_relu": _relu_margin.derive_theorem2_relu,
    # extension (issue 17): local constants along a run
    "local_smoothing": _local.derive_local_smoothing,
    "local_backward_recursion": _local.derive_local_backward_recursion,
    "local_certificate": _local.derive_local_certificate,
    "saturation_threshold": _local.derive_saturation_threshold,
    "remedy_residual": lambda: _rem.derive_residual(),
    "remedy_initial_residual": lambda: _rem.derive_initial_residual(),
    "remedy_normalisation": lambda: _rem.derive_normalisation(),
}


#: modules searched for ``derive_NAME`` when ``_TABLE`` has no entry for claim ``NAME``
_DERIVE_MODULES = (_lm, _bw, _t1, _nl, _st, _ce, _relu)

check_keys(_TABLE, "symbolic.derivations._TABLE", extra=EXTRA_DERIVATIONS)


def _derive_modules():
    """The modules above, then every other ``backsmooth.symbolic.derive_*`` module."""
    import importlib
    import pkgutil

    import backsmooth.symbolic as pkg

    named = {m.__name__ for m in _DERIVE_MODULES}
    more = [importlib.import_module(f"backsmooth.symbolic.{i.name}")
            for i in pkgutil.iter_modules(pkg.__path__)
            if i.name.startswith("derive_") and f"backsmooth.symbolic.{i.name}" not in named]
    return _DERIVE_MODULES + tuple(more)


def _builder(name):
    """The derivation of ``name``: its ``_TABLE`` entry, else a ``derive_NAME`` function."""
    if name in _TABLE:
        return _TABLE[name]
    if not isinstance(name, str) or not name.isidentifier():
        return None
    for module in _derive_modules():
        fn = getattr(module, f"derive_{name}", None)
        if fn is not None:
            return fn
    return None


def missing_derivations(names=None) -> tuple:
    """Claims (default: the registry's) with no derivation (no ``_TABLE`` entry, no ``derive_NAME``)."""
    return tuple(c for c in (claims() if names is None else names) if _builder(c) is None)


def derivations() -> tuple:
    """Every name ``derive`` accepts: the claims (paper order), then ``backprop``, ``relu``."""
    return claims() + tuple(EXTRA_DERIVATIONS)


@lru_cache(maxsize=None)
def _run(name):
    return tuple(_builder(name)())


def derive(name) -> tuple:
    """Perform the derivation of ``name`` and return its :class:`DerivationStep` tuple.

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the known names).
    """
    if not isinstance(name, str) or _builder(name) is None:
        raise ValueError(f"unknown derivation {name!r}; known names: {', '.join(derivations())}")
    return _run(name)


def chain_of(name, steps, hypotheses=()) -> Proof:
    """The derivation steps ``steps`` as a chain (:class:`~backsmooth.symbolic.chain.Proof`).

    A label that repeats an earlier one gets `` [i]`` (its position) appended; every step is a
    conclusion.  The chain is checked (:func:`~backsmooth.symbolic.chain.check_chain`, no other
    claim cited): a step that uses a name not established before it is refused.

    Raises
    ------
    ChainError
        If the steps do not chain.
    """
    seen, out = set(), []
    for i, st in enumerate(steps, 1):
        if st.label in seen:
            st = replace(st, label=f"{st.label} [{i}]")
        seen.add(st.label)
        out.append(st)
    chain = Proof(name, tuple(hypotheses), tuple(out), tuple(st.label for st in out))
    check_chain(chain, context={})
    return chain


def derivation_chain(name) -> Proof:
    """The derivation of ``name`` as a checked chain of the one step engine."""
    return chain_of(name, derive(name))


@lru_cache(maxsize=None)
def derivation_result(name):
    """The derivation of ``name`` verified like a proof: a
    :class:`~backsmooth.symbolic.chain_verify.ProofResult` (``passed``, ``strength`` = the
    weakest step, ``kind_counts``)."""
    return verify(derivation_chain(name), context={})

