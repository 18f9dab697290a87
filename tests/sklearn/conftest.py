import numpy as np
import pytest

pytest.importorskip("sklearn")


@pytest.fixture(autouse=True)
def _single_blas_thread():
    """Small matrices: one BLAS thread is faster and keeps results identical between runs."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def digits():
    from sklearn.model_selection import train_test_split

    from backprop.data import load_digits
    X, y = load_digits()
    X = X.astype(np.float64)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
