"""The benchmark harness runs end to end at a tiny size and writes valid JSON (no timing asserted)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_harness_run_writes_valid_json_and_markdown(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--repeats", "2",
                             "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "quick.json").read_text(encoding="utf-8"))
    assert report["quick"] is True and report["machine"]["usable_cores"] >= 1
    assert len(report["steps"]) == 2
    for row in report["steps"]:
        timings = row["timings"]
        assert {"backprop", "matmul floor"} <= set(timings)
        for contender in timings.values():
            assert contender["min_us"] <= contender["median_us"] <= contender["max_us"]
            assert contender["repeats"] == 2
        assert row["ratios"]["backprop_over_floor"] > 0
    assert report["peak_rss"]["backprop"]["peak_rss_mb"] > 0
    assert 0 < report["import_time"]["median_s"] < 60
    assert set(report["time_to_accuracy"]) == {"backprop", "pytorch", "sklearn"}
    assert "| network |" in (tmp_path / "quick.md").read_text(encoding="utf-8")
