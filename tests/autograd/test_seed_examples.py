"""The seeds' worked examples, built from raw tensor ops, reproduce the corrected numbers.

Values are from ../shared/seeds/README.md (errata): the seed's printed z[2] = 0.64 is an
arithmetic slip; 0.5×0.572 + 0.6×0.591 + 0.1 = 0.7409.
"""

import numpy as np
import pytest

import backprop as bp

ATOL = 5e-9  # the table gives 8 decimals: 1e-8 agreement


def _f64(values, requires_grad=True):
    return bp.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def test_seed_000_two_two_one_network():
    w1, b1 = _f64([[0.2, 0.3], [0.1, 0.4]]), _f64([0.1, 0.2])
    w2, b2 = _f64([[0.5, 0.6]]), _f64([0.1])
    x, y = _f64([0.5, 0.3], False), 0.7
    z1 = (w1 @ x + b1).retain_grad()
    a1 = z1.sigmoid()
    z2 = (w2 @ a1 + b2).retain_grad()
    a2 = z2.sigmoid()
    loss = 0.5 * ((y - a2) ** 2).sum()
    loss.backward()
    expected = {
        "z1": (z1.data, [0.29, 0.37]),
        "a1": (a1.data, [0.57199613, 0.59145898]),
        "z2": (z2.data, [0.74087345]),
        "a2": (a2.data, [0.67718683]),
        "loss": (loss.data, 0.00026022),
        "delta2": (z2.grad, [-0.00498707]),
        "delta1": (z1.grad, [-0.00061046, -0.00072303]),
        "grad_w2": (w2.grad, [[-0.00285258, -0.00294965]]),
        "grad_w1": (w1.grad, [[-0.00030523, -0.00018314], [-0.00036152, -0.00021691]]),
    }
    for name, (ours, value) in expected.items():
        np.testing.assert_allclose(ours, value, atol=ATOL, rtol=0, err_msg=name)
    lr = 0.1
    updated = {name: p.data - lr * p.grad for name, p in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)]}
    np.testing.assert_allclose(updated["w2"], [[0.50028526, 0.60029496]], atol=ATOL, rtol=0)
    np.testing.assert_allclose(updated["b2"], [0.10049871], atol=ATOL, rtol=0)
    np.testing.assert_allclose(updated["w1"], [[0.20003052, 0.30001831], [0.10003615, 0.40002169]], atol=ATOL, rtol=0)
    np.testing.assert_allclose(updated["b1"], [0.10006105, 0.20007230], atol=ATOL, rtol=0)


def test_seed_004_single_neuron_sigmoid_cross_entropy():
    x = _f64([0.5, 0.3, 0.2], False)
    w, b = _f64([0.4, 0.7, 0.2]), _f64(0.1)
    y = 1.0
    z = (x @ w + b).retain_grad()
    a = z.sigmoid()
    loss = -(y * a.log() + (1 - y) * (1 - a).log())
    loss.backward()
    assert z.item() == pytest.approx(0.55, abs=1e-12)
    assert a.item() == pytest.approx(0.63413559, abs=ATOL)
    # the seed calls it dA, but A - y is dL/dZ for sigmoid + cross-entropy (errata 4)
    assert z.grad.item() == pytest.approx(-0.36586441, abs=ATOL)
    np.testing.assert_allclose(w.data - 0.1 * w.grad, [0.41829322, 0.71097593, 0.20731729], atol=ATOL, rtol=0)
    assert (b.data - 0.1 * b.grad).item() == pytest.approx(0.13658644, abs=ATOL)
