"""The standalone HTML report (nasbench_ui.viz.report)."""

from __future__ import annotations

import builtins
import importlib
import random
import sys

import pytest

from nasbench_ui import spaces
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.viz import report

C, F = TrialState.COMPLETE, TrialState.FAILED


def nb201_trials(n=20):
    s = spaces.nb201()
    rng = random.Random(0)
    return s, [Trial(i, C if i % 5 else F, s.sample(rng), None if i % 5 == 0 else rng.random(),
                     {"params": rng.randint(10**4, 10**6)}) for i in range(n)]


def test_report_is_offline_html_with_charts_and_best_arch_svg(tmp_path):
    s, ts = nb201_trials()
    path = report.write_report(tmp_path / "sub" / "r.html", ts, s, title="My <run>")
    text = path.read_text()
    best = report.best_trial(ts)
    assert best.value == max(t.value for t in ts if t.state is C)
    assert "Bokeh" in text and "<svg" in text and "nbui-best-arch" in text
    assert f"best architecture (trial {best.number})" in text
    assert "My &lt;run&gt;" in text  # the title is escaped
    assert "cdn.bokeh.org" not in text  # BokehJS is inline: works offline
    assert "nbui-history" in text and "nbui-scatter" in text
    assert "Top 10 trials" in text


def test_report_uses_a_given_svg_and_survives_no_complete_trial(tmp_path):
    s = spaces.nb201()
    failed = [Trial(0, F, {}, None, {}, error="boom")]
    text = report.write_report(tmp_path / "r.html", failed, s,
                               best_arch_svg="<svg id='given'></svg>").read_text()
    assert "<svg id='given'></svg>" in text and "No COMPLETE trial yet" in text
    text = report.write_report(tmp_path / "r2.html", [], s).read_text()
    assert "No architecture to draw" in text and "0 trials" in text


def test_report_minimize_picks_the_lowest_value():
    s, ts = nb201_trials()
    assert report.best_trial(ts, maximize=False).value == min(t.value for t in ts if t.state is C)
    assert report.best_trial([]) is None


def test_report_bad_arguments(tmp_path):
    s, ts = nb201_trials(3)
    with pytest.raises(ValueError, match="is a folder"):
        report.write_report(tmp_path, ts, s)
    with pytest.raises(ValueError, match="best_arch_svg must be an SVG"):
        report.write_report(tmp_path / "r.html", ts, s, best_arch_svg="<p>x</p>")


def test_report_without_bokeh_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_bokeh(name, *args, **kwargs):
        if name.startswith("bokeh"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    import nasbench_ui.viz

    monkeypatch.delitem(sys.modules, "nasbench_ui.viz.report")
    monkeypatch.delattr(nasbench_ui.viz, "report")
    monkeypatch.setattr(builtins, "__import__", no_bokeh)
    with pytest.raises(ImportError, match=r"pip install 'nasbench_ui\[ui\]'"):
        importlib.import_module("nasbench_ui.viz.report")
    with pytest.raises(ImportError, match=r"needs bokeh"):
        from nasbench_ui.viz import write_report  # noqa: F401
    from nasbench_ui.viz import results_frame  # the tables need no bokeh

    assert callable(results_frame)
