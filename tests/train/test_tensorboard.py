"""The TensorBoard callback: event files read back with TensorBoard's own EventAccumulator."""

import os
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from backprop import nn
from backprop.train import Callback, History, fit

from .helpers import blobs, mlp

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

from backprop.train.tensorboard import TensorBoard  # noqa: E402

LOG_KEYS = {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "grad_norm"}


def _read(log_dir):
    acc = event_accumulator.EventAccumulator(
        str(log_dir), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0,
                                     event_accumulator.TENSORS: 0})
    acc.Reload()
    return acc


def _text(acc, tag):
    return acc.Tensors(f"{tag}/text_summary")[0].tensor_proto.string_val[0].decode()


def _train(callbacks, epochs=3, **kwargs):
    X, y = blobs(n=120)
    model = mlp([4, 8, 3])
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=epochs, batch_size=32,
                  validation_split=0.25, seed=0, verbose=0, callbacks=callbacks, **kwargs)
    return model, history


def test_scalars_one_per_epoch_for_every_logged_key(tmp_path):
    tb = TensorBoard(tmp_path)
    model, history = _train([tb])
    acc = _read(tmp_path)
    assert set(acc.Tags()["scalars"]) == LOG_KEYS
    for key in LOG_KEYS:
        events = acc.Scalars(key)
        assert [e.step for e in events] == [0, 1, 2]
        np.testing.assert_allclose([e.value for e in events], history.history[key], rtol=1e-6)
    assert tb.writer is None  # closed at train end


def _histogram_tags(model, activations=()):
    names = [n for n, _ in model.named_parameters()]
    return ({f"weights/{n}" for n in names} | {f"gradients/{n}" for n in names}
            | {f"activations/{a}" for a in activations})


def test_histograms_of_weights_and_gradients(tmp_path):
    model, _ = _train([TensorBoard(tmp_path)])
    acc = _read(tmp_path)
    # a plain dense stack trains on fit's compiled fast path: no module is called, so no
    # activations without activation_data (documented), but weights and gradients are there
    assert set(acc.Tags()["histograms"]) == _histogram_tags(model)
    for tag in _histogram_tags(model):
        assert [e.step for e in acc.Histograms(tag)] == [0, 1, 2]
    last = acc.Histograms("weights/0.weight")[-1].histogram_value  # the final weights
    w = model[0].weight.data
    assert last.num == w.size
    np.testing.assert_allclose([last.min, last.max, last.sum], [w.min(), w.max(), w.sum()], rtol=1e-5)
    g = model[2].bias.grad  # the last batch's gradient, as fit leaves it
    last_grad = acc.Histograms("gradients/2.bias")[-1].histogram_value
    np.testing.assert_allclose([last_grad.min, last_grad.max], [g.min(), g.max()], rtol=1e-5)
    assert all(not m._forward_hooks for m in model.modules())


def test_activation_histograms_from_activation_data(tmp_path):
    X, _ = blobs(n=120)
    model, _ = _train([TensorBoard(tmp_path, activation_data=X[:10])])
    acc = _read(tmp_path)
    assert set(acc.Tags()["histograms"]) == _histogram_tags(model, ["0", "1", "2"])
    assert [e.step for e in acc.Histograms("activations/1")] == [0, 1, 2]
    assert acc.Histograms("activations/0")[0].histogram_value.num == 10 * 8
    # the last histogram is the trained model's eval-mode output on those samples
    h = model(X[:10]).data.astype(np.float64)
    last = acc.Histograms("activations/2")[-1].histogram_value
    np.testing.assert_allclose([last.num, last.min, last.max, last.sum], [h.size, h.min(), h.max(), h.sum()],
                               rtol=1e-5)
    assert model.training and all(not m._forward_hooks for m in model.modules())


def test_activation_histograms_of_the_last_training_batch_on_the_engine_path(tmp_path):
    X, y = blobs(n=120)
    model = mlp([4, 8, 3], activation=nn.GELU)  # GELU is not on the compiled fast path
    fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.05, epochs=2, batch_size=32,
        validation_split=0.25, seed=0, verbose=0, callbacks=[TensorBoard(tmp_path)])
    acc = _read(tmp_path)
    assert set(acc.Tags()["histograms"]) == _histogram_tags(model, ["0", "1", "2"])
    # 90 training samples in batches of 32: the last batch has 26 rows (validation passes ignored)
    assert acc.Histograms("activations/0")[0].histogram_value.num == 26 * 8
    assert acc.Histograms("activations/2")[1].histogram_value.num == 26 * 3
    assert all(not m._forward_hooks for m in model.modules())


def test_histogram_freq_picks_epochs_and_zero_turns_histograms_off(tmp_path):
    _train([TensorBoard(tmp_path / "every2", histogram_freq=2)], epochs=5)
    acc = _read(tmp_path / "every2")
    assert [e.step for e in acc.Histograms("weights/0.weight")] == [0, 2, 4]
    assert [e.step for e in acc.Scalars("loss")] == [0, 1, 2, 3, 4]
    _train([TensorBoard(tmp_path / "off", histogram_freq=0)], epochs=2)
    assert _read(tmp_path / "off").Tags()["histograms"] == []


