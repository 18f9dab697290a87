"""``MLPRegressor``: scikit-learn's multi-layer perceptron regressor, trained by backprop."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..nn import HuberLoss, L1Loss, MSELoss
from .base import BaseMLP, store_init_params, validate_data

__all__ = ["MLPRegressor"]

#: loss name -> (loss module factory, factor that turns its value into sklearn's convention)
REGRESSION_LOSSES = {
    "squared_error": (MSELoss, 0.5),     # sklearn's "half squared error"
    "huber": (HuberLoss, 1.0),           # ½d² for |d| <= 1, |d| - ½ beyond
    "absolute_error": (L1Loss, 1.0),
}


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor with scikit-learn's API, trained by backprop.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor`; the parameters are those of
    :class:`backprop.sklearn.MLPClassifier` plus ``loss``.

    Parameters
    ----------
    loss : {'squared_error', 'huber', 'absolute_error'}, default='squared_error'
        ``'squared_error'`` is half the mean squared error (sklearn's convention),
        ``'huber'`` the Huber loss with delta 1, ``'absolute_error'`` the mean absolute error.
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, learning_rate_init, \
power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, momentum, nesterovs_momentum, \
early_stopping, validation_fraction, beta_1, beta_2, epsilon, n_iter_no_change, dropout, batch_norm, dtype
        As :class:`MLPClassifier` (early stopping monitors the validation R²).

    Attributes
    ----------
    As :class:`MLPClassifier` without ``classes_``; ``out_activation_`` is ``'identity'``
    and ``validation_scores_`` holds R² values.
    """

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, dropout=0.0, batch_norm=False, dtype=np.float32):
        store_init_params(self, locals())

    def _validate_params(self) -> None:
        if self.loss not in REGRESSION_LOSSES:
            raise ValueError(f"The 'loss' parameter must be one of {list(REGRESSION_LOSSES)}, got {self.loss!r}.")
        super()._validate_params()

    def _validate_input(self, X, y, *, reset, incremental):
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=(np.float64, np.float32),
                             reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _encode_targets(self, y, *, first_pass):
        if first_pass:
            self.out_activation_ = "identity"
        return np.ascontiguousarray(np.reshape(y, (y.shape[0], -1)), dtype=np.dtype(self.dtype))

    def _build_loss(self):
        factory, scale = REGRESSION_LOSSES[self.loss]
        self._loss_scale = scale
        return factory()

    def _score_function(self, y, prediction):
        return r2_score(y, prediction)

    def _predict_from_outputs(self, outputs):
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    def partial_fit(self, X, y, validation_data=None):
        """Train for one epoch over ``X``, ``y`` (initializing the network on the first call).

        ``validation_data=(X_val, y_val)`` is evaluated after the epoch (required when
        ``early_stopping=True``).
        """
        return self._fit(X, y, incremental=True, validation_data=validation_data)

    def predict(self, X):
        """Predicted values, shape (n_samples,) or (n_samples, n_outputs), float64."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self._predict_from_outputs(self._forward(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
