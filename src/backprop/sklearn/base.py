"""The shared machinery of :class:`MLPClassifier` and :class:`MLPRegressor`.

The training loop is written here rather than delegated to :func:`backprop.train.fit`:
scikit-learn's estimator contract needs epoch-level control that ``fit`` does not expose
in one call (sklearn's stopping rule on the epoch loss, one epoch per ``partial_fit``,
the L2 term added to the loss and to the weight gradients like sklearn, keeping the
optimizer between ``partial_fit`` calls), and the per-batch work must be as small as
possible.  Each batch is one call of :class:`backprop.fastpath.CompiledStep` (plain
stacks: Linear + relu/leaky_relu/logistic/tanh/identity + dropout, with cross-entropy,
logistic or squared-error output) or of the autograd engine (batch norm, ELU, GELU,
Huber and absolute-error losses), followed by the library's optimizer ``step``.

Conventions copied from ``sklearn/neural_network/_multilayer_perceptron.py``:

* initial weights and biases ~ U(-b, b), b = sqrt(6 / (fan_in + fan_out)) (Glorot;
  ``2`` instead of ``6`` when the activation is ``'logistic'``);
* the objective of a batch of n samples is ``loss + alpha / (2 n) * Σ ||W||²`` (weights
  only, never biases), so the weight gradient gets ``alpha * W / n`` added;
* ``loss`` is the mean log-loss (classifier; for a logistic output summed over the
  outputs), half the mean squared error (regressor, ``'squared_error'``);
* ``loss_curve_[k]`` is the sample-weighted mean of the batch objectives of epoch k;
* stop when the epoch loss (or, with ``early_stopping``, the validation score) has not
  improved by ``tol`` for more than ``n_iter_no_change`` epochs in a row.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _sk_validate_data
except ImportError:  # pragma: no cover - older scikit-learn
    _sk_validate_data = None

from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..fastpath import compile_step
from ..nn import Linear, Sequential
from ..optim import SGD, Adagrad, Adam, AdamW, RMSprop
from .network import build_network, forward_float64

__all__ = ["BaseMLP", "HIDDEN_ACTIVATIONS", "SOLVERS"]

#: hidden-layer activations: scikit-learn's four names plus the library's extras
HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu", "sigmoid", "softplus")
#: every optimizer of the library (``'sgd'`` follows sklearn: momentum + nesterovs_momentum apply)
SOLVERS = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw")
_SGD_FAMILY = ("sgd", "momentum", "nesterov")
_LEARNING_RATES = ("constant", "invscaling", "adaptive")


def validate_data(estimator, X, y="no_validation", **kwargs):
    """sklearn's ``validate_data`` (1.6+) or the older ``estimator._validate_data``."""
    if _sk_validate_data is not None:
        return _sk_validate_data(estimator, X, y, **kwargs)
    return estimator._validate_data(X, y, **kwargs)  # pragma: no cover


def store_init_params(estimator, arguments: dict) -> None:
    """Store every ``__init__`` argument unchanged as an attribute of the same name.

    Called as ``store_init_params(self, locals())`` first thing in an estimator's
    ``__init__``: scikit-learn's contract is that ``__init__`` only records its
    arguments (validation happens in ``fit``), so ``get_params``/``clone`` round-trip.
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def _check_number(name, value, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"The '{name}' parameter must be {'an int' if integer else 'a float'}, got {value!r}.")
    if low is not None and (value < low or (low_open and value == low)):
        bound = ">" if low_open else ">="
        raise ValueError(f"The '{name}' parameter must be {bound} {low}, got {value!r}.")
    if high is not None and (value > high or (high_open and value == high)):
        bound = "<" if high_open else "<="
        raise ValueError(f"The '{name}' parameter must be {bound} {high}, got {value!r}.")


def _seed_from(random_state):
    """A ``np.random.Generator`` from sklearn's random_state conventions (None, int, RandomState)."""
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        return np.random.default_rng(None if random_state is None else int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state.integers(np.iinfo(np.int32).max))
    raise ValueError(f"random_state must be None, an int, a numpy RandomState or Generator, got {random_state!r}")


