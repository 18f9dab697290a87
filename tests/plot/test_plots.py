"""backprop.plot: each plot's data, its PNG (valid, exact pixel size), and its errors."""

import math
import os

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from backprop import Tensor, nn  # noqa: E402
from backprop import plot  # noqa: E402
from backprop.train import History, fit  # noqa: E402

from .helpers import expected_size, mlp, png_size  # noqa: E402


def _history():
    h = History({"epochs": 3})
    for epoch, (loss, val_loss, acc, val_acc) in enumerate([(1.0, 1.2, 0.4, 0.3), (0.6, 0.8, 0.6, 0.5),
                                                            (0.4, 0.7, 0.8, 0.6)]):
        h.append(epoch, {"loss": loss, "accuracy": acc, "val_loss": val_loss, "val_accuracy": val_acc,
                         "lr": 0.1, "grad_norm": 2.0 - epoch, "grad_norm/0": 10.0 ** -epoch,
                         "grad_norm/2": 1.0 + epoch})
    return h


def _lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


# ---------------------------------------------------------------------------------------------- learning curves
def test_learning_curves_plots_train_and_validation_per_metric(tmp_path):
    h = _history()
    path = tmp_path / "curves.png"
    fig = plot.learning_curves(h, path)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]  # lr, grad_norm, per-layer keys left out
    lines = _lines_by_label(fig.axes[0])
    np.testing.assert_array_equal(lines["training (loss)"].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines["training (loss)"].get_ydata(), h.history["loss"])
    np.testing.assert_array_equal(lines["validation (val_loss)"].get_ydata(), h.history["val_loss"])
    acc = _lines_by_label(fig.axes[1])
    np.testing.assert_array_equal(acc["validation (val_accuracy)"].get_ydata(), h.history["val_accuracy"])
    assert png_size(path) == expected_size(fig) == (1000, 400)


def test_learning_curves_accepts_the_history_dict_and_to_dict(tmp_path):
    h = _history()
    for form in (h.history, h.to_dict()):
        fig = plot.learning_curves(form)
        np.testing.assert_array_equal(_lines_by_label(fig.axes[0])["training (loss)"].get_ydata(),
                                      h.history["loss"])


def test_learning_curves_from_a_real_fit(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    model = mlp([2, 8, 2])
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=4, seed=0, verbose=0,
                  validation_split=0.25)
    fig = plot.learning_curves(history, tmp_path / "fit.png")
    assert len(_lines_by_label(fig.axes[0])["training (loss)"].get_ydata()) == 4
    assert png_size(tmp_path / "fit.png") == expected_size(fig)


def test_learning_curves_rejects_empty_and_wrong_input():
    with pytest.raises(ValueError, match="no loss or metric"):
        plot.learning_curves({"lr": [0.1]})
    with pytest.raises(TypeError, match="History"):
        plot.learning_curves([1.0, 2.0])


# ---------------------------------------------------------------------------------------------- gradient flow
def test_gradient_flow_from_a_layer_dict_is_log_scaled(tmp_path):
    series = {"0.weight": [1e-4, 1e-3, 1e-2], "2.weight": [1.0, 0.5, 0.25]}
    path = tmp_path / "flow.png"
    fig = plot.gradient_flow(series, path)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    lines = _lines_by_label(ax)
    assert set(lines) == set(series)
    np.testing.assert_allclose(lines["0.weight"].get_ydata(), series["0.weight"])
    np.testing.assert_array_equal(lines["0.weight"].get_xdata(), [1, 2, 3])
    assert png_size(path) == expected_size(fig) == (800, 500)


def test_gradient_flow_reads_per_layer_keys_of_a_history():
    h = _history()
    for form in (h, h.history, h.to_dict()):
        lines = _lines_by_label(plot.gradient_flow(form).axes[0])
        assert set(lines) == {"0", "2"}
        np.testing.assert_allclose(lines["0"].get_ydata(), [1.0, 0.1, 0.01])


def test_gradient_flow_other_documented_forms():
    records = [{"a": 1.0, "b": 2.0}, {"a": 0.5, "b": 4.0}]
    lines = _lines_by_label(plot.gradient_flow(records).axes[0])
    np.testing.assert_allclose(lines["b"].get_ydata(), [2.0, 4.0])

    class Monitor:
        layers = {"a": {"grad_norm": [1.0, 2.0], "weight_norm": [3.0, 3.0]}}
    lines = _lines_by_label(plot.gradient_flow(Monitor()).axes[0])
    np.testing.assert_allclose(lines["a"].get_ydata(), [1.0, 2.0])
    lines = _lines_by_label(plot.gradient_flow(Monitor(), stat="weight_norm").axes[0])
    np.testing.assert_allclose(lines["a"].get_ydata(), [3.0, 3.0])


