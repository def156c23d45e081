"""LiveCharts (nasbench_ui.ui.charts) headless: pushes, coalescing, selection, views."""

from __future__ import annotations

import json
import threading
import time
import types

import pytest
from helpers import wait_for

from nasbench_ui import spaces
from nasbench_ui.storage.trial import Trial, TrialState
from nasbench_ui.ui import chart_figures as figures_mod
from nasbench_ui.ui import charts as charts_mod
from nasbench_ui.ui import pusher as pusher_mod
from nasbench_ui.ui.charts import LiveCharts
from nasbench_ui.viz.thinning import drawn_rows

C, R, F = TrialState.COMPLETE, TrialState.RUNNING, TrialState.FAILED


def t(n, state=C, value=None, **metrics):
    curve = [{"epoch": 1, "valid_acc": value or 0.0}]
    return Trial(n, state, {"1<-0": "skip_connect"}, value if state is C else None,
                 metrics, curve)


@pytest.fixture
def charts():
    c = LiveCharts(spaces.nb201(), interval=0.1)
    yield c
    c.close()


def rows(c, role="history"):
    return c.sources[role].data["number"]


def view_ready(c):
    """What a page's view says once it has rendered: from then on pushes are incremental."""
    from bokeh.events import DocumentReady

    _ = c.widget  # the model, and the document with it
    c.layout.document.callbacks.trigger_event(DocumentReady())
    c.flush()  # the resync push: everything whole once


def test_history_grows_one_row_per_finished_trial(charts):
    trials = []
    for n in range(5):
        trials = trials + [t(n, R)]
        charts.update(trials)
        charts.flush()
        assert rows(charts) == list(range(n))  # the running one is not in the history yet
        trials = trials[:-1] + [t(n, C, n / 10, params=100 + n)]
        charts.update(trials)
        charts.flush()
        assert rows(charts) == list(range(n + 1))
    assert charts.sources["history"].data["best_so_far"] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert rows(charts, "scatter") == [0, 1, 2, 3, 4]
    assert charts.sources["curves"].data["number"] == [0, 1, 2, 3, 4]
    counts = dict(zip(charts.sources["opfreq"].data["op"][:5],
                      charts.sources["opfreq"].data["count"][:5], strict=True))
    assert counts["skip_connect"] == 5


def test_the_hovers_read_an_input_choice_in_words():
    """darts_cell's node n3 keeps 2 of its inputs: the hover of history and scatter read
    'n3.inputs=[in,n2]'; they now read 'inputs of n3: in and n2', the Trials table's column name."""
    c = LiveCharts(spaces.darts_cell(), interval=0.1)
    try:
        arch = {"n1<-in": "skip", "n3.inputs": ["in", "n2"]}
        c.update([Trial(0, C, arch, 0.5, {"params": 10})])
        c.flush()
        for role in ("history", "scatter"):
            assert c.sources[role].data["arch_text"] == [
                "inputs of n3: in and n2, edge in → n1: skip"], role
    finally:
        c.close()


def test_pushes_stream_new_rows_to_the_notebook(charts):
    charts.update([t(0, C, 0.5)])
    charts.flush()
    view_ready(charts)
    model = charts.widget.children[1]
    from jupyter_bokeh import BokehModel

    assert isinstance(model, BokehModel) and charts.model is model
    sent = []
    model.send = lambda msg, buffers=None: sent.append(msg)
    charts.update([t(0, C, 0.5), t(1, C, 0.6)])
    charts.flush()
    import json

    events = [e for m in sent if str(m.get("payload", "")).startswith("{")
              for e in json.loads(m["payload"]).get("events", [])]
    kinds = {(e["kind"], e.get("model", {}).get("id")) for e in events}
    history, curves = charts.sources["history"].id, charts.sources["curves"].id
    assert ("ColumnsStreamed", history) in kinds
    # rows are streamed, never re-sent whole; only the learning curves (lists per row,
    # at most `last` of them) always go whole, and the two corners of a frame that moved
    frames = {src.id for src in charts.figures.frames.values()}
    assert {i for k, i in kinds if k == "ColumnDataChanged"} <= {curves} | frames
    assert all(len(src.data["x"]) <= 2 for src in charts.figures.frames.values())
    sent.clear()
    charts.flush()  # nothing new: nothing sent
    assert sent == []


