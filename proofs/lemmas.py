"""Proofs of Lemma 1 (pairwise identity), Lemma 2 (contractions), Lemma 3 (gradient split) and the
mean propagation of backward signals (``docs/theory.md``): one import path for the four modules
:mod:`~backsmooth.proofs.lemma1`, :mod:`~backsmooth.proofs.lemma2`, :mod:`~backsmooth.proofs.lemma3`
and :mod:`~backsmooth.proofs.mean_propagation`.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> verify(lemma1_proof()).passed
True
"""

from __future__ import annotations

from .lemma1 import MONOTONE_PREMISE, lemma1_proof, monotone_chain, pairwise_check  # noqa: F401
from .lemma2 import (POWER_RULES, POWER_RULES_CITED, lemma2_proof, norms_checks, power_chain,  # noqa: F401
                     powers_check, row_contraction_chain, spectral_power_check, weights_chain)
from .lemma3 import _decomposition, layer_split_chain, lemma3_proof, remainder_chain  # noqa: F401
from .mean_propagation import mean_propagation_proof  # noqa: F401

__all__ = ["lemma1_proof", "lemma2_proof", "lemma3_proof", "mean_propagation_proof"]
