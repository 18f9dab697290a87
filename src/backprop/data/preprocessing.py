"""Feature scaling and label encoding.

Scalers treat axis 0 as samples and every other axis as features, so they work
on tables ``(n_samples, n_features)`` and on images ``(n_samples, C, H, W)``
(per-pixel statistics) alike. Statistics are computed in float64; outputs keep a
floating input's dtype and turn integer input into float32.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array, check_int, check_no_nan

__all__ = ["Standardizer", "MinMaxScaler", "one_hot"]


def _out_dtype(x: np.ndarray):
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32


class _Scaler:
    """Shared fit/transform plumbing; subclasses define ``_fit_stats`` and the state keys."""

    _state_keys: tuple[str, ...] = ()

    def __init__(self):
        self.n_features_shape_: tuple[int, ...] | None = None

    @property
    def _name(self) -> str:
        return type(self).__name__

    def _check(self, X, method: str) -> np.ndarray:
        where = f"{self._name}.{method}"
        x = check_array(X, "X", where)
        check_no_nan(x, "X", where, allow_inf=False)
        return x

    def _check_fitted(self, x: np.ndarray, method: str) -> None:
        if self.n_features_shape_ is None:
            raise ValueError(
                f"{self._name}.{method}: this {self._name} is not fitted yet; call "
                "fit(X_train) (or fit_transform) first"
            )
        if x.shape[1:] != self.n_features_shape_:
            raise ValueError(
                f"{self._name}.{method}: X has feature shape {x.shape[1:]} but the scaler "
                f"was fitted on feature shape {self.n_features_shape_}; pass data with "
                "the same columns as the training data"
            )

    def fit(self, X):
        """Compute the statistics of ``X`` (samples along axis 0). Returns ``self``."""
        x = self._check(X, "fit").astype(np.float64)
        self._fit_stats(x)
        self.n_features_shape_ = x.shape[1:]
        return self

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def state_dict(self) -> dict:
        """Return the fitted statistics as JSON-serialisable nested lists.

        ``json.dumps(scaler.state_dict())`` works; floats round-trip exactly.
        Rebuild with ``type(scaler).from_state(state)``.
        """
        if self.n_features_shape_ is None:
            raise ValueError(f"{self._name}.state_dict: the scaler is not fitted yet; call fit first")
        state = {"type": self._name}
        for key in self._state_keys:
            state[key] = np.asarray(getattr(self, key)).tolist()
        return state

    @classmethod
    def from_state(cls, state: dict):
        """Rebuild a fitted scaler from :meth:`state_dict` output (lists or arrays)."""
        name = cls.__name__
        if not isinstance(state, dict):
            raise TypeError(f"{name}.from_state: state must be a dict, got {type(state).__name__}")
        if state.get("type", name) != name:
            raise ValueError(
                f"{name}.from_state: state was saved by {state['type']!r}, not {name!r}; "
                f"use {state['type']}.from_state"
            )
        missing = [k for k in cls._state_keys if k not in state]
        if missing:
            raise ValueError(f"{name}.from_state: state is missing key(s) {missing}")
        scaler = cls.__new__(cls)
        scaler._restore(state)
        return scaler


class Standardizer(_Scaler):
    """Scale each feature to zero mean and unit variance: ``(X - mean) / std``.

    ``std`` is the population standard deviation (``ddof=0``). A constant
    feature (every value equal) keeps ``std = 1``, so it is centred but not
    divided by zero.

    Attributes
    ----------
    mean_ : numpy.ndarray of float64, shape ``X.shape[1:]``
    scale_ : numpy.ndarray of float64, shape ``X.shape[1:]``
        The standard deviation, with 1 for constant features.

    Examples
    --------
    >>> s = Standardizer()
    >>> s.fit_transform(np.array([[1.0, 5.0], [3.0, 5.0]])).tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """

    _state_keys = ("mean_", "scale_")

    def __init__(self):
        super().__init__()
        self.mean_ = None
        self.scale_ = None

    def _fit_stats(self, x: np.ndarray) -> None:
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        # Exactly constant columns (max == min); a float-rounding std test would
        # misfire on columns that are merely small in scale.
        constant = x.max(axis=0) == x.min(axis=0)
        self.scale_ = np.where(constant, 1.0, std)

    def _restore(self, state: dict) -> None:
        self.mean_ = np.asarray(state["mean_"], dtype=np.float64)
        self.scale_ = np.asarray(state["scale_"], dtype=np.float64)
        if self.mean_.shape != self.scale_.shape or not (self.scale_ > 0).all():
            raise ValueError(
                "Standardizer.from_state: mean_ and scale_ must have the same shape and "
                f"scale_ must be > 0, got shapes {self.mean_.shape} and {self.scale_.shape}"
            )
        self.n_features_shape_ = self.mean_.shape

    def transform(self, X):
        """Return ``(X - mean_) / scale_``."""
        x = self._check(X, "transform")
        self._check_fitted(x, "transform")
        return ((x - self.mean_) / self.scale_).astype(_out_dtype(x))

    def inverse_transform(self, X):
        """Return ``X * scale_ + mean_`` (undoes :meth:`transform`)."""
        x = self._check(X, "inverse_transform")
        self._check_fitted(x, "inverse_transform")
        return (x * self.scale_ + self.mean_).astype(_out_dtype(x))


class MinMaxScaler(_Scaler):
    """Scale each feature linearly so its training minimum and maximum map to ``feature_range``.

    ``X' = low + (X - data_min) * (high - low) / (data_max - data_min)``. A
    constant feature keeps a range of 1, so it maps to ``low``. New data outside
    the training range is not clipped.

    Parameters
    ----------
    feature_range : tuple of float, default (0.0, 1.0)
        ``(low, high)`` with ``low < high``.

    Attributes
    ----------
    data_min_, data_max_ : numpy.ndarray of float64, shape ``X.shape[1:]``
    """

    _state_keys = ("data_min_", "data_max_", "feature_range")

    def __init__(self, feature_range=(0.0, 1.0)):
        super().__init__()
        low, high = (float(v) for v in feature_range)
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(
                f"MinMaxScaler: feature_range must be finite (low, high) with low < high, "
                f"got {feature_range}"
            )
        self.feature_range = (low, high)
        self.data_min_ = None
        self.data_max_ = None

    def _fit_stats(self, x: np.ndarray) -> None:
        self.data_min_ = x.min(axis=0)
        self.data_max_ = x.max(axis=0)

    def _restore(self, state: dict) -> None:
        self.__init__(tuple(state["feature_range"]))
        self.data_min_ = np.asarray(state["data_min_"], dtype=np.float64)
        self.data_max_ = np.asarray(state["data_max_"], dtype=np.float64)
        if self.data_min_.shape != self.data_max_.shape or (self.data_max_ < self.data_min_).any():
            raise ValueError(
                "MinMaxScaler.from_state: data_min_ and data_max_ must have the same shape "
                "and data_min_ <= data_max_"
            )
        self.n_features_shape_ = self.data_min_.shape

    def _range(self) -> np.ndarray:
        span = self.data_max_ - self.data_min_
        return np.where(span == 0, 1.0, span)

    def transform(self, X):
        """Map the training ``[data_min_, data_max_]`` onto ``feature_range``."""
        x = self._check(X, "transform")
        self._check_fitted(x, "transform")
        low, high = self.feature_range
        out = low + (x - self.data_min_) * ((high - low) / self._range())
        return out.astype(_out_dtype(x))

    def inverse_transform(self, X):
        """Undo :meth:`transform`."""
        x = self._check(X, "inverse_transform")
        self._check_fitted(x, "inverse_transform")
        low, high = self.feature_range
        out = (x - low) * (self._range() / (high - low)) + self.data_min_
        return out.astype(_out_dtype(x))


def one_hot(y, n_classes: int | None = None, dtype=np.float32) -> np.ndarray:
    """Encode integer class labels as one-hot rows.

    Parameters
    ----------
    y : array-like of int, shape (n_samples,)
        Labels in ``0..n_classes-1``.
    n_classes : int, optional
        Number of columns; default ``max(y) + 1``.
    dtype : numpy dtype, default float32

    Returns
    -------
    numpy.ndarray, shape (n_samples, n_classes)
        ``out[i, y[i]] = 1``, every other entry 0.

    Examples
    --------
    >>> one_hot([2, 0], n_classes=3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"one_hot: y must be 1-D (n_samples,), got shape {labels.shape}")
    if labels.size and not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == np.bool_):
        if np.issubdtype(labels.dtype, np.floating) and np.isfinite(labels).all() and (labels == np.round(labels)).all():
            labels = labels.astype(np.int64)
        else:
            raise ValueError(
                f"one_hot: y must hold integer class labels, got dtype {labels.dtype}"
                " (with non-integer, NaN or Inf values); map labels to 0..k-1 first"
            )
    labels = labels.astype(np.int64)
    if n_classes is None:
        if labels.size == 0:
            raise ValueError("one_hot: y is empty, so n_classes cannot be inferred; pass n_classes")
        n_classes = int(labels.max()) + 1
    n_classes = check_int(n_classes, "n_classes", "one_hot")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)][0]
        raise ValueError(
            f"one_hot: labels must be in 0..{n_classes - 1} (n_classes={n_classes}), found {bad}"
        )
    out = np.zeros((labels.size, n_classes), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out