def test_a_view_that_renders_late_gets_everything_again(charts):
    """A BokehModel view starts from the document as it was when the widget was made;
    its DocumentReady event must make the next push re-send every source whole."""
    from bokeh.events import DocumentReady

    model = charts.widget.children[1]
    charts.update([t(0, C, 0.5, params=3), t(1, C, 0.7, params=9)])
    charts.set_scatter_x("params")
    charts.flush()  # sent before any view listens: lost in a real page
    sent = []
    model.send = lambda msg, buffers=None: sent.append(str(msg.get("payload", "<buffer>")))
    charts.flush()
    assert sent == []  # nothing new
    charts.layout.document.callbacks.trigger_event(DocumentReady())  # a view rendered
    charts.flush()
    changed = set()
    for payload in sent:
        for event in json.loads(payload).get("events", []) if payload.startswith("{") else []:
            changed.add((event["model"]["id"], event.get("attr")))
    for src in charts.sources.values():
        assert (src.id, "data") in changed, src.name
    assert (charts.opfreq_fig.x_range.id, "factors") in changed
    assert (charts.scatter_fig.xaxis[0].id, "axis_label") in changed
    sent.clear()
    charts.flush()
    assert sent == []  # once, not on every push


def test_update_is_coalesced(charts):
    trials = [t(i, C, i / 1000) for i in range(50)]
    def hammer():
        for i in range(10_000):
            charts.update(trials[: 1 + i % 50])

    pushes_before = charts.pushes
    start = time.perf_counter()
    th = threading.Thread(target=hammer)
    th.start()
    th.join()
    elapsed = time.perf_counter() - start
    # no wall-clock limit here (timings live in benchmarks/): the calls must not push
    # synchronously, so the pushes are bounded by the updater's interval
    # the updater pushes the last list (the latest won), on a loaded machine later
    assert wait_for(lambda: rows(charts) == list(range(1 + 9_999 % 50)), timeout=10)
    waited = time.perf_counter() - start
    pushes = charts.pushes - pushes_before
    assert 1 <= pushes <= 1 + int(waited / charts.interval) + 1, (pushes, elapsed, waited)


def test_tap_calls_back_with_the_trial_number_and_highlights_everywhere(charts):
    trials = [t(10, C, 0.1, params=5), t(11, R), t(12, F), t(13, C, 0.3, params=7)]
    charts.update(trials)
    charts.flush()
    got = []
    charts.on_select(got.append)
    charts.sources["scatter"].selected.indices = [1]  # row 1 of the scatter is trial 13
    assert got == [13] and charts.selected == 13
    assert charts.sources["history"].selected.indices == [2]  # 10, 12, 13 in the history
    charts.select(10)  # programmatic: highlights, no callback
    assert got == [13]
    assert charts.sources["scatter"].selected.indices == [0]
    assert charts.sources["history"].selected.indices == [0]
    charts.select(None)
    assert charts.sources["scatter"].selected.indices == []
    with pytest.raises(ValueError, match="on_select needs a callable"):
        charts.on_select("print")


def test_browser_tap_through_jupyter_bokeh_fires_callback_once(charts):
    charts.update([t(0, C, 0.1, params=1), t(5, C, 0.2, params=2)])
    charts.flush()
    model = charts.widget.children[1]
    got = []
    charts.on_select(got.append)
    sel = charts.sources["history"].selected
    event = {"event": "jsevent", "kind": "ModelChanged", "model": {"id": sel.id},
             "attr": "indices", "new": [1]}
    model._handle_custom_msg(event, [])  # what jupyter_bokeh does with a browser tap
    assert got == [5]
    assert charts.sources["scatter"].selected.indices == [1]


def test_a_failing_callback_does_not_stop_the_others(charts, caplog):
    charts.update([t(0, C, 0.1)])
    charts.flush()
    got = []
    charts.on_select(lambda n: 1 / 0)
    charts.on_select(got.append)
    charts.sources["history"].selected.indices = [0]
    assert got == [0] and "on_select callback failed" in caplog.text


def test_selection_survives_a_replacement_of_the_data(charts):
    charts.update([t(0, C, 0.1), t(1, C, 0.2), t(2, C, 0.3)])
    charts.flush()
    charts.select(2)
    charts.set_view(2)
    charts.flush()
    assert rows(charts) == [0, 1] and charts.sources["history"].selected.indices == []
    charts.set_view(None)
    charts.flush()
    assert rows(charts) == [0, 1, 2] and charts.sources["history"].selected.indices == [2]
    with pytest.raises(ValueError, match="upto must be an int trial number or None"):
        charts.set_view("3")


def test_set_scatter_x_switches_metric_and_axis(charts):
    charts.update([t(0, C, 0.5, params=10, flops=2000, latency_ms=1.5)])
    charts.flush()
    assert charts.sources["scatter"].data["x"] == [10.0]
    charts.set_scatter_x("flops")
    charts.flush()
    assert charts.sources["scatter"].data["x"] == [2000.0]
    assert charts.scatter_fig.xaxis[0].axis_label == "FLOPs"
    charts.widget.children[0].value = "latency_ms"  # the picker above the charts
    charts.flush()
    assert charts.sources["scatter"].data["x"] == [1.5]
    with pytest.raises(ValueError, match=r"scatter x must be one of \['params', 'flops'"):
        charts.set_scatter_x("accuracy")


