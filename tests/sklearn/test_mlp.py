"""Behaviour of backprop.sklearn.MLPClassifier / MLPRegressor beyond sklearn's own checks."""

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from backprop import nn  # noqa: E402
from backprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

SOLVERS = ["sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw"]


def blobs(n=240, n_features=5, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(n_classes, n_features))
    y = rng.integers(0, n_classes, size=n)
    X = centers[y] + rng.normal(size=(n, n_features))
    return X, y


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args, **kwargs)


# ------------------------------------------------------------------ integration with sklearn tools
def test_grid_search_on_digits(digits):
    X_train, X_test, y_train, y_test = digits
    grid = GridSearchCV(MLPClassifier(max_iter=40, random_state=0),
                        {"hidden_layer_sizes": [(32,), (64,)], "alpha": [1e-4, 1e-1]}, cv=3)
    quiet(grid.fit, X_train / 16, y_train)
    assert grid.best_params_["hidden_layer_sizes"] in [(32,), (64,)]
    assert isinstance(grid.best_estimator_, MLPClassifier)
    assert grid.best_estimator_.score(X_test / 16, y_test) > 0.9


def test_pipeline_with_scaler(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier(hidden_layer_sizes=(64,), max_iter=50,
                                                                         random_state=0))])
    quiet(pipe.fit, X_train, y_train)
    assert pipe.score(X_test, y_test) > 0.9
    assert pipe.predict_proba(X_test).shape == (len(X_test), 10)
    pipe.set_params(mlp__alpha=0.01)
    assert pipe.named_steps["mlp"].alpha == 0.01


def test_accuracy_at_least_sklearns_with_default_settings(digits):
    """The benchmark's accuracy half (timing lives in benchmarks/sklearn_digits.py)."""
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    X_train, X_test, y_train, y_test = digits
    ours, theirs = [], []
    for seed in (0, 1, 2):
        ours.append(quiet(MLPClassifier(random_state=seed).fit, X_train, y_train).score(X_test, y_test))
        theirs.append(quiet(SklearnMLP(random_state=seed).fit, X_train, y_train).score(X_test, y_test))
    assert np.mean(ours) >= np.mean(theirs), (ours, theirs)
    assert min(ours) > 0.95


# ------------------------------------------------------------------ curves, stopping, warnings
def test_curves_have_length_n_iter_with_early_stopping():
    X, y = blobs(400)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(16,), early_stopping=True, validation_fraction=0.2,
                              n_iter_no_change=3, max_iter=300, random_state=0).fit, X, y)
    assert len(clf.loss_curve_) == clf.n_iter_
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None  # sklearn: no best training loss under early stopping
    assert all(np.isfinite(clf.validation_loss_curve_)) and all(v >= 0 for v in clf.validation_loss_curve_)
    assert clf.n_iter_ < 300  # stopped early
    # the validation loss is the log-loss of the held-out predictions: it falls while learning
    assert clf.validation_loss_curve_[-1] < clf.validation_loss_curve_[0]


def test_early_stopping_restores_best_weights():
    X, y = blobs(300)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, n_iter_no_change=2, max_iter=100,
                              learning_rate_init=0.05, random_state=3).fit, X, y)
    assert clf.best_validation_score_ == max(clf.validation_scores_)


def test_no_validation_curves_without_validation():
    X, y = blobs()
    clf = quiet(MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit, X, y)
    assert clf.validation_loss_curve_ is None and clf.validation_scores_ is None
    assert clf.best_validation_score_ is None
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert len(clf.loss_curve_) == clf.n_iter_ == 20
    assert clf.t_ == 20 * len(X)


def test_fit_with_validation_data_records_curves():
    X, y = blobs(300)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(8,), max_iter=15, random_state=0).fit, X[:200], y[:200],
                validation_data=(X[200:], y[200:]))
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == clf.n_iter_ == 15
    assert clf.validation_scores_[-1] == pytest.approx(clf.score(X[200:], y[200:]))


def test_convergence_warning_when_max_iter_reached():
    X, y = blobs()
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\)"):
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y)


