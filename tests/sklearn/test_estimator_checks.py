"""scikit-learn's own estimator contract (``check_estimator``) for both estimators."""

import pytest

pytest.importorskip("sklearn")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from backprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

#: checks expected to fail, with the reason (kept minimal: each one was seen to fail)
EXPECTED_FAILED_CHECKS = {
    "MLPClassifier": {},
    "MLPRegressor": {},
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS[type(estimator).__name__]


# max_iter=100 is what scikit-learn itself uses when it checks its MLPs.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
# The second pair runs the autograd path (batch norm, GELU/ELU, Huber) instead of the fast path.
@parametrize_with_checks([MLPClassifier(max_iter=100, random_state=0), MLPRegressor(max_iter=100, random_state=0),
                          MLPClassifier(hidden_layer_sizes=(16, 8), activation=["gelu", "tanh"], batch_norm=True,
                                        dropout=0.1, solver="adamw", max_iter=100, random_state=0),
                          MLPRegressor(loss="huber", activation="elu", batch_norm=True, solver="rmsprop",
                                       max_iter=100, random_state=0)],
                         expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_convergence_warning_class_is_sklearns():
    assert issubclass(ConvergenceWarning, UserWarning)