def test_reset_to_another_space_clears_trials_and_op_map(charts):
    charts.update([t(0, C, 0.5)])
    charts.flush()
    charts.reset(spaces.keras_cnn())
    assert rows(charts) == [] and charts.sources["opfreq"].data["edge"] == []
    assert "No operation choices" in charts.opfreq_fig.title.text
    charts.reset(spaces.darts_cell())
    assert len(charts.opfreq_fig.x_range.factors) == 8


def test_document_changes_from_two_threads_do_not_interleave(charts):
    charts.update([t(0, C, 0.5)])
    charts.flush()
    model = charts.widget.children[1]
    sent = []
    model.send = lambda msg, buffers=None: sent.append((threading.get_ident(), msg))

    def work(offset):
        for i in range(30):
            charts.update([t(n, C, n / 100) for n in range(offset + i + 2)])
            charts.flush()
            charts.select(i % 2)

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 40)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(sent) >= 6 and len(sent) % 3 == 0
    for k in range(0, len(sent), 3):  # header, metadata, content of one patch: one thread
        assert len({ident for ident, _ in sent[k:k + 3]}) == 1


def test_page_echoes_do_not_change_the_kernel_side(charts):
    """jupyter_bokeh's view sends back each patch it applied; the kernel must ignore it."""
    charts.update([t(0, C, 0.1, params=1), t(1, C, 0.2, params=2)])
    charts.flush()
    model = charts.widget.children[1]
    hist = charts.sources["history"]
    echo = {"event": "jsevent", "kind": "ColumnsStreamed", "model": {"id": hist.id},
            "attr": "data", "data": {"number": [1]}, "rollover": None}
    model._handle_custom_msg(dict(echo), [])
    assert rows(charts) == [0, 1]
    stale = {"event": "jsevent", "kind": "ModelChanged", "model": {"id": hist.id},
             "attr": "data", "new": {"number": []}}
    model._handle_custom_msg(dict(stale), [])
    assert rows(charts) == [0, 1]
    charts.select(1)
    got = []
    charts.on_select(got.append)
    same = {"event": "jsevent", "kind": "ModelChanged", "model": {"id": hist.selected.id},
            "attr": "indices", "new": [1]}
    model._handle_custom_msg(dict(same), [])
    assert got == [] and charts.selected == 1


def test_an_emptied_selection_in_the_page_leaves_the_other_charts(charts):
    charts.update([t(0, C, 0.1, params=1), t(1, C, 0.2, params=2)])
    charts.flush()
    model = charts.widget.children[1]
    got = []
    charts.on_select(got.append)
    charts.select(1)
    scatter_sel = charts.sources["scatter"].selected
    empty = {"event": "jsevent", "kind": "ModelChanged", "model": {"id": scatter_sel.id},
             "attr": "indices", "new": []}  # a tap on nothing, or BokehJS on new data
    model._handle_custom_msg(empty, [])
    assert list(scatter_sel.indices) == [] and charts.sources["history"].selected.indices == [1]
    assert charts.selected == 1 and got == []


def test_tap_callbacks_run_after_the_lock_is_released(charts):
    charts.update([t(0, C, 0.1), t(1, C, 0.2)])
    charts.flush()
    model = charts.widget.children[1]
    free = []

    def callback(number):
        other = threading.Thread(target=lambda: free.append(charts.lock.acquire(timeout=1)))
        other.start()
        other.join()
        if free[-1]:
            charts.lock.release()

    charts.on_select(callback)
    tap = {"event": "jsevent", "kind": "ModelChanged",
           "model": {"id": charts.sources["history"].selected.id}, "attr": "indices", "new": [0]}
    model._handle_custom_msg(tap, [])
    assert free == [True]


def test_ensure_bokehjs_loads_once(monkeypatch):
    calls = []
    import bokeh.io

    from nasbench_ui.viz import notebook

    monkeypatch.setattr(bokeh.io, "output_notebook", lambda **kw: calls.append(kw))
    monkeypatch.setitem(notebook._STATE, "bokehjs", False)
    assert charts_mod.ensure_bokehjs is notebook.ensure_bokehjs
    assert charts_mod.ensure_bokehjs() is True
    assert charts_mod.ensure_bokehjs() is False
    assert len(calls) == 1 and calls[0]["hide_banner"] is True
    assert calls[0]["resources"].mode == "inline"


