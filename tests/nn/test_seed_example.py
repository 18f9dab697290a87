"""The seeds' worked example 000: a 2-2-1 sigmoid network, one backward pass and one SGD step.

Oracle: the hand-computed values in the seeds (8 decimals), compared at atol 5e-9.
"""

import numpy as np

import backprop as bp
from backprop import nn

ATOL = 5e-9


def build():
    model = nn.Sequential(nn.Linear(2, 2, dtype=np.float64), nn.Sigmoid(),
                          nn.Linear(2, 1, dtype=np.float64), nn.Sigmoid())
    model.load_state_dict({"0.weight": [[0.2, 0.3], [0.1, 0.4]], "0.bias": [0.1, 0.2],
                           "2.weight": [[0.5, 0.6]], "2.bias": [0.1]})
    return model


def test_forward_backward_and_sgd_step_match_the_seed():
    model = build()
    assert model[0].weight.dtype == np.float64
    x = bp.tensor(np.array([[0.5, 0.3]]))
    y = 0.7
    z1 = model[0](x).retain_grad()
    a1 = model[1](z1)
    z2 = model[2](a1).retain_grad()
    a2 = model[3](z2)
    loss = 0.5 * ((y - a2) ** 2).sum()

    np.testing.assert_allclose(z1.data, [[0.29, 0.37]], rtol=0, atol=ATOL)
    np.testing.assert_allclose(a1.data, [[0.57199613, 0.59145898]], rtol=0, atol=ATOL)
    np.testing.assert_allclose(z2.data, [[0.74087345]], rtol=0, atol=ATOL)
    np.testing.assert_allclose(a2.data, [[0.67718683]], rtol=0, atol=ATOL)
    np.testing.assert_allclose(loss.item(), 0.00026022, rtol=0, atol=ATOL)
    # The whole model gives the same output as the step-by-step pass.
    np.testing.assert_allclose(model(x).data, a2.data, rtol=0, atol=1e-15)

    loss.backward()
    np.testing.assert_allclose(z2.grad, [[-0.00498707]], rtol=0, atol=ATOL)                 # δ2
    np.testing.assert_allclose(z1.grad, [[-0.00061046, -0.00072303]], rtol=0, atol=ATOL)    # δ1
    np.testing.assert_allclose(model[2].weight.grad, [[-0.00285258, -0.00294965]], rtol=0, atol=ATOL)
    np.testing.assert_allclose(model[2].bias.grad, [-0.00498707], rtol=0, atol=ATOL)
    np.testing.assert_allclose(model[0].weight.grad, [[-0.00030523, -0.00018314],
                                                      [-0.00036152, -0.00021691]], rtol=0, atol=ATOL)
    np.testing.assert_allclose(model[0].bias.grad, [-0.00061046, -0.00072303], rtol=0, atol=ATOL)

    for p in model.parameters():
        p.data -= 0.1 * p.grad
    np.testing.assert_allclose(model[2].weight.data, [[0.50028526, 0.60029496]], rtol=0, atol=ATOL)
    np.testing.assert_allclose(model[2].bias.data, [0.10049871], rtol=0, atol=ATOL)
    np.testing.assert_allclose(model[0].weight.data, [[0.20003052, 0.30001831],
                                                      [0.10003615, 0.40002169]], rtol=0, atol=ATOL)
    np.testing.assert_allclose(model[0].bias.data, [0.10006105, 0.20007230], rtol=0, atol=ATOL)
