"""Helpers shared by the PyTorch-oracle tests of ``backprop.nn`` (float64).

Importing this module skips the importing test module when torch is not installed.
"""

import numpy as np
import pytest

import backprop as bp

torch = pytest.importorskip("torch")

F64 = np.float64
RTOL = 1e-9


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny tensors: torch's thread pool only adds overhead (and contention on busy CI machines).

    Autouse in each test module that imports it.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def rel_close(ours, theirs, rtol=RTOL):
    """Same shape, and the largest difference is at most ``rtol`` times the largest |theirs|."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    scale = max(np.max(np.abs(theirs)), 1e-300) if theirs.size else 1.0
    assert np.max(np.abs(ours - theirs)) <= rtol * scale, np.max(np.abs(ours - theirs)) / scale


def copy_params(ours, theirs):
    """Copy our parameters into a torch module (matching state-dict names)."""
    with torch.no_grad():
        theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})


def compare(ours, theirs, x, rng, *, rtol=RTOL, reshape_theirs=None):
    """Same weights and input: compare the output and the input and parameter gradients.

    Copies our parameters into ``theirs``, runs both forward, then backward of
    ``sum(out * w)`` for a random ``w``. ``reshape_theirs`` reshapes torch's output
    first (where its layout differs). Returns ``(out_ours, out_theirs)``.
    """
    copy_params(ours, theirs)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    xb = bp.tensor(x, dtype=F64, requires_grad=True)
    out_t, out_b = theirs(xt), ours(xb)
    if reshape_theirs is not None:
        out_t = out_t.reshape(reshape_theirs)
    rel_close(out_b.data, out_t.detach().numpy(), rtol)
    w = rng.normal(size=out_b.shape)
    (out_t * torch.from_numpy(w)).sum().backward()
    (out_b * w).sum().backward()
    rel_close(xb.grad, xt.grad.numpy(), rtol)
    ours_params = dict(ours.named_parameters())
    assert set(ours_params) == {name for name, _ in theirs.named_parameters()}
    for name, p in theirs.named_parameters():
        rel_close(ours_params[name].grad, p.grad.numpy(), rtol)
    return out_b, out_t