def test_the_pace_halves_while_many_trials_finish_between_two_pushes():
    """The page's work is per push: a fast search is pushed every ``busy_interval``, a
    search whose trials finish one at a time every ``interval`` (ui.charts)."""
    c = LiveCharts(spaces.nb201(), interval=0.1)
    try:
        assert (c.interval, c.busy_interval) == (0.1, 0.2)
        throttle = c.pusher.throttle
        trials = [t(n, C, n / 100) for n in range(charts_mod.BUSY_TRIALS)]
        c.update(trials)
        c.flush()
        assert throttle.interval == 0.1  # BUSY_TRIALS new trials: not busy yet
        trials += [t(n, C, n / 100) for n in range(len(trials), len(trials) + 5)]
        c.update(trials)
        c.flush()
        assert throttle.interval == 0.2  # 5 new: the slower pace for the next push
        c.update(trials)
        c.flush()
        assert throttle.interval == 0.2  # a push with nothing new keeps the pace
        trials.append(t(len(trials), C, 0.5))
        c.update(trials)
        c.flush()
        assert throttle.interval == 0.1  # one trial: the quick pace again
        assert c.interval == 0.1 and rows(c) == list(range(len(trials)))
    finally:
        c.close()
    with pytest.raises(ValueError, match="busy_interval must be"):
        LiveCharts(spaces.nb201(), interval=0.5, busy_interval=0.1)
    with pytest.raises(ValueError, match="busy_interval must be"):
        LiveCharts(spaces.nb201(), busy_interval=True)


def test_bad_constructor_arguments_and_close():
    with pytest.raises(ValueError, match="interval must be a number of seconds"):
        LiveCharts(spaces.nb201(), interval=-1)
    c = LiveCharts(None, interval=0.05)
    c.update([t(0, C, 0.5)])
    assert wait_for(lambda: rows(c) == [0], timeout=10)
    c.close()
    assert not c.pusher.throttle.alive


def _receipt(charts, seq):
    """What jupyter_bokeh's view sends back once it has applied the push mark ``seq``."""
    model = charts.model
    model._handle_custom_msg({"event": "jsevent", "kind": "ModelChanged",
                              "model": {"id": charts.ack_source.id}, "attr": "tags",
                              "new": [seq]}, [])


def test_pushes_wait_for_the_page_receipt_of_the_previous_one(charts, monkeypatch):
    """A page that has not applied the last push gets no new one (until ACK_TIMEOUT):
    a busy page would otherwise fall ever further behind."""
    monkeypatch.setattr(pusher_mod, "ACK_TIMEOUT", 30.0)
    _ = charts.widget  # a view can exist: pushes are marked
    charts.pusher.receipt_interval = 0.0  # every push asks for a receipt
    charts.update([t(0, C, 0.5)])
    charts.flush()
    assert charts.pusher.sent == 1 and charts.ack_source.tags == [1]
    charts.update([t(0, C, 0.5), t(1, C, 0.6)])
    time.sleep(0.4)  # several throttle intervals: still waiting for the receipt
    assert rows(charts) == [0]
    _receipt(charts, 1)
    # the push's rows land before its count goes up: wait for both
    assert wait_for(lambda: rows(charts) == [0, 1] and charts.pusher.sent == 2)
    flushed = charts.pushes
    charts.flush()  # flush() never waits (a search's last trials, a full refresh)
    assert charts.pushes == flushed + 1


def test_receipts_are_asked_at_most_once_a_receipt_interval(charts, monkeypatch):
    """Each receipt is a message to the kernel (JupyterLab then flips busy/idle and the
    favicon): a push asks for one only when ``receipt_interval`` has passed since the
    last, and the pushes in between go at the throttle's pace."""
    monkeypatch.setattr(pusher_mod, "ACK_TIMEOUT", 30.0)
    _ = charts.widget
    assert charts.pusher.receipt_interval == pusher_mod.RECEIPT_INTERVAL == 1.0
    # the pusher's clock runs an hour ahead when the test says the interval has passed:
    # the two pushes in between come within it on any machine, however loaded (a 2 s
    # interval, a sleep and a wall-clock check that they had made it was a timed assertion)
    ahead = [0.0]
    monkeypatch.setattr(pusher_mod, "time", types.SimpleNamespace(
        monotonic=lambda: time.monotonic() + ahead[0]))
    charts.pusher.receipt_interval = 3600.0
    charts.update([t(0, C, 0.5)])
    charts.flush()
    assert charts.pusher.sent == 1  # the first push asks
    _receipt(charts, 1)
    for n in (2, 3):  # within the interval: pushed by the throttle, no receipt asked
        charts.update([t(i, C, 0.5) for i in range(n)])
        assert wait_for(lambda n=n: rows(charts) == list(range(n)), timeout=2.0)
    assert charts.pusher.sent == 1
    ahead[0] = 3600.0  # the interval has passed
    charts.update([t(i, C, 0.5) for i in range(4)])
    charts.flush()
    assert charts.pusher.sent == 2  # the interval passed: this push asks again ...
    charts.update([t(i, C, 0.5) for i in range(5)])
    time.sleep(0.4)
    assert rows(charts) == list(range(4))  # ... and the next waits for its receipt
    _receipt(charts, 2)
    assert wait_for(lambda: rows(charts) == list(range(5)))


@pytest.mark.parametrize("bad", [-1, float("nan"), "1", True])
def test_a_bad_receipt_interval_is_refused(bad):
    from bokeh.plotting import figure

    with pytest.raises(ValueError, match="receipt_interval must be a number of seconds >= 0"):
        pusher_mod.ChartPusher(figure(), lambda: True, receipt_interval=bad)