def test_stopping_rule_matches_sklearn():
    """Huge tol: the loss never improves by tol, so both stop after n_iter_no_change + 2 epochs."""
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    X, y = blobs()
    params = dict(hidden_layer_sizes=(8,), tol=1e6, n_iter_no_change=3, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = MLPClassifier(**params).fit(X, y)
        theirs = SklearnMLP(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 5


# ------------------------------------------------------------------ sklearn's loss and L2 conventions
def _sklearn_twin(ours, sk_cls, X, y, **params):
    """An sklearn MLP holding ``ours``'s current weights (float64)."""
    twin = sk_cls(**params)
    fit_kwargs = {"classes": ours.classes_} if hasattr(ours, "classes_") else {}
    quiet(twin.partial_fit, X, y, **fit_kwargs)
    twin.coefs_ = [c.astype(np.float64) for c in ours.coefs_]
    twin.intercepts_ = [b.astype(np.float64) for b in ours.intercepts_]
    twin._optimizer.params = twin.coefs_ + twin.intercepts_  # sklearn's optimizer holds the arrays
    return twin


@pytest.mark.parametrize("kind", ["multiclass", "binary", "regression"])
def test_one_sgd_step_equals_sklearns(kind):
    """Same weights, one full-batch plain SGD step: same loss (with alpha term) and same new weights."""
    from sklearn.neural_network import MLPClassifier as SkC
    from sklearn.neural_network import MLPRegressor as SkR
    X, y = blobs(60, n_classes=2 if kind == "binary" else 3)
    params = dict(hidden_layer_sizes=(7, 5), activation="tanh", solver="sgd", momentum=0.0, alpha=0.3,
                  learning_rate_init=0.1, batch_size=60, shuffle=False, random_state=0)
    if kind == "regression":
        y = X[:, 0] - 2 * X[:, 1]
        ours, sk_cls = MLPRegressor(dtype=np.float64, **params), SkR
        ours.partial_fit(X, y)
    else:
        ours, sk_cls = MLPClassifier(dtype=np.float64, **params), SkC
        ours.partial_fit(X, y, classes=np.unique(y))
    twin = _sklearn_twin(ours, sk_cls, X, y, **params)
    ours.partial_fit(X, y)
    quiet(twin.partial_fit, X, y)
    assert ours.loss_curve_[-1] == pytest.approx(twin.loss_curve_[-1], rel=1e-10)
    for mine, theirs in zip(ours.coefs_ + ours.intercepts_, twin.coefs_ + twin.intercepts_):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ partial_fit
def test_partial_fit_with_classes():
    X, y = blobs(300)
    clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X[:50], y[:50])
    first = y[:50] != 2  # the first chunk lacks class 2
    clf.partial_fit(X[:50][first], y[:50][first], classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (300, 3)
    for epoch in range(20):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 21 == len(clf.loss_curve_)
    assert clf.loss_curve_[-1] < clf.loss_curve_[1]
    assert clf.score(X, y) > 0.9
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, np.full(len(y), 7))


def test_partial_fit_validation_monitoring():
    X, y = blobs(300)
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    for _ in range(4):
        clf.partial_fit(X[:200], y[:200], classes=[0, 1, 2], validation_data=(X[200:], y[200:]))
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == clf.n_iter_ == 4
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    reg = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    reg.partial_fit(X[:200], X[:200, 0], validation_data=(X[200:], X[200:, 0]))
    assert len(reg.validation_loss_curve_) == 1


def test_warm_start_continues():
    X, y = blobs()
    clf = quiet(MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, warm_start=True, random_state=0).fit, X, y)
    model = clf.model_
    quiet(clf.fit, X, y)
    assert clf.model_ is model and clf.n_iter_ == 10 == len(clf.loss_curve_)
    with pytest.raises(ValueError, match="warm_start"):
        clf.fit(X[y != 2], y[y != 2])


# ------------------------------------------------------------------ labels and outputs
def test_string_labels_round_trip():
    X, y = blobs(200)
    names = np.array(["bird", "cat", "dog"])[y]
    clf = quiet(MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01, random_state=0).fit,
                X, names)
    np.testing.assert_array_equal(clf.classes_, ["bird", "cat", "dog"])
    predicted = clf.predict(X)
    assert predicted.dtype.kind == "U" and set(predicted) <= {"bird", "cat", "dog"}
    assert np.mean(predicted == names) > 0.9
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], predicted)


def test_binary_string_labels_have_two_probability_columns():
    X, y = blobs(200, n_classes=2)
    labels = np.array(["no", "yes"])[y]
    clf = quiet(MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, learning_rate_init=0.01, random_state=0).fit,
                X, labels)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    assert np.mean(clf.predict(X) == labels) > 0.9


def test_multilabel():
    X, y = blobs(300)
    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01, random_state=0).fit,
                X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 3
    assert clf.predict(X).shape == (300, 3) and clf.predict_proba(X).shape == (300, 3)
    assert clf.score(X, Y) > 0.7  # subset accuracy


