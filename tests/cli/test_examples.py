"""Each script in examples/ runs (with small settings) and prints what it promises."""

import re


from .helpers import ROOT, run_subprocess

EXAMPLES = ROOT / "examples"


def _run(name, *argv):
    result = run_subprocess(EXAMPLES / name, *argv, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_xor_from_scratch():
    out = _run("xor_from_scratch.py", "--steps", "1000")
    assert "all correct: True" in out


def test_digits_classifier():
    out = _run("digits_classifier.py", "--epochs", "5")
    test_acc = float(re.search(r"^test accuracy (\S+)", out, re.M).group(1))
    reloaded = float(re.search(r"reloaded model's test accuracy (\S+)", out).group(1))
    assert test_acc > 0.9 and reloaded == test_acc


def test_regression():
    out = _run("regression.py", "--epochs", "60")
    assert float(re.search(r"test R\^2 (\S+)", out).group(1)) > 0.8


def test_own_csv_data():
    out = _run("own_csv_data.py", "--epochs", "30")
    assert "classes ['apple', 'banana', 'cherry']" in out
    assert float(re.search(r"test accuracy (\S+)", out).group(1)) > 0.8


def test_seed_worked_example():
    out = _run("seed_worked_example.py")
    assert "0.74087345" in out