def test_without_a_receipt_the_next_push_goes_after_the_timeout(charts, monkeypatch):
    monkeypatch.setattr(pusher_mod, "ACK_TIMEOUT", 0.5)
    _ = charts.widget
    charts.update([t(0, C, 0.5)])
    charts.flush()
    start = time.monotonic()
    charts.update([t(0, C, 0.5), t(1, C, 0.6)])
    assert wait_for(lambda: rows(charts) == [0, 1], timeout=3.0)
    assert time.monotonic() - start >= 0.4  # the timer, not a receipt, let it through


def test_receipts_of_other_models_or_garbage_are_ignored(charts, monkeypatch):
    monkeypatch.setattr(pusher_mod, "ACK_TIMEOUT", 30.0)
    _ = charts.widget
    charts.update([t(0, C, 0.5)])
    charts.flush()
    hist = charts.sources["history"]
    for bad in ({"attr": "tags", "model": {"id": hist.id}, "new": [1]},
                {"attr": "tags", "model": {"id": charts.ack_source.id}, "new": "x"},
                {"attr": "tags", "model": {"id": charts.ack_source.id}, "new": []}):
        charts.pusher._on_echo({"kind": "ModelChanged", **bad})
    assert charts.pusher.acked == 0


def test_no_view_means_no_mark_and_no_waiting(charts):
    charts.update([t(0, C, 0.5)])
    charts.flush()
    charts.update([t(0, C, 0.5), t(1, C, 0.6)])
    assert wait_for(lambda: rows(charts) == [0, 1], timeout=1.0)
    assert charts.pusher.sent == 0  # no widget was made: nobody could acknowledge


def test_the_pareto_front_goes_as_arrays_and_matches_the_batch_function(charts):
    import numpy as np

    from nasbench_ui.viz import tables

    trials = [t(i, C, v, params=p) for i, (v, p) in enumerate(
        [(0.5, 50), (0.2, 20), (0.9, 90), (0.4, 60), (0.95, 80)])]
    charts.update(trials)
    charts.flush()
    front = charts.sources["pareto"].data
    assert isinstance(front["x"], np.ndarray) and front["number"].dtype == np.int64
    want = tables.scatter_data(trials)["front"]
    assert front["number"].tolist() == want["number"] and front["x"].tolist() == want["x"]
    assert charts.sources["scatter"].data["pareto"] == tables.scatter_data(trials)["points"][
        "pareto"]


def test_a_rewritten_store_rebuilds_the_columns(charts):
    charts.update([t(0, C, 0.5), t(1, C, 0.6)])
    charts.flush()
    charts.update([t(0, C, 0.9), t(1, C, 0.6)])  # trial 0 now reads differently
    charts.flush()
    assert charts.sources["history"].data["value"] == [0.9, 0.6]


def test_replay_view_and_scatter_x_rebuild_from_the_full_list(charts):
    trials = [t(i, C, i / 10, params=10 - i, flops=i) for i in range(6)]
    charts.update(trials)
    charts.flush()
    charts.set_view(3)
    charts.flush()
    assert rows(charts) == [0, 1, 2]
    charts.set_view(None)
    charts.set_scatter_x("flops")
    charts.flush()
    assert rows(charts) == list(range(6))
    assert charts.sources["scatter"].data["x"] == [float(i) for i in range(6)]


def test_the_receipt_timeout_follows_the_page_round_trip(charts, monkeypatch):
    monkeypatch.setattr(pusher_mod, "ACK_TIMEOUT", 30.0)
    _ = charts.widget
    assert charts.pusher.ack_timeout == 30.0  # no round trip measured yet
    charts.update([t(0, C, 0.5)])
    charts.flush()
    _receipt(charts, 1)  # at once: a fast page
    assert charts.pusher.ack_timeout == pusher_mod.ACK_TIMEOUT_MIN
    charts.pusher.rtt = 50.0  # a page that took very long: capped
    assert charts.pusher.ack_timeout == 30.0


def test_a_push_is_one_patch_message_with_all_its_changes(charts):
    _ = charts.widget
    charts.pusher.receipt_interval = 0.0  # the second push asks for a receipt too
    charts.update([t(0, C, 0.5, params=3)])
    charts.flush()
    view_ready(charts)
    model = charts.model
    sent = []
    model.send = lambda msg, buffers=None: sent.append((msg, buffers))
    charts.update([t(0, C, 0.5, params=3), t(1, C, 0.7, params=9)])
    charts.flush()
    contents = [json.loads(m["payload"]) for m, _ in sent
                if isinstance(m.get("payload"), str) and m["payload"].startswith('{"events"')]
    assert len(contents) == 1  # one PATCH-DOC for the whole push
    kinds = [(e["kind"], e.get("attr")) for e in contents[0]["events"]]
    assert sum(k == "ColumnsStreamed" for k, _ in kinds) >= 2  # history and scatter rows
    assert kinds[-1] == ("ModelChanged", "tags")  # the push mark comes last
    # the Pareto front's arrays travel inline: 3 comm messages a push, no buffers
    assert len(sent) == 3 and not any(b for _, b in sent)
    pareto = [e for e in contents[0]["events"] if e["kind"] == "ColumnDataChanged"]
    assert any('"ndarray"' in json.dumps(e) for e in pareto)


