"""``Embedding``: a lookup table from integer ids to learned vectors (``torch.nn.Embedding``)."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from . import init as _init
from .module import Module, Parameter
from .registry import register_layer


class EmbeddingLookup(Function):
    """z = W[indices] (rows of the table);  dL/dW scatters g back, repeats accumulating.

    Notes
    -----
    A row looked up k times receives the sum of its k gradients (``np.add.at``, not
    assignment).  The row ``padding_idx`` (if any) gets no gradient, as in PyTorch.
    """

    def forward(self, weight, indices, padding_idx):
        self.indices, self.num_rows, self.padding_idx = indices, weight.shape[0], padding_idx
        return weight[indices]

    def backward(self, g):
        dim = g.shape[-1]
        flat_idx = self.indices.reshape(-1)
        flat_g = g.reshape(-1, dim)
        grad = np.zeros((self.num_rows, dim), dtype=g.dtype)
        np.add.at(grad, flat_idx, flat_g)
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return (grad,)


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, indexed by integer ids.

    Parameters
    ----------
    num_embeddings : int
        Size of the vocabulary (ids are 0 .. num_embeddings - 1).
    embedding_dim : int
    padding_idx : int, optional
        This row starts at zero and never receives a gradient (a "padding" token).
        Negative values count from the end, as in PyTorch.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, N(0, 1) like PyTorch.
    dtype : dtype

    Attributes
    ----------
    weight : Parameter, shape (num_embeddings, embedding_dim)

    Notes
    -----
    Forward: z[..., :] = W[idx[...], :], output shape ``idx.shape + (embedding_dim,)``.
    Backward: dL/dW[j] = Σ over positions with idx = j of g (zero for ``padding_idx``).
    Equivalent to one-hot(idx) @ W without building the one-hot matrix.

    Examples
    --------
    >>> from backprop.nn.embedding import Embedding
    >>> emb = Embedding(10, 3, rng=0)
    >>> emb([[1, 2], [3, 3]]).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, rng=None,
                 dtype=np.float32):
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {value!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Embedding: dtype must be a floating-point type, got {dtype}")
        self.dtype = dtype
        if padding_idx is not None:
            if not isinstance(padding_idx, (int, np.integer)) or isinstance(padding_idx, bool) \
                    or not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be an integer in [-{self.num_embeddings}, "
                                 f"{self.num_embeddings}), got {padding_idx!r}")
            padding_idx = int(padding_idx) % self.num_embeddings
        self.padding_idx = padding_idx
        weight = _init.normal((self.num_embeddings, self.embedding_dim), 0.0, 1.0, rng=rng, dtype=dtype)
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.weight = Parameter(weight)

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None) -> "Embedding":
        """An Embedding holding a copy of ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        values = np.array(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if values.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained needs a 2-D array (num_embeddings, embedding_dim), "
                             f"got shape {values.shape}")
        dtype = values.dtype if values.dtype.kind == "f" else np.float32
        layer = cls(values.shape[0], values.shape[1], padding_idx=padding_idx, rng=0, dtype=dtype)
        layer.weight.data[...] = values
        layer.weight.requires_grad = not freeze
        return layer

    def _name(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def forward(self, indices):
        data = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
        if data.dtype.kind not in "iu":
            if data.size:
                raise TypeError(f"{self._name()} expects integer indices, got dtype {data.dtype}; convert them "
                                "with .astype(np.int64)")
            data = data.astype(np.int64)  # an empty list arrives as float64
        if data.size:
            low, high = int(data.min()), int(data.max())
            if low < 0 or high >= self.num_embeddings:
                bad = low if low < 0 else high
                raise IndexError(
                    f"{self._name()}: index {bad} is out of range; valid indices are 0 .. "
                    f"{self.num_embeddings - 1} (num_embeddings={self.num_embeddings})")
        return EmbeddingLookup.apply(self.weight, indices=data, padding_idx=self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"

    def get_config(self) -> dict:
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "padding_idx": self.padding_idx, "dtype": self.dtype.name}


register_layer(Embedding)

__all__ = ["Embedding"]
