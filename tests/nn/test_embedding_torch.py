"""PyTorch as the oracle for Embedding (float64), padding_idx and repeated ids included."""

import numpy as np
import pytest

from backprop.nn.embedding import Embedding

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


@pytest.mark.parametrize("padding_idx", [None, 0, 3])
def test_matches_torch(padding_idx, rng):
    theirs = torch.nn.Embedding(6, 4, padding_idx=padding_idx).double()
    ours = Embedding(6, 4, padding_idx=padding_idx, rng=rng, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    idx = rng.integers(0, 6, size=(5, 7))
    g = rng.normal(size=(5, 7, 4))
    out_b, out_t = ours(idx), theirs(torch.from_numpy(idx))
    np.testing.assert_array_equal(out_b.data, out_t.detach().numpy())
    (out_b * g).sum().backward()
    (out_t * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