def test_a_long_search_sends_the_page_only_the_thinned_rows_it_draws(charts, monkeypatch):
    monkeypatch.setattr(figures_mod, "DRAW_LIMIT", 50)
    trials = [t(i, C, (i % 7) / 10 + (0.5 if i == 33 else 0), params=1000 - i)
              for i in range(200)]
    charts.update(trials[:40])
    charts.flush()
    assert rows(charts) == list(range(40))  # under the limit: every trial
    charts.select(3)
    charts.update(trials)
    charts.flush()
    drawn = rows(charts)
    assert drawn == sorted(drawn) and len(drawn) < 80  # the page holds the drawn rows only
    # the selected trial, each improvement of the best with the row before it, the newest
    improvements = {0, 1, 2, 3, 4, 5, 6, 32, 33, 199}
    assert improvements <= set(drawn)
    # 200 trials into 50 places: every 4th (a power of two) is drawn, and no other
    assert set(range(0, 200, 4)) <= set(drawn)
    assert all(n % 4 == 0 for n in set(drawn) - improvements)
    data = charts.sources["history"].data
    by_number = {tr.number: tr for tr in trials}
    assert data["value"] == [by_number[n].value for n in drawn]
    best = [max(tr.value for tr in trials[:n + 1]) for n in drawn]
    assert data["best_so_far"] == pytest.approx(best)  # exact, though rows are left out
    assert all(a == "edge 0 → 1: skip_connect" for a in data["arch_text"])  # hover texts, drawn only
    assert len(data["metrics_text"]) == len(drawn)
    scatter = charts.sources["scatter"].data
    assert 3 in scatter["number"] and len(scatter["number"]) < 80
    assert len(scatter["arch_text"]) == len(scatter["number"])  # the scatter's own texts
    assert charts.sources["history"].selected.indices == [drawn.index(3)]
    assert "1 in 4 trials drawn" in charts.notes["history"].text
    assert "1 in 4 trials drawn" in charts.notes["scatter"].text
    assert charts.history_fig.title.text == "Optimisation history"  # no re-layout
    charts.set_view(30)  # a replay back under the limit draws every dot again
    charts.flush()
    assert rows(charts) == list(range(30))
    assert charts.notes["history"].text == ""


def test_a_thinned_chart_streams_new_trials_until_the_step_doubles(monkeypatch):
    """New trials past the limit are streamed (O(new rows)), and the newest trial drawn
    before, off the grid, is patched into a later one; the source is replaced only when
    the step doubles."""
    from nasbench_ui.viz.live_tables import LiveTables

    monkeypatch.setattr(figures_mod, "DRAW_LIMIT", 50)
    figs = figures_mod.ChartFigures(spaces.nb201())
    lt = LiveTables(texts=False)
    trials = [t(i, C, 0.1, params=10) for i in range(400)]
    kinds = []
    for end in range(60, 400, 20):
        lt.feed(trials[:end])
        kinds.append((end, figs.draw(lt, None)))
        lt.clear_changes()
    replaced = [end for end, k in kinds if "replace" in k]
    # the first push, then where 2x, 4x and 8x the limit are passed
    assert replaced == [60, 120, 220], kinds
    assert all(set(k) <= {"stream", "patch"} for end, k in kinds if end not in replaced)
    numbers = figs.sources["history"].data["number"]
    assert numbers[-2:] == [376, 379]  # the last 8th, and the newest trial
    assert numbers == [*range(0, 377, 8), 379]


def test_a_huge_front_is_drawn_through_its_ends_and_every_step_th_point(charts, monkeypatch):
    import numpy as np

    monkeypatch.setattr(figures_mod, "FRONT_LIMIT", 20)
    # cost rising with accuracy: every trial is on the front
    trials = [t(i, C, i / 100, params=10 + i) for i in range(100)]
    charts.update(trials)
    charts.flush()
    front = charts.sources["pareto"].data
    numbers = front["number"].tolist()
    assert numbers[0] == 0 and numbers[-1] == 99  # both ends
    assert 10 <= len(numbers) <= 22 and all(n % 8 == 0 for n in numbers[1:-1])
    assert np.all(np.diff(front["x"]) > 0)  # still a staircase sorted by cost
    assert "front: 1 in 8 points" in charts.notes["scatter"].text
    assert sum(charts.sources["scatter"].data["pareto"]) == 100  # the flags stay exact


