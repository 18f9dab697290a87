"""Synthetic generators: shapes, geometry at noise=0, determinism, no global RNG use."""

import numpy as np
import pytest

from backprop.data import SYNTHETIC, circles, gaussian_blobs, moons, sine, spirals, xor

@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_shapes_and_dtypes(name):
    X, y = SYNTHETIC[name](n_samples=50, rng=0)
    assert X.dtype == np.float32 and X.shape[0] == 50 and X.ndim == 2
    if name == "sine":
        assert X.shape == (50, 1) and y.shape == (50, 1) and y.dtype == np.float32
    else:
        assert y.shape == (50,) and y.dtype == np.int64
        assert X.shape == (50, 2)


def test_registry_lists_every_generator():
    assert SYNTHETIC == {
        "xor": xor, "moons": moons, "circles": circles, "spirals": spirals,
        "gaussian_blobs": gaussian_blobs, "sine": sine,
    }


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_same_seed_same_data_different_seed_different_data(name):
    gen = SYNTHETIC[name]
    X1, y1 = gen(n_samples=40, rng=7)
    X2, y2 = gen(n_samples=40, rng=7)
    X3, _ = gen(n_samples=40, rng=8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    # A Generator with the same seed gives the same data as the int seed.
    X4, y4 = gen(n_samples=40, rng=np.random.default_rng(7))
    assert np.array_equal(X1, X4) and np.array_equal(y1, y4)


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_generator_is_advanced_not_copied(name):
    rng = np.random.default_rng(3)
    X1, _ = SYNTHETIC[name](n_samples=30, rng=rng)
    X2, _ = SYNTHETIC[name](n_samples=30, rng=rng)
    assert not np.array_equal(X1, X2)


def test_global_numpy_random_state_untouched():
    np.random.seed(12345)
    before = np.random.get_state()
    for gen in SYNTHETIC.values():
        gen(n_samples=20, rng=None)
        gen(n_samples=20, rng=1)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


@pytest.mark.parametrize("name, expected", [
    # 11 samples over 2 classes -> 6/5; over 3 classes -> 4/4/3 (first classes get the extra).
    # (xor is left out: its labels follow the sampled points.)
    ("moons", [6, 5]), ("circles", [6, 5]), ("spirals", [4, 4, 3]), ("gaussian_blobs", [4, 4, 3]),
])
def test_classes_are_balanced(name, expected):
    _, y = SYNTHETIC[name](n_samples=11, rng=0)
    assert np.bincount(y).tolist() == expected


def test_xor_labels_follow_sign_rule():
    X, y = xor(500, noise=0.0, rng=0)
    assert np.all(np.abs(X) <= 1)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    # Roughly half the square has each label.
    assert 0.4 < y.mean() < 0.6


def test_moons_points_lie_on_their_half_circles():
    X, y = moons(101, noise=0.0, rng=0)
    upper, lower = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    assert np.all(upper[:, 1] >= -1e-6)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    assert np.all(lower[:, 1] <= 0.5 + 1e-6)


def test_circles_radii():
    X, y = circles(80, noise=0.0, factor=0.3, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0, atol=1e-6)
    assert np.allclose(r[y == 1], 0.3, atol=1e-6)


def test_noise_is_gaussian_with_given_std():
    X, y = circles(20000, noise=0.1, factor=0.5, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    # Radial error of isotropic noise has std ~ noise (for noise << radius).
    assert abs(np.std(r[y == 0] - 1.0) - 0.1) < 0.01


def test_spiral_arms_are_rotations_of_each_other():
    n_classes = 4
    X, y = spirals(200, n_classes=n_classes, noise=0.0, rng=0)
    X = X.astype(np.float64)
    # Radii of each arm are evenly spaced 1/m, 2/m, ..., 1.
    for k in range(n_classes):
        r = np.sort(np.hypot(*X[y == k].T))
        assert np.allclose(r, np.arange(1, 51) / 50, atol=1e-6)
    angle = 2 * np.pi / n_classes
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])

    def by_radius(points):
        return points[np.argsort(np.hypot(*points.T))]

    arm0, arm1 = by_radius(X[y == 0]), by_radius(X[y == 1])
    assert np.allclose(arm0 @ rotation.T, arm1, atol=1e-5)


def test_blobs_with_given_centers():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, -5.0]])
    X, y = gaussian_blobs(4000, n_classes=2, n_features=3, noise=0.5, centers=centers, rng=0)
    assert X.shape == (4000, 3)
    for k in range(2):
        members = X[y == k]
        assert np.allclose(members.mean(axis=0), centers[k], atol=0.05)  # 4 * 0.5 / sqrt(2000)
        assert np.allclose(members.std(axis=0), 0.5, atol=0.03)


def test_blobs_random_centers_inside_box_and_zero_noise_gives_centers():
    X, y = gaussian_blobs(30, n_classes=3, n_features=5, noise=0.0, center_box=(2.0, 3.0), rng=0)
    for k in range(3):
        members = X[y == k]
        assert np.all(members == members[0])  # every sample sits on its centre
        assert np.all((members[0] >= 2.0) & (members[0] <= 3.0))


def test_sine_exact_without_noise_and_noise_level():
    X, y = sine(300, noise=0.0, x_range=(-2.0, 2.0), rng=0)
    assert np.all((X >= -2.0) & (X <= 2.0))
    assert np.allclose(y, np.sin(X.astype(np.float64)), atol=1e-6)
    X, y = sine(20000, noise=0.2, rng=0)
    assert abs(np.std(y - np.sin(X)) - 0.2) < 0.01


@pytest.mark.parametrize("call, error, match", [
    (lambda: xor(0), ValueError, "n_samples"),
    (lambda: xor(10.5), TypeError, "n_samples"),
    (lambda: moons(10, noise=-0.1), ValueError, "noise"),
    (lambda: moons(10, noise=float("nan")), ValueError, "noise"),
    (lambda: circles(10, factor=1.5), ValueError, "factor"),
    (lambda: spirals(2, n_classes=3), ValueError, "n_samples"),
    (lambda: spirals(10, n_classes=1), ValueError, "n_classes"),
    (lambda: gaussian_blobs(10, n_classes=2, centers=[[0.0, 0.0]]), ValueError, "centers"),
    (lambda: sine(10, x_range=(1.0, 1.0)), ValueError, "x_range"),
    (lambda: xor(10, rng="seed"), TypeError, "rng"),
    (lambda: xor(10, rng=np.random.RandomState(0)), TypeError, "rng"),
])
def test_invalid_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
