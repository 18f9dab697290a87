"""``backprop explain``: the seeds' worked example, any small network, the graph."""

import ast
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import backprop as bp
from backprop import nn
from backprop.cli.explain import explain_network

from .helpers import run_subprocess

# The corrected table of the seeds' README (float64, J = ½ (y − a)², α = 0.1).
TABLE = {
    "z[1]": [0.29, 0.37],
    "a[1]": [0.57199613, 0.59145898],
    "z[2]": [0.74087345],
    "a[2]": [0.67718683],
    "loss": [0.00026022],
    "δ[2]": [-0.00498707],
    "δ[1]": [-0.00061046, -0.00072303],
    "∇W[2]": [-0.00285258, -0.00294965],
    "∇W[1]": [-0.00030523, -0.00018314, -0.00036152, -0.00021691],
    "W[2] after": [0.50028526, 0.60029496],
    "b[2] after": [0.10049871],
    "W[1] after": [0.20003052, 0.30001831, 0.10003615, 0.40002169],
    "b[1] after": [0.10006105, 0.20007230],
}

EQUATIONS = ["z[l] = W[l] a[l-1] + b[l]", "δ[L] = ∇aJ ⊙ σ'(z[L])", "δ[l] = (W[l+1])ᵀ δ[l+1] ⊙ σ'(z[l])",
             "∂J/∂W[l] = δ[l] (a[l-1])ᵀ", "∂J/∂b[l] = δ[l]", "W ← W − α ∂J/∂W"]


def test_worked_example_numbers(cli):
    status, out, err = cli("explain")
    assert status == 0, err
    assert "0.7409" in out and "z[2] = 0.7409" in out
    for quantity, values in TABLE.items():
        for value in values:
            assert f"{value:.8f}" in out, (quantity, value)
    for equation in EQUATIONS:
        assert equation in out
    for label in ("BP1", "BP2", "BP3", "BP4"):
        assert label in out
    match = re.search(r"autograd agrees: max \|difference\| = (\S+)", out)
    assert match and float(match.group(1)) <= 1e-10


def test_worked_example_arrays_match_the_table():
    ex = explain_network()
    np.testing.assert_allclose(ex.z[2], TABLE["z[2]"], atol=5e-9)
    np.testing.assert_allclose(ex.delta[1], TABLE["δ[1]"], atol=5e-9)
    np.testing.assert_allclose(ex.grad_W[1].ravel(), TABLE["∇W[1]"], atol=5e-9)
    np.testing.assert_allclose(ex.new_weights[1].ravel(), TABLE["W[1] after"], atol=5e-9)
    np.testing.assert_allclose(ex.new_biases[1], TABLE["b[1] after"], atol=5e-9)
    assert ex.loss == pytest.approx(0.00026022, abs=5e-9)
    assert ex.new_loss < ex.loss


def _independent_autograd(ex):
    """The same network built here, from backprop tensors, batch-free column-vector form."""
    L = len(ex.sizes) - 1
    W = [bp.tensor(ex.weights[l], requires_grad=True, dtype=np.float64) for l in range(1, L + 1)]
    b = [bp.tensor(ex.biases[l], requires_grad=True, dtype=np.float64) for l in range(1, L + 1)]
    a = bp.tensor(ex.x, dtype=np.float64)
    for l in range(L):
        z = W[l] @ a + b[l]
        a = z.tanh() if l < L - 1 else z
    loss = nn.CrossEntropyLoss()(a.reshape(1, -1), np.array([int(np.argmax(ex.y))]))
    loss.backward()
    return loss.item(), [w.grad for w in W], [v.grad for v in b]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_any_network_matches_autograd(seed):
    ex = explain_network([3, 4, 2], activation="tanh", loss="cross_entropy", seed=seed)
    loss, grad_W, grad_b = _independent_autograd(ex)
    assert ex.loss == pytest.approx(loss, rel=1e-12)
    for l in (1, 2):
        np.testing.assert_allclose(ex.grad_W[l], grad_W[l - 1], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(ex.grad_b[l], grad_b[l - 1], rtol=1e-10, atol=1e-14)
    assert ex.max_difference <= 1e-10


def _printed(out, name):
    """The last bracketed value on the line that defines ``name`` (e.g. ∂J/∂W[2])."""
    for line in out.splitlines():
        if line.strip().startswith(name + " ="):
            return np.array(ast.literal_eval(line.rsplit(" = ", 1)[1]))
    raise AssertionError(f"{name} not printed")


def test_printed_gradients_equal_autograd(cli):
    status, out, err = cli("explain", "--layers", "3,4,2", "--activation", "tanh", "--loss", "cross_entropy",
                           "--seed", "1")
    assert status == 0, err
    assert "autograd agrees" in out
    ex = explain_network([3, 4, 2], activation="tanh", loss="cross_entropy", seed=1)
    loss, grad_W, grad_b = _independent_autograd(ex)
    for l in (1, 2):
        np.testing.assert_allclose(_printed(out, f"∂J/∂W[{l}]"), grad_W[l - 1], atol=1e-8)
        np.testing.assert_allclose(_printed(out, f"∂J/∂b[{l}]"), grad_b[l - 1], atol=1e-8)


@pytest.mark.parametrize("argv", [
    ["--loss", "bce"],
    ["--activation", "relu", "--layers", "2,5,3,1", "--seed", "4"],
    ["--layers", "2,3,1", "--input", "1,-1", "--target", "1", "--loss", "bce", "--lr", "0.5"],
    ["--activation", "leaky_relu", "--output-activation", "identity", "--layers", "3,3,2"],
    ["--ascii"],
])
def test_variants_agree_with_autograd(cli, argv):
    status, out, err = cli("explain", *argv)
    assert status == 0, err
    assert "autograd agrees" in out


def test_ascii_output_has_no_greek(cli):
    status, out, err = cli("explain", "--ascii")
    assert status == 0
    assert "delta[2]" in out and "δ" not in out and "0.7409" in out
    out.encode("ascii")


@pytest.mark.parametrize("argv, fragment", [
    (["--layers", "3"], "--layers"),
    (["--layers", "2,2,1", "--input", "1,2,3"], "--input"),
    (["--layers", "2,3", "--loss", "cross_entropy", "--target", "7"], "--target"),
    (["--activation", "nope"], "activation"),
    (["--lr", "0"], "--lr"),
])
def test_bad_arguments(cli, argv, fragment):
    status, out, err = cli("explain", *argv)
    assert status == 2
    line, = err.strip().splitlines()
    assert line.startswith("backprop: error:") and fragment in line


def test_graph_svg_is_xml(cli, tmp_path):
    path = tmp_path / "graph.svg"
    status, out, err = cli("explain", "--graph", path)
    assert status == 0, err
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = path.read_text()
    for name in ("W[1]", "b[2]", "z[2]", "J"):
        assert name in text


def test_python_dash_m_explain_subprocess():
    result = run_subprocess("-m", "backprop", "explain")
    assert result.returncode == 0, result.stderr
    assert "z[2] = 0.7409" in result.stdout and "autograd agrees" in result.stdout