def test_the_curves_show_multi_fidelity_rungs() -> None:
    from nasbench_ui.storage.trial import Trial, TrialState

    def t(n: int, meta: dict, epochs: range) -> Trial:
        return Trial(n, TrialState.COMPLETE, {}, 0.5, {"valid_acc": 0.5, "params": 10 + n},
                     curve=[{"epoch": e, "valid_acc": 0.1 * e} for e in epochs], meta=meta)

    charts = LiveCharts(spaces.nb201())
    trials = [t(0, {"rung": 0, "budget": {"epochs": 2}}, range(1, 3)),
              t(1, {"rung": 1, "budget": {"epochs": 4}, "promoted_from": 0}, range(3, 5))]
    charts.update(trials)
    charts.flush()
    curves = charts.sources["curves"].data
    i = curves["number"].index(1)
    assert curves["xs"][i] == [1.0, 2.0, 3.0, 4.0]  # the promoted trial continues its parent
    assert curves["rung_text"][i] == "rung 1 · epochs 4 · from trial 0"
    marks = charts.sources["rungs"].data
    assert sorted(zip(marks["number"], marks["label"], strict=True)) == [
        (0, "r0"), (1, "r0"), (1, "r1")]
    assert "@rung_text" in charts.curves_fig.select_one({"name": "nbui-curves-fig-hover"}).tooltips
    charts.close()


def test_thinning_kept_across_pushes_equals_thinning_from_scratch(monkeypatch):
    """The charts keep what they drew between pushes and send only what changed; with
    trials that finish out of order and a front that changes in its middle, the page's
    sources end equal to what a fresh chart draws from the same trials."""
    import random

    import numpy as np

    monkeypatch.setattr(figures_mod, "DRAW_LIMIT", 60)
    monkeypatch.setattr(figures_mod, "FRONT_LIMIT", 15)
    rng = random.Random(4)
    values = [rng.random() for _ in range(400)]
    # cost rising with accuracy: a long front; every 25th point removes a few of it
    final = [t(i, C, v, params=int(v * 10**5) - (300 if i % 25 == 0 else 0))
             for i, v in enumerate(values)]
    kept = LiveCharts(spaces.nb201(), interval=60)
    try:
        current: list[Trial] = []
        for i in range(len(final)):
            current = [*current, Trial(i, TrialState.RUNNING, {})]
            for j in range(len(current)):  # some finish later than those after them
                if current[j].state is TrialState.RUNNING and rng.random() < 0.5:
                    current[j] = final[j]
            if i % 23 == 0 or i == len(final) - 1:
                kept.update(current)
                kept.flush()
        kept.update(final)
        kept.flush()
        # the same tables drawn from scratch (the scatter's rows are in finish order,
        # so a chart fed all trials at once would order them otherwise)
        fresh = figures_mod.ChartFigures(spaces.nb201())
        fresh.draw(kept._tables, None)
        for role in ("history", "scatter"):
            got, want = kept.sources[role].data, fresh.sources[role].data
            assert len(got["number"]) < len(kept._tables.history["number"])  # thinned
            assert set(got) == set(want), role
            for k in want:
                assert list(got[k]) == pytest.approx(list(want[k]), nan_ok=True) \
                    if k in ("value", "best_so_far", "x", "y") else list(got[k]) == list(want[k]), \
                    (role, k)
        whole = kept._tables.front  # the whole front, thinned from scratch
        numbers = np.asarray(whole["number"])
        must = np.zeros(len(numbers), dtype=bool)
        must[[0, -1]] = True
        rows, _ = drawn_rows(numbers, figures_mod.FRONT_LIMIT, 0, must)
        front = {k: np.asarray(whole[k])[rows] for k in ("x", "y", "number")}
        assert len(front["number"]) < len(whole["number"])  # thinned
        for k in ("x", "y", "number"):
            assert np.array_equal(kept.sources["pareto"].data[k], front[k]), k
    finally:
        kept.close()


def test_frames_cover_the_data_and_move_rarely_as_a_search_grows(charts):
    """The hidden frames (``viz.frames``) hold every drawn value, so the page's auto
    ranges change only when a frame moves: a few times in 100 pushes, not at each."""
    trials, moves, last = [], 0, None
    for start in range(0, 2000, 20):
        trials += [t(i, C, (i % 97) / 97, params=100 + 3 * i) for i in range(start, start + 20)]
        charts.update(trials)
        charts.flush()
        frames = {role: src.data for role, src in charts.figures.frames.items()}
        h, s, c = frames["history"], frames["scatter"], frames["curves"]
        assert h["x"][0] <= 0 and h["x"][1] >= trials[-1].number
        assert h["y"][0] <= 0 and h["y"][1] >= max(tr.value for tr in trials)
        assert s["x"][0] <= 100 and s["x"][1] >= 100 + 3 * trials[-1].number
        ys = [y for line in charts.sources["curves"].data["ys"] for y in line]
        assert c["y"][0] <= min(ys) and c["y"][1] >= max(ys)
        moves += frames["history"] != last
        last = {k: list(v) for k, v in frames["history"].items()}
    assert moves <= 25  # of 100 pushes