#: below this many multiply-adds in a batch's largest matrix product, BLAS runs on one thread
#: while training: the products of small networks take microseconds, and waking, syncing and
#: (on a busy machine) waiting for BLAS worker threads costs more than it saves (digits with
#: sklearn's defaults, 200 x 64 x 100: 2.4x sklearn's speed on one thread, 0.7x with the
#: threads of a loaded 2-core machine).  Larger networks keep the default thread count.
SINGLE_THREAD_BELOW = 1 << 23

_controller = None


def _blas_threads_for(multiply_adds: int):
    """A context that limits BLAS to one thread for small products (no-op without threadpoolctl)."""
    global _controller
    if multiply_adds >= SINGLE_THREAD_BELOW:
        return contextlib.nullcontext()
    try:
        if _controller is None:
            from threadpoolctl import ThreadpoolController
            _controller = ThreadpoolController()
        return _controller.limit(limits=1, user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing or unable to inspect the libraries
        return contextlib.nullcontext()


class BaseMLP(BaseEstimator):
    """Base class; use :class:`MLPClassifier` or :class:`MLPRegressor`."""

    # ------------------------------------------------------------------ hooks for subclasses
    _loss_scale = 1.0   # multiplies the library loss so it equals sklearn's (set per fit)

    def _validate_input(self, X, y, *, reset, incremental):  # pragma: no cover - abstract
        raise NotImplementedError

    def _encode_targets(self, y, *, first_pass):  # pragma: no cover - abstract
        raise NotImplementedError

    def _build_loss(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_from_outputs(self, outputs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _score_function(self, y, prediction):  # pragma: no cover - abstract
        raise NotImplementedError

    def _stratify_split(self) -> bool:
        return False

    # ------------------------------------------------------------------ parameters
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, (numbers.Integral, np.integer)) and not isinstance(sizes, bool):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            raise ValueError(f"hidden_layer_sizes must be an int or a sequence of ints, got {sizes!r}") from None
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, (numbers.Integral, np.integer)) or size <= 0:
                raise ValueError(f"hidden_layer_sizes must be > 0, got {self.hidden_layer_sizes!r}.")
        return [int(size) for size in sizes]

    def _hidden_activations(self, n_hidden: int) -> list[str]:
        activation = self.activation
        names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
        if not isinstance(activation, str) and len(names) != n_hidden:
            raise ValueError(f"activation is a list of {len(names)} names but there are {n_hidden} hidden layers "
                             f"(hidden_layer_sizes={self.hidden_layer_sizes!r}); give one name per hidden layer")
        for name in names:
            if name not in HIDDEN_ACTIVATIONS:
                raise ValueError(f"The 'activation' parameter must be one of {list(HIDDEN_ACTIVATIONS)} "
                                 f"(or a list of them, one per hidden layer), got {name!r}.")
        return names

    def _validate_params(self) -> None:
        if self.solver not in SOLVERS:
            extra = " ('lbfgs' is not implemented by backprop)" if self.solver == "lbfgs" else ""
            raise ValueError(f"The 'solver' parameter must be one of {list(SOLVERS)}, got {self.solver!r}{extra}.")
        if self.learning_rate not in _LEARNING_RATES:
            raise ValueError(f"The 'learning_rate' parameter must be one of {list(_LEARNING_RATES)}, "
                             f"got {self.learning_rate!r}.")
        _check_number("alpha", self.alpha, low=0)
        _check_number("learning_rate_init", self.learning_rate_init, low=0, low_open=True)
        _check_number("power_t", self.power_t, low=0)
        _check_number("max_iter", self.max_iter, low=1, integer=True)
        _check_number("tol", self.tol, low=0)
        _check_number("momentum", self.momentum, low=0, high=1)
        _check_number("validation_fraction", self.validation_fraction, low=0, high=1, high_open=True)
        _check_number("beta_1", self.beta_1, low=0, high=1, high_open=True)
        _check_number("beta_2", self.beta_2, low=0, high=1, high_open=True)
        _check_number("epsilon", self.epsilon, low=0, low_open=True)
        _check_number("n_iter_no_change", self.n_iter_no_change, low=1, integer=True)
        _check_number("dropout", self.dropout, low=0, high=1, high_open=True)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            _check_number("batch_size", self.batch_size, low=1, integer=True)
        for name in ("shuffle", "early_stopping", "warm_start", "batch_norm", "nesterovs_momentum"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"The '{name}' parameter must be a bool, got {getattr(self, name)!r}.")
        if np.dtype(self.dtype).kind != "f":
            raise ValueError(f"The 'dtype' parameter must be a floating-point type, got {self.dtype!r}.")

    # ------------------------------------------------------------------ network
    def _build_model(self, layer_units: list[int], activations: list[str]) -> Sequential:
        return build_network(layer_units, activations, rng=self._rng, dtype=self.dtype, batch_norm=self.batch_norm,
                             dropout=self.dropout,
                             logistic_output_init=isinstance(self.activation, str) and self.activation == "logistic")

    def _linears(self) -> list:
        return [layer for layer in self.model_ if isinstance(layer, Linear)]

    @property
    def coefs_(self) -> list:
        """Weight matrices, sklearn's layout: ``coefs_[i]`` has shape (fan_in, fan_out) (views)."""
        check_is_fitted(self, "model_")
        return [layer.weight.data.T for layer in self._linears()]

    @property
    def intercepts_(self) -> list:
        """Bias vectors, ``intercepts_[i]`` of shape (fan_out,) (views of the model's parameters)."""
        check_is_fitted(self, "model_")
        return [layer.bias.data for layer in self._linears()]

    def _make_optimizer(self):
        params = list(self.model_.parameters())
        lr = float(self.learning_rate_init)
        solver = self.solver
        if solver in _SGD_FAMILY:
            nesterov = {"sgd": bool(self.nesterovs_momentum), "momentum": False, "nesterov": True}[solver]
            momentum = float(self.momentum)
            return SGD(params, lr=lr, momentum=momentum, nesterov=nesterov and momentum > 0)
        if solver == "rmsprop":
            return RMSprop(params, lr=lr, eps=float(self.epsilon))
        if solver == "adagrad":
            return Adagrad(params, lr=lr, eps=float(self.epsilon))
        betas = (float(self.beta_1), float(self.beta_2))
        if solver == "adamw":
            return AdamW(params, lr=lr, betas=betas, eps=float(self.epsilon))
        return Adam(params, lr=lr, betas=betas, eps=float(self.epsilon))

    # ------------------------------------------------------------------ forward
    def _forward(self, X: np.ndarray) -> np.ndarray:
        """Raw network outputs (logits / regression values), evaluation mode, float64."""
        return forward_float64(self.model_, X, self.dtype)

    # ------------------------------------------------------------------ training
    def _fit(self, X, y, *, incremental: bool, validation_data=None):
        self._validate_params()
        hidden = self._hidden_sizes()
        activations = self._hidden_activations(len(hidden))
        first_pass = not hasattr(self, "model_") or (not self.warm_start and not incremental)
        if incremental and self.early_stopping and validation_data is None:
            raise ValueError("partial_fit does not support early_stopping=True without validation_data=(X_val, "
                             "y_val): pass the validation data explicitly (sklearn raises here too)")

        X, y = self._validate_input(X, y, reset=first_pass, incremental=incremental)
        dtype = np.dtype(self.dtype)
        X = np.ascontiguousarray(X, dtype=dtype)
        if first_pass or not hasattr(self, "_rng") or not incremental:
            self._rng = _seed_from(self.random_state)
        targets = self._encode_targets(y, first_pass=first_pass)
        n_outputs = targets.shape[1] if targets.ndim == 2 else len(self.classes_)

        if first_pass:
            self.n_outputs_ = n_outputs
            layer_units = [X.shape[1]] + hidden + [n_outputs]
            self.n_layers_ = len(layer_units)
            self.model_ = self._build_model(layer_units, activations)
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping or validation_data is not None:
                self.validation_loss_curve_ = []
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
            else:
                self.validation_loss_curve_ = None
                self.validation_scores_ = None
                self.best_validation_score_ = None
            self.best_loss_ = None if self.early_stopping else np.inf
            self._best_state = None
        elif (self.early_stopping or validation_data is not None) and self.validation_scores_ is None:
            self.validation_loss_curve_, self.validation_scores_ = [], []
            self.best_validation_score_ = -np.inf
        if self.best_loss_ is None and not self.early_stopping:
            self.best_loss_ = np.inf

        self._loss_fn = self._build_loss()
        self._compiled = compile_step(self.model_, self._loss_fn)
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer()

        # validation data: explicit, or a split of validation_fraction (early_stopping)
        X_val = y_val = t_val = None
        if validation_data is not None:
            X_train, t_train = X, targets
            X_val, y_val = validation_data
            X_val, y_val = self._validate_input(X_val, y_val, reset=False, incremental=True)
            X_val = np.ascontiguousarray(X_val, dtype=dtype)
            t_val = self._encode_targets(y_val, first_pass=False)
        elif self.early_stopping:
            stratify = y if self._stratify_split() else None
            split_seed = int(self._rng.integers(np.iinfo(np.int32).max))
            indices = np.arange(X.shape[0])
            try:
                train_idx, val_idx = train_test_split(indices, random_state=split_seed,
                                                      test_size=self.validation_fraction, stratify=stratify)
            except ValueError:
                if stratify is None:
                    raise
                # a class too small to stratify: fall back to a plain random split
                train_idx, val_idx = train_test_split(indices, random_state=split_seed,
                                                      test_size=self.validation_fraction)
            if len(val_idx) < 2:
                raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size "
                                 "of your dataset.")
            X_train, t_train = X[train_idx], targets[train_idx]
            X_val, y_val, t_val = X[val_idx], y[val_idx], targets[val_idx]
        else:
            X_train, t_train = X, targets

        self._train_epochs(X_train, t_train, X_val, y_val, t_val, incremental=incremental)
        for layer in self._linears():
            if not (np.isfinite(layer.weight.data).all() and np.isfinite(layer.bias.data).all()):
                raise ValueError("Solver produced non-finite parameter weights. The input data may contain large "
                                 "values and need to be preprocessed (e.g. with StandardScaler), or lower "
                                 "learning_rate_init.")
        return self

    def _batch_size(self, n_samples: int) -> int:
        if isinstance(self.batch_size, str):
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
                          stacklevel=5)
        return int(np.clip(self.batch_size, 1, n_samples))

    def _step(self, X_batch, t_batch, weights) -> float:
        """One optimizer step on a batch; returns sklearn's batch objective (loss + L2 term)."""
        optimizer = self._optimizer
        optimizer.zero_grad()
        if self._compiled is not None:
            loss = self._compiled(X_batch, t_batch)
        else:
            value = self._loss_fn(self.model_(Tensor(X_batch)), t_batch)
            value.backward()
            loss = value.item()
        scale = self._loss_scale
        if scale != 1.0:
            loss *= scale
            for param in self._params:
                if param.grad is not None:
                    param.grad = param.grad * np.asarray(scale, dtype=param.grad.dtype)
        alpha = self.alpha
        if alpha:
            n = X_batch.shape[0]
            coef = np.asarray(alpha / n, dtype=X_batch.dtype)
            squares = 0.0
            for w in weights:
                data = w.data
                squares += float(np.vdot(data, data))
                w.grad = w.grad + coef * data
            loss += 0.5 * alpha * squares / n
        optimizer.step()
        return loss

    def _train_epochs(self, X, targets, X_val, y_val, t_val, *, incremental: bool) -> None:
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        largest = max(layer.in_features * layer.out_features for layer in self._linears())
        with _blas_threads_for(batch_size * largest):
            self._run_epochs(X, targets, X_val, y_val, t_val, batch_size, incremental=incremental)

    def _run_epochs(self, X, targets, X_val, y_val, t_val, batch_size, *, incremental: bool) -> None:
        n_samples = X.shape[0]
        bounds = [(start, min(start + batch_size, n_samples)) for start in range(0, n_samples, batch_size)]
        if self.batch_norm and bounds[-1][1] - bounds[-1][0] == 1:
            # batch norm needs two samples per batch for a variance: fold a lone last sample in
            if len(bounds) == 1:
                raise ValueError("batch_norm=True needs at least 2 training samples per batch, got 1 sample; "
                                 "use batch_norm=False for such tiny data")
            bounds[-2:] = [(bounds[-2][0], n_samples)]
        weights = [layer.weight for layer in self._linears()]
        self._params = list(self.model_.parameters())
        rng = self._rng
        model = self.model_
        model.train()
        sgd_family = self.solver in _SGD_FAMILY
        max_epochs = 1 if incremental else self.max_iter
        monitor = X_val is not None
        for epoch in range(max_epochs):
            if self.shuffle:
                order = rng.permutation(n_samples)
                X_epoch, t_epoch = X[order], targets[order]
            else:
                X_epoch, t_epoch = X, targets
            total = 0.0
            for start, stop in bounds:
                total += self._step(X_epoch[start:stop], t_epoch[start:stop], weights) * (stop - start)
            epoch_loss = total / n_samples
            self.n_iter_ += 1
            self.t_ += n_samples
            self.loss_curve_.append(epoch_loss)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {epoch_loss:.8f}")
            if monitor:
                outputs = self._forward(X_val)
                self.validation_loss_curve_.append(self._output_loss(outputs, t_val))
                self.validation_scores_.append(self._score_outputs(outputs, y_val))
                if self.verbose:
                    print(f"Validation loss: {self.validation_loss_curve_[-1]:.8f}, "
                          f"score: {self.validation_scores_[-1]:f}")
            self._update_no_improvement_count(epoch_loss)
            if sgd_family and self.learning_rate == "invscaling":
                lr = float(self.learning_rate_init) / (self.t_ + 1) ** self.power_t
                for group in self._optimizer.param_groups:
                    group["lr"] = lr
            if self._no_improvement_count > self.n_iter_no_change:
                what = ("Validation score" if self.early_stopping else "Training loss")
                message = f"{what} did not improve more than tol={self.tol:f} for {self.n_iter_no_change} " \
                          "consecutive epochs."
                group_lr = self._optimizer.param_groups[0]["lr"]
                if sgd_family and self.learning_rate == "adaptive" and group_lr > 1e-6:
                    for group in self._optimizer.param_groups:
                        group["lr"] = group["lr"] / 5.0
                    if self.verbose:
                        print(f"{message} Setting learning rate to {group_lr / 5.0:f}")
                    self._no_improvement_count = 0
                elif not incremental:
                    if self.verbose:
                        print(message + " Stopping.")
                    break
            if not incremental and epoch + 1 == self.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                              "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=5)
        if self.early_stopping and not incremental and self._best_state is not None:
            for param, best in zip(self._params, self._best_state):
                param.data[...] = best
            for (name, buffer), best in zip(self._buffers(), self._best_buffers):
                buffer[...] = best

    def _buffers(self):
        return [(name, buf) for name, buf in self.model_.named_buffers() if isinstance(buf, np.ndarray)] \
            if hasattr(self.model_, "named_buffers") else []

    def _update_no_improvement_count(self, epoch_loss: float) -> None:
        if self.early_stopping:
            score = self.validation_scores_[-1]
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_state = [param.data.copy() for param in self._params]
                self._best_buffers = [buf.copy() for _, buf in self._buffers()]
            return
        if self.validation_scores_:
            self.best_validation_score_ = max(self.best_validation_score_, self.validation_scores_[-1])
        if epoch_loss > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if epoch_loss < self.best_loss_:
            self.best_loss_ = epoch_loss

    def _output_loss(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """The data loss (sklearn's convention, no L2 term) of raw outputs against encoded targets."""
        dtype = np.dtype(self.dtype)
        with no_grad():
            value = self._loss_fn(Tensor(outputs.astype(dtype)), targets).item()
        return float(value) * self._loss_scale

    def _score_outputs(self, outputs, y) -> float:
        prediction = self._predict_from_outputs(outputs)
        if np.issubdtype(np.asarray(prediction).dtype, np.floating) and not np.isfinite(prediction).all():
            return np.nan
        return float(self._score_function(y, prediction))

    # ------------------------------------------------------------------ public helpers
    def fit(self, X, y, validation_data=None):
        """Fit the network to ``X``, ``y`` (up to ``max_iter`` epochs).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        validation_data : tuple (X_val, y_val), optional
            Monitored after every epoch (``validation_loss_curve_``, ``validation_scores_``).
            With ``early_stopping=True`` it replaces the ``validation_fraction`` split.

        Returns
        -------
        self
        """
        return self._fit(X, y, incremental=False, validation_data=validation_data)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags
