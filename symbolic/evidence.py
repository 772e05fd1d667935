"""Evidence of one step, named for what it establishes, and the order of the kinds.

Four kinds (:data:`EVIDENCE_KINDS`), strongest first: ``all_sizes_identity``, ``rule`` (both are
proof, :data:`PROOF_KINDS`), ``fixed_size_identity`` (one stated size) and ``instances``.  The kinds
of the first version of the engine are mapped honestly (:data:`LEGACY_KINDS`).

Examples
--------
>>> Evidence("rule", True, "3 rule applications").is_proof
True
>>> weakest_kind(["rule", "instances", "all_sizes_identity"])
'instances'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EVIDENCE_KINDS", "PROOF_KINDS", "LEGACY_KINDS", "KIND_MEANING", "UNVERIFIED", "STRENGTH",
           "weakest_kind", "is_proof_kind", "Evidence"]

#: the kinds of evidence a step's check may return, strongest first
EVIDENCE_KINDS = ("all_sizes_identity", "rule", "fixed_size_identity", "instances")
#: the kinds that are proof
PROOF_KINDS = ("all_sizes_identity", "rule")
#: kinds of the first version of this module -> the honest kind they stand for
LEGACY_KINDS = {
    "symbolic identity": "fixed_size_identity",
    "symbolic inequality": "fixed_size_identity",
    "checked on instances": "instances",
}
#: the strength of a cited claim that was not verified here (no proof, or a failing one)
UNVERIFIED = "unverified"
_RANK = {kind: i for i, kind in enumerate(EVIDENCE_KINDS + (UNVERIFIED,))}
#: evidence kind -> "proof" or "not a proof"
STRENGTH = {kind: ("proof" if kind in PROOF_KINDS else "not a proof") for kind in EVIDENCE_KINDS}
#: one line per kind, for legends
KIND_MEANING = {
    "all_sizes_identity": "identity proved for symbolic n, d, L (proof)",
    "rule": "inequality licensed by named rules with checked side conditions (proof)",
    "fixed_size_identity": "checked symbolically at one stated size (not a proof)",
    "instances": "checked on exact and random instances (not a proof)",
    UNVERIFIED: "cites a claim that is not verified here (not a proof)",
}


def weakest_kind(kinds) -> str:
    """The weakest of evidence kinds (``"all_sizes_identity"`` for none)."""
    kinds = tuple(kinds)
    for k in kinds:
        if k not in _RANK:
            raise ValueError(f"unknown evidence kind {k!r}; known: {EVIDENCE_KINDS + (UNVERIFIED,)}")
    return max(kinds, key=_RANK.__getitem__) if kinds else EVIDENCE_KINDS[0]


def is_proof_kind(kind) -> bool:
    """Whether evidence of ``kind`` is proof (:data:`PROOF_KINDS`)."""
    return kind in PROOF_KINDS


@dataclass(frozen=True)
class Evidence:
    """The outcome of one machine check.

    Attributes
    ----------
    kind : str
        One of :data:`EVIDENCE_KINDS` (a legacy kind of :data:`LEGACY_KINDS` is mapped).
    passed : bool
        Whether the check established the assertion.
    detail : str
        What was checked (sizes, assumptions, number of instances, worst ratio).
    size : str
        For ``"fixed_size_identity"``: the one size it was checked at (required; a legacy
        check that states none gets ``"size not stated"`` followed by its detail).
    rules : tuple of str
        Names of the rules the check applied (proof rules of :mod:`backsmooth.proofs.rules`, or
        ``"sign decided by sympy"`` for a derivation step).
    """

    kind: str
    passed: bool
    detail: str = ""
    size: str = ""
    rules: tuple = ()

    def __post_init__(self):
        kind = LEGACY_KINDS.get(self.kind, self.kind)
        if kind not in EVIDENCE_KINDS:
            raise ValueError(f"evidence kind must be one of {EVIDENCE_KINDS}, got {self.kind!r}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "passed", bool(self.passed))
        object.__setattr__(self, "rules", tuple(self.rules))
        if kind == "fixed_size_identity" and not self.size:
            object.__setattr__(self, "size", "size not stated")

    @property
    def strength(self) -> str:
        """``"proof"`` (all_sizes_identity, rule) or ``"not a proof"``."""
        return STRENGTH[self.kind]

    @property
    def is_proof(self) -> bool:
        return self.kind in PROOF_KINDS

    @property
    def label(self) -> str:
        """The kind, with the size for a fixed-size identity (``"fixed_size_identity (4 x 2)"``)."""
        return f"{self.kind} ({self.size})" if self.kind == "fixed_size_identity" else self.kind