def test_frames_start_afresh_for_another_table(charts):
    charts.update([t(i, C, 0.5 + i / 100, params=10**6 + i, flops=5) for i in range(50)])
    charts.flush()
    assert charts.figures.frames["scatter"].data["x"][1] >= 10**6
    charts.set_scatter_x("flops")
    charts.flush()
    x0, x1 = charts.figures.frames["scatter"].data["x"]
    assert x0 <= 5 <= x1 < 100  # the frame of the flops, not grown from the params'
    charts.reset(spaces.nb201())
    assert charts.figures.frames["history"].data == {"x": [], "y": []}


def _events(sent):
    return [e for m in sent if isinstance(m.get("payload"), str)
            and m["payload"].startswith('{"events"')
            for e in json.loads(m["payload"])["events"]]


def test_pushes_go_whole_until_a_view_is_ready_and_again_for_each_new_view(charts):
    """A view starts from the document as it was when the widget was made, and a push
    made before its DocumentReady would stream rows onto rows it lacks (BokehJS: columns
    of unequal lengths). So until a view is ready, and again after each display or page
    that asks for the whole state, pushes are sent whole; after it, incremental."""
    from nasbench_ui.viz.notebook import expect_views

    model = charts.widget.children[1]
    sent = []
    model.send = lambda msg, buffers=None: sent.append(msg)
    history = charts.sources["history"].id
    trials = [t(0, C, 0.5)]

    def push():
        trials.append(t(len(trials), C, 0.1 * len(trials)))
        charts.update(list(trials))
        sent.clear()
        charts.flush()
        kinds = {(e["kind"], e["model"]["id"]) for e in _events(sent) if "model" in e}
        streamed = any(k in ("ColumnsStreamed", "ColumnsPatched") for k, _ in kinds)
        whole = ("ModelChanged", history) in kinds or ("ColumnDataChanged", history) in kinds
        return streamed, whole

    assert push() == (False, True)  # made, no view ready yet: whole
    assert push() == (False, True)
    view_ready(charts)
    assert push() == (True, False)  # a view is ready: rows are streamed
    sent.clear()
    charts.flush()
    assert sent == []  # nothing new, nothing sent (whole or not)
    expect_views(charts.widget)  # displayed again (in a Workbench): a new view may render
    assert push() == (False, True)
    view_ready(charts)
    assert push() == (True, False)
    model.get_state()  # a reloaded page asks for the whole state: it will make a view
    assert push() == (False, True)
    assert model.get_state("layout") and push() == (False, True)  # one key: no new view
    view_ready(charts)
    assert push() == (True, False)
    charts.pusher.expect_view()
    charts.pusher._whole_until = time.monotonic() - 1  # no view came in WHOLE_FOR s
    assert push() == (True, False)
    assert rows(charts) == list(range(len(trials)))


def test_a_widget_display_tells_every_chart_inside_it():
    """Workbench, RaceView and QualityPanel displays reach the echo-free models nested in
    their children (viz.notebook.expect_views)."""
    import ipywidgets as w

    from nasbench_ui.viz.notebook import expect_views

    one, two = LiveCharts(spaces.nb201(), interval=30.0), LiveCharts(spaces.nb201(), interval=30.0)
    try:
        view_ready(one), view_ready(two)
        expect_views(w.VBox([w.Tab([w.HBox([one.widget])]), w.Label("x")]))
        assert one.pusher._whole_until > time.monotonic()
        assert two.pusher._whole_until < time.monotonic()  # not in the displayed tree
    finally:
        one.close(), two.close()


def test_the_page_mark_is_set_once_per_view_with_or_without_receipts():
    """The page mark runs viz.page_styles.SAME_STYLES_JS in a page: set at the first push
    once a model exists, again after each DocumentReady (a new view), never in between;
    a pusher without receipts sets it too. The default resend leaves it out."""
    from bokeh.events import DocumentReady
    from bokeh.models import CustomJS
    from bokeh.plotting import figure

    from nasbench_ui.viz.page_styles import SAME_STYLES_JS

    for receipts in (False, True):
        fig = figure()
        pusher = pusher_mod.ChartPusher(fig, lambda: True, interval=30.0, receipts=receipts)
        try:
            mark = pusher.page_mark
            (cb,) = mark.js_property_callbacks["change:tags"]
            assert isinstance(cb, CustomJS) and cb.code == SAME_STYLES_JS
            pusher.flush()
            assert mark.tags == [] and pusher.page_marks == 0  # no model: no page yet
            pusher.make_model()
            pusher.flush()
            pusher.flush()
            assert mark.tags == [1] and pusher.page_marks == 1, receipts
            fig.document.callbacks.trigger_event(DocumentReady())  # a second view
            pusher.flush()
            pusher.flush()
            assert mark.tags == [2] and pusher.page_marks == 2, receipts
            assert mark in fig.tags
        finally:
            pusher.close()
