"""The streamed local certificate of the figures' worker processes: the same numbers as inline."""

import queue

import numpy as np
import pytest

from backsmooth.figures import default_settings
from backsmooth.figures.certificate import CERT_FIELDS, certificate_hook, certificate_record
from backsmooth.figures.experiments import _CertificateStream, finish_run, train_run

_TINY = default_settings(quick=True).with_(n=120, epochs=4, deep_depth=3, shallow_depth=2, profile_every=2)


def test_a_run_completed_from_streamed_inputs_is_the_inline_run(tmp_path):
    inline = train_run(_TINY, "gnn", 3, 0, cache_dir=tmp_path / "a")
    streamed = []
    pending = train_run(_TINY, "gnn", 3, 0, cache_dir=tmp_path / "b", certificate_sink=streamed.append)
    assert set(pending) == {"pending_certificate"} and len(streamed) == 3  # epochs 0, 2, 4
    assert not list((tmp_path / "b").glob("*.npz"))  # nothing cached before the certificate is complete
    lam = pending["pending_certificate"]["lam"]
    done = finish_run(pending, [certificate_record(x, lam) for x in streamed])
    assert list(done) == list(inline)  # the same keys in the same order (figure1.json's bytes)
    for key, value in inline.items():
        if isinstance(value, np.ndarray):
            assert value.dtype == done[key].dtype and value.tobytes() == done[key].tobytes(), key
        else:
            assert value == done[key], key
    (a,), (b,) = (tmp_path / "a").glob("*.npz"), (tmp_path / "b").glob("*.npz")
    assert a.name == b.name
    with np.load(a) as za, np.load(b) as zb:
        assert za.files == zb.files
        assert all(za[k].tobytes() == zb[k].tobytes() for k in za.files)
    # the completed run is then read back from the cache like any other
    again = train_run(_TINY, "gnn", 3, 0, cache_dir=tmp_path / "b", certificate_sink=streamed.append)
    assert "pending_certificate" not in again and len(streamed) == 3


def test_finish_run_refuses_missing_epochs(tmp_path):
    streamed = []
    pending = train_run(_TINY, "gnn", 3, 0, certificate_sink=streamed.append)
    lam = pending["pending_certificate"]["lam"]
    with pytest.raises(ValueError, match="3 profile epochs but 2"):
        finish_run(pending, [certificate_record(x, lam) for x in streamed[:2]])


def test_the_hook_with_deliver_records_nothing_and_hands_over_what_the_hook_computes():
    from backsmooth.numeric import gnn, initial_weights
    from backsmooth.numeric.training import train
    from backsmooth.figures.settings import csbm_problem

    sample, P, lam = csbm_problem(_TINY, 0)
    W0 = initial_weights([_TINY.num_features, 32, 32, 32, 2], "orthogonal", seed=1)
    kw = dict(targets=sample.labels, loss="cross_entropy", optimizer="adam", learning_rate=1e-3, epochs=2,
              profile_every=1)
    h = train(gnn(P, 3, "tanh"), sample.features, W0, profile_hook=certificate_hook(lam, "tanh"), **kw)
    got = []
    h2 = train(gnn(P, 3, "tanh"), sample.features, W0, profile_hook=certificate_hook(lam, "tanh", deliver=got.append),
               **kw)
    assert h2.profile_extra == {} and len(got) == 3
    for name in CERT_FIELDS:
        assert h.profile_extra[name].tobytes() == np.stack([certificate_record(x, lam)[name] for x in got]).tobytes(), name


def test_the_stream_collects_in_epoch_order_and_reports_a_failure():
    q = queue.Queue()
    stream = _CertificateStream(q, {7: 0.5, 8: 0.5})
    try:
        streamed = []
        train_run(_TINY, "gnn", 3, 0, certificate_sink=streamed.append)
        for i in (2, 0, 1):  # out of order, as two workers may deliver
            q.put((7, i, streamed[i]))
        got = stream.collect(7, 3)
        for i in range(3):
            want = certificate_record(streamed[i], 0.5)
            assert all(got[i][k].tobytes() == want[k].tobytes() for k in CERT_FIELDS)
        q.put((8, 0, {"not": "inputs"}))
        with pytest.raises(KeyError):
            stream.collect(8, 1)
    finally:
        stream.close()


def test_adam_on_one_flat_vector_gives_the_per_layer_bits():
    """train's Adam updates every layer at once on one flat vector; each entry must get exactly
    the per-layer update of the paper's Adam, computed here layer by layer."""
    from backsmooth.numeric import gnn, initial_weights
    from backsmooth.numeric.model import backward, forward
    from backsmooth.numeric.training import train
    from backsmooth.figures.settings import csbm_problem

    sample, P, lam = csbm_problem(_TINY, 0)
    net = gnn(P, 3, "tanh")
    W = initial_weights([_TINY.num_features, 32, 32, 32, 2], "orthogonal", seed=2)
    lr, b1, b2, eps = 3e-2, 0.9, 0.999, 1e-8
    h = train(net, sample.features, W, targets=sample.labels, learning_rate=lr, epochs=5)
    W = [w.copy() for w in W]
    m = [np.zeros_like(w) for w in W]
    v = [np.zeros_like(w) for w in W]
    for t in range(5):
        g = backward(net, forward(net, sample.features, W), W, loss="cross_entropy", targets=sample.labels)
        for k, G in enumerate(g.weight_gradients):
            m[k] = b1 * m[k] + (1 - b1) * G
            v[k] = b2 * v[k] + (1 - b2) * G * G
            W[k] = W[k] - lr * (m[k] / (1 - b1 ** (t + 1))) / (np.sqrt(v[k] / (1 - b2 ** (t + 1))) + eps)
    assert len(h.weights) == len(W)
    for a, b in zip(h.weights, W):
        assert a.shape == b.shape and a.tobytes() == b.tobytes()
