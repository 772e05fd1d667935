"""Property tests: no claim is violated on >= 1,000 random instances each (hypothesis).

Each hypothesis example draws a *batch* of settings -- graph families, ranges for n, depth and
width that start at the adversarial extremes (n = 2, depth 1, width 1), a weight-scale mode
(exactly ``s = lambda^(-alpha)``, ``lambda s`` close to 1, ``s > 1/lambda``, ``s = 1`` or a fixed
``s``), activations and losses -- and runs ``BATCH`` instances of the check with them:
``EXAMPLES x BATCH = 1,000`` instances per claim.  The families include near-disconnected
graphs (``barbell``, ``path``: lambda close to 1), bipartite ones (``star``, ``davis``, even
``cycle``), disconnected ones (sparse ``er``/``sbm``: lambda = 1, hypotheses not met) and
``lambda = 0`` (``complete``) and ``flat`` (``P = J + lambda (I - J)``, where the linear bounds are
attained, so the round-off allowance itself is under test).  A violation fails with the row
that broke, whose ``rerun`` settings reproduce it.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backsmooth.checks import check
from backsmooth.checks._instances import FAMILIES as instance_families

BATCH = 20
EXAMPLES = 50  # x BATCH = 1,000 instances per claim

# every family of the sampler but the two larger real graphs (karate: 34 nodes, les_miserables: 77)
FAMILIES = [f for f in instance_families if f not in ("karate", "les_miserables")]
SCALES = st.one_of(
    st.sampled_from(["boundary", "contractive", "unit", "large", "auto"]), st.floats(0.05, 3.0)
)
SMOOTH = ["tanh", "arctan", "sin", "softplus", "identity"]
ALL_ACTIVATIONS = SMOOTH + ["relu", "leaky_relu"]


@st.composite
def batches(draw, activations=ALL_ACTIVATIONS, n_min=2, depth_max=6):
    return {
        "graph": draw(st.lists(st.sampled_from(FAMILIES), min_size=1, max_size=3, unique=True)),
        "n": (n_min, draw(st.integers(n_min, 12))),
        "depth": (1, draw(st.integers(1, depth_max))),
        "width": (1, draw(st.integers(1, 3))),
        "scale": draw(SCALES),
        "activation": draw(
            st.lists(st.sampled_from(activations), min_size=1, max_size=3, unique=True)
        ),
        "loss": draw(st.sampled_from([["mse"], ["cross_entropy"], ["mse", "cross_entropy"]])),
        "seed": draw(st.integers(0, 2**30)),
        "trials": BATCH,
    }


def _assert_no_violation(name, **kw):
    r = check(name, **kw)
    assert r.violations == 0, r.summary.get("worst_violation")
    return r


pytestmark = pytest.mark.slow


@settings(max_examples=EXAMPLES)
@given(batches())
def test_lemmas(batch):
    # the deprecated name runs Lemmas 1-4 in one pass (one measurement per instance)
    with pytest.warns(DeprecationWarning, match="lemma1, lemma2, lemma3, lemma4"):
        _assert_no_violation("lemmas", **batch)


@settings(max_examples=EXAMPLES)
@given(batches())
def test_theorem1(batch):
    _assert_no_violation("theorem1", **batch)


@settings(max_examples=EXAMPLES)
@given(batches(activations=["identity"], depth_max=8))
def test_corollary1(batch):
    _assert_no_violation("corollary1", **batch)


@settings(max_examples=EXAMPLES)
@given(batches())
def test_theorem2(batch):
    _assert_no_violation("theorem2", **batch)


@settings(max_examples=EXAMPLES)
@given(batches())
def test_proposition1(batch):
    _assert_no_violation("proposition1", **batch)


@settings(max_examples=EXAMPLES)
@given(batches(depth_max=5))
def test_theorem3_and_definition1(batch):
    _assert_no_violation("theorem3", **batch)


@settings(max_examples=EXAMPLES)
@given(
    batches(activations=SMOOTH, n_min=3),
    st.lists(st.integers(1, 8), min_size=2, max_size=3, unique=True),
)
def test_corollary2(batch, depths):
    batch = dict(batch, depth=1, depths=sorted(depths))
    _assert_no_violation("corollary2", **batch)


@settings(max_examples=EXAMPLES)
@given(st.integers(0, 2**30), st.integers(1, 25))
def test_proposition2(seed, depth_max):
    _assert_no_violation(
        "proposition2",
        seed=seed,
        depth=(1, depth_max),
        trials=BATCH,
        exact_depths=[],
        side_by_side=False,
    )


@settings(max_examples=10)
@given(batches(activations=SMOOTH))
def test_gcn_extension(batch):
    _assert_no_violation(
        "gcn", **dict(batch, graph=[g for g in batch["graph"] if g != "davis"] or ["er"])
    )
