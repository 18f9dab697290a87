"""backprop.plot without matplotlib, and without touching pyplot or the user's backend."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from backprop import plot

MESSAGE = "plots need the optional dependency: pip install 'backprop[plot]'"


@pytest.fixture
def no_matplotlib(monkeypatch):
    """Make every ``import matplotlib...`` fail, as on a machine without the extra."""
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)


def test_plots_raise_an_import_error_naming_the_extra(no_matplotlib, tmp_path):
    from backprop import nn
    assert plot.available() is False
    model = nn.Sequential(nn.Linear(2, 2, rng=0))
    calls = [lambda: plot.learning_curves({"loss": [1.0]}),
             lambda: plot.gradient_flow({"a": [1.0]}),
             lambda: plot.histograms(model),
             lambda: plot.activation_functions(),
             lambda: plot.decision_boundary(model, np.zeros((4, 2)), np.zeros(4))]
    for call in calls:
        with pytest.raises(ImportError) as info:
            call()
        assert str(info.value) == MESSAGE
    assert list(tmp_path.iterdir()) == []


def test_available_when_installed():
    pytest.importorskip("matplotlib")
    assert plot.available() is True


def test_plots_use_no_pyplot_and_leave_the_backend_alone(tmp_path):
    pytest.importorskip("matplotlib")
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import matplotlib
        from backprop import nn, plot
        before = matplotlib.rcParams["backend"]
        model = nn.Sequential(nn.Linear(2, 2, rng=0))
        plot.activation_functions({str(tmp_path / 'a.png')!r})
        plot.decision_boundary(model, np.random.default_rng(0).normal(size=(10, 2)), np.arange(10) % 2)
        assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
        assert matplotlib.rcParams["backend"] == before, "the backend was changed"
        print("ok")
    """)
    import os
    env = dict(os.environ, MPLBACKEND="svg", PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("DISPLAY", None)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
