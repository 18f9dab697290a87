"""backprop.sklearn.MLPClassifier vs sklearn.neural_network.MLPClassifier on digits.

Both with scikit-learn's default settings (hidden_layer_sizes=(100,), relu, adam,
alpha=1e-4, batch_size=min(200, n), learning_rate_init=1e-3, max_iter=200, tol=1e-4,
n_iter_no_change=10) on the same stratified 75/25 split of the raw 0..16 pixels, for a few
random_state values.  Prints test accuracy and fit time (median of 3 fits) of each.

Run:  PYTHONPATH=src python benchmarks/sklearn_digits.py [--threads N] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--repeats", type=int, default=3, help="fits per seed; the median time is reported")
    parser.add_argument("--threads", type=int, default=None, help="limit BLAS threads (threadpoolctl)")
    args = parser.parse_args()

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SklearnMLP

    from backprop.data import load_digits
    from backprop.sklearn import MLPClassifier as BackpropMLP

    X, y = load_digits()
    X = X.astype(np.float64)  # what a scikit-learn user passes
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)

    limiter = None
    if args.threads is not None:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(args.threads)

    print(f"digits: {len(X_train)} train / {len(X_test)} test, BLAS threads: {args.threads or 'default'}")
    print(f"{'estimator':<10} {'seed':>4} {'accuracy':>9} {'n_iter_':>8} {'fit s (median)':>15}")
    summary = {}
    for name, cls in (("backprop", BackpropMLP), ("sklearn", SklearnMLP)):
        accuracies, times = [], []
        for seed in args.seeds:
            seconds = []
            for _ in range(args.repeats):
                model = cls(random_state=seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    start = time.perf_counter()
                    model.fit(X_train, y_train)
                    seconds.append(time.perf_counter() - start)
            accuracy = model.score(X_test, y_test)
            accuracies.append(accuracy)
            times.append(statistics.median(seconds))
            print(f"{name:<10} {seed:>4} {accuracy:>9.4f} {model.n_iter_:>8} {times[-1]:>15.3f}")
        summary[name] = (float(np.mean(accuracies)), float(np.median(times)))
    print()
    for name, (accuracy, seconds) in summary.items():
        print(f"{name:<10} mean accuracy {accuracy:.4f}   median fit time {seconds:.3f} s")
    ratio = summary["sklearn"][1] / summary["backprop"][1]
    print(f"backprop is {ratio:.2f}x the speed of scikit-learn")
    if limiter is not None:
        limiter.restore_original_limits()


if __name__ == "__main__":
    main()
