"""Embedding: lookup, accumulated gradients for repeated ids, padding_idx, errors, config."""

import json

import numpy as np
import pytest

import backprop as bp
from backprop.inspect import gradcheck
from backprop.nn.embedding import Embedding
from backprop.nn.module import layer_config
from backprop.nn.registry import build_layer

F64 = np.float64


def test_lookup_returns_rows_with_index_shape(rng):
    emb = Embedding(10, 4, rng=rng)
    idx = np.array([[1, 2, 3], [9, 0, 1]])
    out = emb(idx)
    assert out.shape == (2, 3, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out.data, emb.weight.data[idx])
    assert emb(bp.tensor(np.array([3, 3], dtype=np.int64))).shape == (2, 4)


def test_init_is_standard_normal_from_the_explicit_rng():
    state = np.random.get_state()
    a, b = Embedding(1000, 20, rng=3), Embedding(1000, 20, rng=3)
    assert np.random.get_state()[1].tolist() == state[1].tolist()
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert abs(a.weight.data.mean()) < 0.02 and abs(a.weight.data.std() - 1) < 0.02


def test_repeated_indices_accumulate_gradient(rng):
    emb = Embedding(5, 3, rng=rng, dtype=F64)
    idx = np.array([[1, 1, 4], [1, 0, 4]])
    g = rng.normal(size=(2, 3, 3))
    (emb(idx) * g).sum().backward()
    expected = np.zeros((5, 3))
    expected[1] = g[0, 0] + g[0, 1] + g[1, 0]
    expected[4] = g[0, 2] + g[1, 2]
    expected[0] = g[1, 1]
    np.testing.assert_allclose(emb.weight.grad, expected, rtol=1e-14)


def test_padding_row_starts_at_zero_and_gets_no_gradient(rng):
    emb = Embedding(6, 2, padding_idx=0, rng=rng, dtype=F64)
    np.testing.assert_array_equal(emb.weight.data[0], 0)
    (emb(np.array([0, 0, 2, 5])) * 3.0).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad[0], 0)
    np.testing.assert_array_equal(emb.weight.grad[2], 3.0)
    assert Embedding(6, 2, padding_idx=-1, rng=0).padding_idx == 5


def test_gradcheck_weight(rng):
    # (no padding_idx here: its zero gradient is a convention, not the derivative)
    emb = Embedding(4, 3, rng=rng, dtype=F64)
    idx = np.array([[0, 3, 3], [2, 1, 0]])
    assert gradcheck(lambda w: emb(idx).tanh(), [emb.weight])


@pytest.mark.parametrize("bad", [[0, 5], [-1, 2], [[7]]])
def test_out_of_range_index_is_a_clear_error(bad):
    with pytest.raises(IndexError, match=r"Embedding\(5, 2\): index -?\d+ is out of range; valid indices are 0 .. 4"):
        Embedding(5, 2, rng=0)(np.array(bad))


def test_float_indices_are_a_type_error():
    with pytest.raises(TypeError, match="integer indices"):
        Embedding(5, 2, rng=0)(np.array([0.0, 1.0]))


@pytest.mark.parametrize("kwargs", [{"num_embeddings": 0, "embedding_dim": 2},
                                    {"num_embeddings": 3, "embedding_dim": -1},
                                    {"num_embeddings": 3, "embedding_dim": 2, "padding_idx": 3}])
def test_invalid_constructor_arguments(kwargs):
    with pytest.raises(ValueError, match="Embedding"):
        Embedding(**kwargs)


def test_from_pretrained_is_frozen_by_default():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    emb = Embedding.from_pretrained(table)
    np.testing.assert_array_equal(emb([2]).data, table[[2]])
    assert not emb.weight.requires_grad
    assert Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_config_round_trip(rng):
    emb = Embedding(7, 3, padding_idx=1, rng=rng)
    rebuilt = build_layer(json.loads(json.dumps(layer_config(emb))))
    assert rebuilt.get_config() == emb.get_config()
    rebuilt.load_state_dict(emb.state_dict())
    np.testing.assert_array_equal(rebuilt([1, 2]).data, emb([1, 2]).data)