def test_fitted_attributes_layout():
    X, y = blobs(100, n_features=5)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(7, 4), max_iter=3, random_state=0).fit, X, y)
    assert [c.shape for c in clf.coefs_] == [(5, 7), (7, 4), (4, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (4,), (3,)]
    assert clf.n_layers_ == 4 and clf.n_features_in_ == 5 and clf.n_outputs_ == 3
    assert clf.out_activation_ == "softmax"
    assert isinstance(clf.model_, nn.Sequential)
    assert clf.coefs_[0].dtype == np.float32
    # coefs_ are views of the network's weights
    np.testing.assert_array_equal(clf.coefs_[0], clf.model_[0].weight.data.T)


# ------------------------------------------------------------------ params
def test_get_set_params_and_clone():
    clf = MLPClassifier(hidden_layer_sizes=(5, 3), activation=["relu", "tanh"], solver="rmsprop", dropout=0.2)
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (5, 3) and params["solver"] == "rmsprop"
    assert params["dtype"] is np.float32 and params["batch_norm"] is False
    assert clf.set_params(alpha=0.5, batch_norm=True) is clf
    assert clf.alpha == 0.5 and clf.batch_norm
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and twin is not clf
    assert not hasattr(twin, "model_")
    reg = MLPRegressor(loss="huber")
    assert clone(reg).get_params()["loss"] == "huber"


def test_invalid_parameters_raise_at_fit_not_init():
    X, y = blobs(50)
    for bad in [dict(solver="lbfgs"), dict(solver="bogus"), dict(activation="swish"), dict(alpha=-1),
                dict(hidden_layer_sizes=(0,)), dict(activation=["relu"], hidden_layer_sizes=(4, 4)),
                dict(dropout=1.0), dict(learning_rate="cyclic"), dict(max_iter=0), dict(batch_size=0)]:
        clf = MLPClassifier(**bad)  # no validation in __init__
        with pytest.raises(ValueError):
            clf.fit(X, y)
    with pytest.raises(ValueError, match="loss"):
        MLPRegressor(loss="poisson").fit(X, X[:, 0])
    with pytest.raises(ValueError, match="2 classes"):
        MLPClassifier().fit(X, np.zeros(len(X)))


def test_deterministic_with_random_state():
    X, y = blobs()
    params = dict(hidden_layer_sizes=(16,), dropout=0.1, max_iter=10, random_state=7)
    a = quiet(MLPClassifier(**params).fit, X, y)
    b = quiet(MLPClassifier(**params).fit, X, y)
    c = quiet(MLPClassifier(**{**params, "random_state": 8}).fit, X, y)
    assert a.loss_curve_ == b.loss_curve_
    for wa, wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


# ------------------------------------------------------------------ what users asked sklearn for
@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_learns(solver):
    X, y = blobs(240)
    lr = {"sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05}.get(solver, 0.01)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(16,), solver=solver, learning_rate_init=lr, max_iter=60,
                              random_state=0).fit, X, y)
    assert clf.score(X, y) > 0.9


def test_per_layer_activations_dropout_batch_norm(digits):
    X_train, X_test, y_train, y_test = digits
    clf = MLPClassifier(hidden_layer_sizes=(64, 32), activation=["leaky_relu", "gelu"], dropout=0.1,
                        batch_norm=True, max_iter=25, learning_rate_init=0.01, random_state=0)
    quiet(clf.fit, X_train / 16, y_train)
    kinds = [type(layer).__name__ for layer in clf.model_]
    assert kinds == ["Linear", "BatchNorm1d", "LeakyReLU", "Dropout", "Linear", "BatchNorm1d", "GELU", "Dropout",
                     "Linear"]
    assert clf.score(X_test / 16, y_test) > 0.9
    # predictions use evaluation mode: no dropout, running statistics
    np.testing.assert_array_equal(clf.predict_proba(X_test[:5] / 16), clf.predict_proba(X_test[:5] / 16))


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu"])
def test_activation_names(activation):
    X, y = blobs(200)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(16,), activation=activation, learning_rate_init=0.01,
                              max_iter=60, random_state=0).fit, X, y)
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("loss", ["squared_error", "huber", "absolute_error"])
def test_regressor_losses(loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=300)
    reg = quiet(MLPRegressor(loss=loss, hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=150,
                             random_state=0).fit, X, y)
    assert reg.out_activation_ == "identity"
    assert reg.predict(X).shape == (300,)
    assert reg.score(X, y) > 0.9


def test_regressor_multi_output_and_early_stopping():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    Y = np.column_stack([X[:, 0] + X[:, 1], X[:, 2] ** 2])
    reg = quiet(MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=200, early_stopping=True,
                             random_state=0).fit, X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (300, 2)
    assert len(reg.validation_loss_curve_) == len(reg.loss_curve_) == reg.n_iter_
    assert reg.score(X, Y) > 0.8


def test_float64_dtype():
    X, y = blobs(100)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, dtype=np.float64, random_state=0).fit, X, y)
    assert clf.coefs_[0].dtype == np.float64


def test_pickle_round_trip():
    import pickle
    X, y = blobs(100)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit, X, y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_batch_norm_with_a_lone_last_sample():
    X, y = blobs(201)  # batches of 200 and 1: the single sample joins the previous batch
    clf = quiet(MLPClassifier(hidden_layer_sizes=(8,), batch_norm=True, max_iter=3, random_state=0).fit, X, y)
    assert clf.n_iter_ == 3
    with pytest.raises(ValueError, match="batch_norm"):
        MLPRegressor(batch_norm=True).fit(X[:1], X[:1, 0])


def test_no_hidden_layer_is_logistic_regression():
    X, y = blobs(200)
    clf = quiet(MLPClassifier(hidden_layer_sizes=(), learning_rate_init=0.05, max_iter=50, random_state=0).fit,
                X, y)
    assert [c.shape for c in clf.coefs_] == [(5, 3)]
    assert clf.score(X, y) > 0.9
