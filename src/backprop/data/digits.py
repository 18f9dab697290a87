"""The bundled 8x8 handwritten-digits dataset (1,797 samples, 10 classes)."""

from __future__ import annotations


import numpy as np

__all__ = ["load_digits"]

_FILE = "digits.npz"
_N_SAMPLES = 1797


def load_digits(*, as_images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Load the UCI optical-recognition handwritten digits (the scikit-learn set).

    The data ship inside the package (``backprop/data/digits.npz``, 45 kB), so
    nothing is downloaded. Licence and attribution: ``DIGITS_LICENSE.txt`` next
    to it (E. Alpaydin and C. Kaynak, 1998, UCI, CC BY 4.0).

    Parameters
    ----------
    as_images : bool, default False
        ``False`` returns flat feature vectors ``(1797, 64)``; ``True`` returns
        images in channels-first layout ``(1797, 1, 8, 8)`` for convolutions.

    Returns
    -------
    X : numpy.ndarray of float32
        Pixel values in ``0..16`` (not rescaled; use ``X / 16`` or a scaler),
        shape ``(1797, 64)`` or ``(1797, 1, 8, 8)``.
    y : numpy.ndarray of int64, shape (1797,)
        Digit labels ``0..9``.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, y.shape, int(y.max())
    ((1797, 64), (1797,), 9)
    """
    from importlib import resources  # on first use: keeps `import backprop` fast

    source = resources.files(__package__).joinpath(_FILE)
    try:
        with source.open("rb") as fh, np.load(fh, allow_pickle=False) as archive:
            images = archive["images"]
            labels = archive["labels"]
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"load_digits: the bundled data file {_FILE} is missing from the installed "
            "backprop.data package; reinstall backprop (the wheel must include "
            "package-data 'data/*.npz')"
        ) from err
    if images.shape != (_N_SAMPLES, 8, 8) or labels.shape != (_N_SAMPLES,):
        raise ValueError(
            f"load_digits: bundled {_FILE} is damaged: expected images (1797, 8, 8) and "
            f"labels (1797,), got {images.shape} and {labels.shape}; reinstall backprop"
        )
    X = images.astype(np.float32)
    X = X.reshape(_N_SAMPLES, 1, 8, 8) if as_images else X.reshape(_N_SAMPLES, 64)
    return X, labels.astype(np.int64)
