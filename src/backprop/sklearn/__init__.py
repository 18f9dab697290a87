"""scikit-learn estimators backed by backprop: :class:`MLPClassifier`, :class:`MLPRegressor`.

Drop-in replacements for :mod:`sklearn.neural_network`'s estimators (same parameters,
defaults, fitted attributes, stopping rule and warnings), usable in ``Pipeline`` and
``GridSearchCV``, with dropout, batch normalization, per-layer activations, every backprop
optimizer and ``validation_loss_curve_``.  Needs the optional extra: ``pip install
backprop[sklearn]``.

>>> from backprop.data import load_digits
>>> from backprop.sklearn import MLPClassifier
>>> X, y = load_digits()
>>> clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=20, random_state=0).fit(X / 16, y)  # doctest: +SKIP
"""

try:
    import sklearn  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("backprop.sklearn needs scikit-learn: pip install 'backprop[sklearn]' "
                      "(or pip install scikit-learn)") from error

from .classifier import MLPClassifier
from .regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