def test_gradient_flow_masks_values_without_a_logarithm():
    line = plot.gradient_flow({"a": [1.0, 0.0, math.nan, 2.0]}).axes[0].get_lines()[0]
    y = line.get_ydata()
    assert y[0] == 1.0 and y[3] == 2.0 and np.isnan(y[1]) and np.isnan(y[2])


def test_gradient_flow_falls_back_to_the_global_norm_and_errors_without_any():
    h = History()
    h.append(0, {"loss": 1.0, "grad_norm": 3.0})
    lines = _lines_by_label(plot.gradient_flow(h).axes[0])
    assert list(lines) == ["all parameters (global norm)"]
    bare = History()
    bare.append(0, {"loss": 1.0})
    with pytest.raises(ValueError, match="grad_norm/<layer>"):
        plot.gradient_flow(bare)


# ---------------------------------------------------------------------------------------------- histograms
def _model_with_grads(rng):
    model = mlp([3, 5, 2])
    out = model(Tensor(rng.normal(size=(7, 3))))
    (out * out).sum().backward()
    return model


def test_histograms_weights_gradients_and_activations(tmp_path, rng):
    model = _model_with_grads(rng)
    acts = {"1": rng.normal(size=(7, 5)), "2": Tensor(rng.normal(size=(7, 2)))}
    path = tmp_path / "hist.png"
    fig = plot.histograms(model, path, activations=acts)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    names = [n for n, _ in model.named_parameters()]
    for name in names:
        assert f"weight: {name}" in titles and f"gradient: {name}" in titles
    assert "activation: 1" in titles and "activation: 2" in titles
    by_title = {ax.get_title(): ax for ax in fig.axes}
    params = dict(model.named_parameters())
    # every finite value lands in exactly one bar
    assert sum(p.get_height() for p in by_title["weight: 0.weight"].patches) == params["0.weight"].size
    assert sum(p.get_height() for p in by_title["gradient: 2.bias"].patches) == params["2.bias"].size
    assert sum(p.get_height() for p in by_title["activation: 1"].patches) == 35
    assert png_size(path) == expected_size(fig) == (800, 250 * (len(names) + 1))


def test_histograms_without_gradients_says_so(rng):
    model = mlp([3, 2])
    fig = plot.histograms(model)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("no gradient" in t for t in texts)
    fig = plot.histograms(model, gradients=False)
    assert not any(ax.get_title().startswith("gradient") for ax in fig.axes)
    assert expected_size(fig) == (400, 500)


def test_histograms_counts_non_finite_values_instead_of_binning_them():
    model = mlp([2, 1])
    model[0].weight.data[0, 0] = np.nan
    fig = plot.histograms(model, gradients=False)
    ax = next(a for a in fig.axes if a.get_title() == "weight: 0.weight")
    assert sum(p.get_height() for p in ax.patches) == 1
    assert any("1 non-finite" in t.get_text() for t in ax.texts)


def test_histograms_rejects_a_non_module():
    with pytest.raises(TypeError, match="Module"):
        plot.histograms(np.zeros(3))


# ---------------------------------------------------------------------------------------------- activations
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _gelu(z):
    c = math.sqrt(2.0 / math.pi)
    u = c * (z + 0.044715 * z ** 3)
    f = 0.5 * z * (1 + np.tanh(u))
    df = 0.5 * (1 + np.tanh(u)) + 0.5 * z * (1 - np.tanh(u) ** 2) * c * (1 + 3 * 0.044715 * z ** 2)
    return f, df


ANALYTIC = {  # name -> (f, f') of the module with default arguments; f'(0) of the kinks follows PyTorch
    "Sigmoid": lambda z: (_sigmoid(z), _sigmoid(z) * (1 - _sigmoid(z))),
    "Tanh": lambda z: (np.tanh(z), 1 - np.tanh(z) ** 2),
    "ReLU": lambda z: (np.maximum(z, 0), (z > 0).astype(float)),
    "LeakyReLU": lambda z: (np.where(z > 0, z, 0.01 * z), np.where(z > 0, 1.0, 0.01)),
    "ELU": lambda z: (np.where(z > 0, z, np.expm1(np.minimum(z, 0))), np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))),
    "GELU": _gelu,
    "Softplus": lambda z: (np.logaddexp(0, z), _sigmoid(z)),
    "Softmax([z, 0])₀": lambda z: (_sigmoid(z), _sigmoid(z) * (1 - _sigmoid(z))),
    "LogSoftmax([z, 0])₀": lambda z: (-np.logaddexp(0, -z), 1 - _sigmoid(z)),
    "Identity": lambda z: (z, np.ones_like(z)),
}


