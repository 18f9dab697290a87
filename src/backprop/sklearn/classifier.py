"""``MLPClassifier``: scikit-learn's multi-layer perceptron classifier, trained by backprop."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..nn import BCEWithLogitsLoss, CrossEntropyLoss
from .base import BaseMLP, store_init_params, validate_data

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier with scikit-learn's API, trained by backprop.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (same parameter names,
    defaults, fitted attributes and stopping rule), plus dropout, batch normalization,
    per-layer activations, more activations and every optimizer of backprop, computed in
    float32 by default.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer (``()`` gives multinomial logistic regression).
    activation : str or list of str, default='relu'
        Hidden activation: ``'identity'``, ``'logistic'``, ``'tanh'``, ``'relu'``,
        ``'leaky_relu'``, ``'elu'``, ``'gelu'``, ``'softplus'`` (``'sigmoid'`` =
        ``'logistic'``); a list gives one per hidden layer.
    solver : str, default='adam'
        ``'sgd'`` (sklearn's: ``momentum`` and ``nesterovs_momentum`` apply),
        ``'momentum'``, ``'nesterov'``, ``'rmsprop'``, ``'adagrad'``, ``'adam'``,
        ``'adamw'`` (decoupled weight decay 0.01 on top of ``alpha``).  ``'lbfgs'`` is
        not available.
    alpha : float, default=1e-4
        L2 penalty, sklearn's convention: a batch of n samples minimises
        ``loss + alpha / (2 n) * sum(||W||²)`` over the weight matrices (not the biases).
        In weight-decay terms this is SGD weight decay ``alpha / n`` per step.
    batch_size : int or 'auto', default='auto'
        ``'auto'`` is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Schedule for the SGD family (``'sgd'``, ``'momentum'``, ``'nesterov'``), as sklearn.
    learning_rate_init : float, default=1e-3
    power_t : float, default=0.5
        Exponent of ``'invscaling'``: lr = learning_rate_init / (t_ + 1) ** power_t.
    max_iter : int, default=200
        Maximum number of epochs per ``fit``.
    shuffle : bool, default=True
    random_state : None, int or RandomState, default=None
        Seeds initialization, shuffling, dropout and the validation split.
    tol : float, default=1e-4
    verbose : bool, default=False
    warm_start : bool, default=False
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified), stop when the
        validation accuracy has not improved by ``tol`` for more than
        ``n_iter_no_change`` epochs, and keep the best weights.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam/AdamW moments and epsilon (epsilon also for RMSprop/Adagrad).  backprop's
        Adam adds epsilon to the bias-corrected RMS (PyTorch), sklearn's to the raw one.
    n_iter_no_change : int, default=10
    dropout : float, default=0.0
        Dropout probability after every hidden activation.
    batch_norm : bool, default=False
        BatchNorm1d between each hidden Linear layer and its activation.
    dtype : numpy dtype, default=np.float32
        Computation dtype of the network.

    Attributes
    ----------
    classes_ : ndarray
    n_features_in_, feature_names_in_ : int, ndarray
    n_outputs_ : int
        Output units (1 for binary problems, n_classes for multiclass, n_labels for multilabel).
    n_layers_ : int
    out_activation_ : {'softmax', 'logistic'}
    loss_curve_ : list of float
        Training objective (loss + L2 term) per epoch.
    validation_loss_curve_ : list of float or None
        Validation log-loss (no L2 term) per epoch, when a validation set is used
        (``early_stopping=True`` or ``validation_data``); None otherwise.
    validation_scores_ : list of float or None
        Validation accuracy per epoch (same condition).
    best_validation_score_ : float or None
    best_loss_ : float or None
        Lowest ``loss_curve_`` value (None with ``early_stopping``, as sklearn).
    n_iter_ : int
        Epochs trained since the network was initialized (``len(loss_curve_)``).
    t_ : int
        Training samples seen.
    coefs_, intercepts_ : list of ndarray
        sklearn layout (``coefs_[i]`` is (fan_in, fan_out)); views of the parameters.
    model_ : backprop.nn.Sequential
        The network (outputs logits).
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, dropout=0.0, batch_norm=False, dtype=np.float32):
        store_init_params(self, locals())

    # ------------------------------------------------------------------ data
    def _validate_input(self, X, y, *, reset, incremental):
        X, y = validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            binarizer = LabelBinarizer()
            binarizer.fit(y)
            if len(binarizer.classes_) < 2:
                raise ValueError(f"MLPClassifier needs samples of at least 2 classes in the data; got only one "
                                 f"class: {binarizer.classes_[0]!r}")
            self._label_binarizer = binarizer
            self.classes_ = binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError("warm_start can only be used where `y` has the same classes as in the "
                                     f"previous call to fit. Previously got {self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                                 f"'y' has {classes}.")
        return X, y

    def _encode_targets(self, y, *, first_pass):
        binarizer = self._label_binarizer
        if first_pass:
            self.out_activation_ = "softmax" if binarizer.y_type_ == "multiclass" else "logistic"
        if self.out_activation_ == "softmax":
            return np.searchsorted(self.classes_, y).astype(np.int64)
        return np.ascontiguousarray(binarizer.transform(y), dtype=np.dtype(self.dtype))

    def _build_loss(self):
        if self.out_activation_ == "softmax":
            self._loss_scale = 1.0
            return CrossEntropyLoss()
        # sklearn's binary log-loss sums over the outputs; BCEWithLogitsLoss averages over them
        self._loss_scale = float(self.n_outputs_)
        return BCEWithLogitsLoss()

    def _stratify_split(self) -> bool:
        return self._label_binarizer.y_type_ in ("binary", "multiclass")

    def _score_function(self, y, prediction):
        return accuracy_score(y, prediction)

    def _predict_from_outputs(self, outputs):
        if self.out_activation_ == "softmax":
            return self.classes_[outputs.argmax(axis=1)]
        positive = (outputs > 0).astype(int)
        if self._label_binarizer.y_type_ == "binary":
            return self.classes_[positive.ravel()]
        return self._label_binarizer.inverse_transform(positive)

    # ------------------------------------------------------------------ API
    def partial_fit(self, X, y, classes=None, validation_data=None):
        """Train for one epoch over ``X``, ``y`` (initializing the network on the first call).

        Parameters
        ----------
        X, y : array-like
        classes : array-like, optional
            All classes that will ever appear; required on the first call (as sklearn),
            ignored afterwards.
        validation_data : tuple (X_val, y_val), optional
            Evaluated after the epoch: appends to ``validation_loss_curve_`` and
            ``validation_scores_``.  Required when ``early_stopping=True``.

        Returns
        -------
        self
        """
        first_call = not hasattr(self, "classes_")
        if first_call:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                binarizer.fit(y)
            else:
                binarizer.fit(np.asarray(classes))
            if len(binarizer.classes_) < 2:
                raise ValueError("MLPClassifier needs at least 2 classes; got classes="
                                 f"{list(binarizer.classes_)!r}")
            self._label_binarizer = binarizer
            self.classes_ = binarizer.classes_
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={classes!r}` is not the same as on the first call to partial_fit, "
                             f"which was {self.classes_!r}")
        return self._fit(X, y, incremental=True, validation_data=validation_data)

    def predict(self, X):
        """Predicted class labels (``(n_samples, n_labels)`` indicators for multilabel)."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self._predict_from_outputs(self._forward(X))

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        outputs = self._forward(X)
        if self.out_activation_ == "softmax":
            outputs -= outputs.max(axis=1, keepdims=True)
            np.exp(outputs, out=outputs)
            outputs /= outputs.sum(axis=1, keepdims=True)
            return outputs
        probability = 0.5 * (1.0 + np.tanh(0.5 * outputs))  # stable logistic
        if self._label_binarizer.y_type_ == "binary":
            return np.hstack([1.0 - probability, probability])
        return probability

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba` (computed as log of the probabilities, like sklearn)."""
        probability = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(probability, out=probability)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