def test_model_summary_and_hyperparameters(tmp_path):
    _train([TensorBoard(tmp_path)])
    acc = _read(tmp_path)
    summary = _text(acc, "model/summary")
    assert "0 (Linear)" in summary and "(None, 8)" in summary and "Total params: 67" in summary
    table = _text(acc, "hparams/text")
    assert "| batch_size | 32 |" in table and "| optimizer | Adam |" in table and "| optimizer.lr | 0.05 |" in table
    hparams_dir = tmp_path / "hparams"
    assert hparams_dir.is_dir()
    hp = _read(hparams_dir)
    assert {"hparam/loss", "hparam/val_accuracy"} <= set(hp.Tags()["scalars"])


def test_per_layer_gradient_norms_in_the_logs_become_scalars(tmp_path):
    class LayerNorms(Callback):  # stands in for the gradient-flow monitor
        def on_epoch_end(self, epoch, logs=None):
            for name, p in self.model.named_parameters():
                logs[f"grad_norm/{name}"] = float(np.linalg.norm(p.grad))

    _train([LayerNorms(), TensorBoard(tmp_path)], epochs=2)
    scalars = set(_read(tmp_path).Tags()["scalars"])
    assert {"grad_norm/0.weight", "grad_norm/2.bias"} <= scalars
    assert [e.step for e in _read(tmp_path).Scalars("grad_norm/0.weight")] == [0, 1]


def test_input_shape_argument_and_repr_fallback_when_driven_by_hand(tmp_path):
    """Without fit: the hooks called directly with a minimal trainer-like context."""
    model = nn.Sequential(nn.Identity(), nn.Linear(3, 2, rng=0))  # input shape unknown
    history = History({"epochs": 1})
    trainer = SimpleNamespace(model=model, params={"epochs": 1, "note": None, "metrics": ["accuracy"]},
                              history=history, optimizer=None, epoch=0, resumed=False)
    tb = TensorBoard(tmp_path, write_graph_text=True)
    tb.set_context(trainer)
    tb.on_train_begin({})
    tb.on_epoch_begin(0, {})
    logs = {"loss": 0.5, "lr": 0.1, "note": "not a number"}
    history.append(0, {"loss": 0.5, "lr": 0.1})
    tb.on_epoch_end(0, logs)
    tb.on_train_end({})
    acc = _read(tmp_path)
    assert set(acc.Tags()["scalars"]) == {"loss", "lr"}
    assert "Linear(" in _text(acc, "model/summary")  # no forward pass seen: repr(model)
    assert "| note | None |" in _text(acc, "hparams/text")
    assert {"weights/1.weight", "weights/1.bias"} == set(acc.Tags()["histograms"])  # no grads, no activations

    given = TensorBoard(tmp_path / "given", input_shape=(3,))
    given.set_context(trainer)
    given.on_train_begin({})
    given.on_epoch_end(0, {"loss": 0.5})
    given.on_train_end({})
    assert "Total params: 8" in _text(_read(tmp_path / "given"), "model/summary")


def test_closes_the_writer_after_a_divergence(tmp_path):
    X, y = blobs(n=60)
    model = mlp([4, 8, 3])
    tb = TensorBoard(tmp_path)
    history = fit(model, X, y, loss="cross_entropy", optimizer="sgd", lr=1e30, epochs=3, seed=0, verbose=0,
                  callbacks=[tb])
    assert history.stopped_reason == "divergence"
    assert tb.writer is None
    assert all(not m._forward_hooks for m in model.modules())
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(tmp_path))


def test_missing_tensorboardx_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install 'backprop\[tensorboard\]'"):
        TensorBoard(tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("freq", [-1, 1.5, True, "1"])
def test_histogram_freq_is_validated(tmp_path, freq):
    with pytest.raises(ValueError, match="histogram_freq"):
        TensorBoard(tmp_path, histogram_freq=freq)


def test_resumed_run_continues_the_steps_without_duplicates(tmp_path):
    X, y = blobs(n=60)
    kwargs = dict(loss="cross_entropy", optimizer="adam", lr=0.05, batch_size=32, seed=0, verbose=0,
                  checkpoint_dir=tmp_path / "ckpt")
    fit(mlp([4, 8, 3]), X, y, epochs=2, callbacks=[TensorBoard(tmp_path / "tb")], **kwargs)
    history = fit(mlp([4, 8, 3]), X, y, epochs=4, resume=True, callbacks=[TensorBoard(tmp_path / "tb")], **kwargs)
    events = _read(tmp_path / "tb").Scalars("loss")
    assert [e.step for e in events] == [0, 1, 2, 3]
    np.testing.assert_allclose([e.value for e in events], history.history["loss"], rtol=1e-6)


def test_monitor_statistics_are_written_as_scalars(tmp_path):
    model, history = _train([TensorBoard(tmp_path, histogram_freq=0)], epochs=2, monitor=True)
    per_layer = {k for k in history.history if "/" in k}
    assert per_layer, "fit(monitor=True) recorded no per-layer keys"
    scalars = set(_read(tmp_path).Tags()["scalars"])
    assert per_layer <= scalars