def test_activation_functions_plots_autograd_derivatives_equal_to_the_formulas(tmp_path):
    path = tmp_path / "act.png"
    fig = plot.activation_functions(path)
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert set(panels) == set(ANALYTIC)  # every activation of backprop.nn, each once
    for name, formula in ANALYTIC.items():
        lines = _lines_by_label(panels[name])
        z = np.asarray(lines["f(z)"].get_xdata())
        assert z[0] == -4.0 and z[-1] == 4.0 and 0.0 in z
        f, df = formula(z)
        np.testing.assert_allclose(lines["f(z)"].get_ydata(), f, rtol=1e-10, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(lines["f'(z)"].get_ydata(), df, rtol=1e-10, atol=1e-12, err_msg=name)
    assert png_size(path) == expected_size(fig) == (1400, 900)


def test_activation_functions_validates_its_grid():
    with pytest.raises(ValueError, match="z_range"):
        plot.activation_functions(z_range=(1, -1))
    with pytest.raises(ValueError, match="n_points"):
        plot.activation_functions(n_points=1)


# ---------------------------------------------------------------------------------------------- decision boundary
def _two_blobs(n=80, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(scale=0.5, size=(n, 2)) + np.where(y[:, None] == 1, 2.0, -2.0)
    return X, y


def test_decision_boundary_colours_the_predicted_class(tmp_path):
    X, y = _two_blobs()
    model = mlp([2, 8, 2])
    fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=20, seed=0, verbose=0)
    model.train()
    path = tmp_path / "db.png"
    fig = plot.decision_boundary(model, X, y, path, resolution=50)
    ax = fig.axes[0]
    grid = np.asarray(ax.get_images()[0].get_array())
    assert grid.shape == (50, 50)
    assert grid[0, 0] == 0 and grid[-1, -1] == 1  # bottom-left is blob 0, top-right blob 1
    assert "100.0%" in ax.get_title()
    assert len(ax.collections) >= 2  # one scatter per class (+ the boundary contour)
    assert model.training and all(m.training for m in model.modules())  # modes restored
    assert png_size(path) == expected_size(fig) == (600, 500)


def test_decision_boundary_single_output_logit_uses_threshold_zero():
    X, y = _two_blobs()
    model = nn.Sequential(nn.Linear(2, 1, rng=0, dtype=np.float64))
    model[0].weight.data[...] = [[1.0, 1.0]]
    model[0].bias.data[...] = 0.0
    grid = np.asarray(plot.decision_boundary(model, X, y, resolution=21).axes[0].get_images()[0].get_array())
    # the grid is symmetric about the origin: class 1 exactly where x1 + x2 > 0
    assert grid[0, 0] == 0 and grid[-1, -1] == 1 and grid[0, -1] == 0  # x1 + x2 = 0 on that corner (not > 0)


def test_decision_boundary_rejects_data_that_is_not_two_dimensional():
    model = mlp([3, 2])
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match=r"X must have shape \(n_samples, 2\).*got shape \(10, 3\)"):
        plot.decision_boundary(model, X, np.zeros(10))
    with pytest.raises(ValueError, match="shape"):
        plot.decision_boundary(model, np.zeros(10), np.zeros(10))


def test_decision_boundary_rejects_bad_labels_and_resolution():
    X, y = _two_blobs()
    model = mlp([2, 2])
    with pytest.raises(ValueError, match="79 labels but X has 80"):
        plot.decision_boundary(model, X, y[:-1])
    with pytest.raises(ValueError, match="class labels"):
        plot.decision_boundary(model, X, y + 0.5)
    with pytest.raises(ValueError, match="resolution"):
        plot.decision_boundary(model, X, y, resolution=1)


# ---------------------------------------------------------------------------------------------- saving
def test_saving_replaces_atomically_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "curves.png"
    path.write_bytes(b"old")
    plot.learning_curves(_history(), path)
    assert png_size(path) == (1000, 400)
    assert os.listdir(tmp_path) == ["curves.png"]


def test_saving_into_a_missing_directory_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot.learning_curves(_history(), tmp_path / "missing" / "curves.png")
    assert os.listdir(tmp_path) == []


def test_png_is_readable_by_matplotlib(tmp_path):
    from matplotlib.image import imread
    fig = plot.gradient_flow({"a": [1.0, 2.0]}, tmp_path / "g.png", dpi=50)
    image = imread(tmp_path / "g.png")
    assert image.shape[:2] == (250, 400) == expected_size(fig)[::-1]


def test_gradient_flow_of_a_monitored_fit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    model = mlp([2, 8, 8, 2], activation=nn.Tanh)
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=3, seed=0, verbose=0,
                  monitor=True)
    lines = _lines_by_label(plot.gradient_flow(history).axes[0])
    assert set(lines) == set(history.layers)
    for name, line in lines.items():
        np.testing.assert_allclose(line.get_ydata(), history.history[f"grad_norm/{name}"])
    weight_lines = _lines_by_label(plot.gradient_flow(history.history, stat="weight_norm").axes[0])
    assert set(weight_lines) == set(lines)
