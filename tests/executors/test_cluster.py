"""The cluster an experiment starts serves no HTTP; ``dashboard=True`` serves the dashboard.

Issue 16 point 13: with ``dashboard_address=None`` Dask's ``LocalCluster`` still answered
``/health`` on 127.0.0.1:8787 (scheduler) and on a random port per worker. These tests
list every TCP port that this process and its children listen on while the cluster
runs, and send each an HTTP request.
"""

from __future__ import annotations

import http.client
import urllib.parse

import pytest

import nasbench_ui as nb
from nasbench_ui.executors import DaskExecutor, make_executor
from nasbench_ui.storage import TrialState

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.dask


def _listening_ports() -> set[tuple[str, int]]:
    """(host, port) of every TCP socket this process and its children listen on."""
    me = psutil.Process()
    found = set()
    for proc in [me, *me.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        for c in conns:
            if c.status == psutil.CONN_LISTEN:
                host = "127.0.0.1" if c.laddr.ip in ("0.0.0.0", "::", "") else c.laddr.ip
                found.add((host, c.laddr.port))
    return found


def _http_status(host: str, port: int, path: str = "/health") -> int | None:
    """The HTTP status a GET gets, or None when nothing answers in HTTP."""
    conn = http.client.HTTPConnection(host, port, timeout=3)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _http_answers(ports: set[tuple[str, int]]) -> dict[tuple[str, int], int]:
    return {hp: s for hp in sorted(ports) if (s := _http_status(*hp)) is not None}


def test_the_cluster_an_experiment_starts_serves_no_http():
    before = _listening_ports()
    ex = make_executor(workers=2)
    client = ex.start()
    try:
        assert len(client.scheduler_info()["workers"]) == 2
        ports = _listening_ports() - before
        # the scheduler's comm port, two nannies and two workers at least: all Dask comms
        assert len(ports) >= 5, ports
        assert all(host == "127.0.0.1" for host, _ in ports), ports
        assert _http_answers(ports) == {}, "a port of the cluster answered HTTP"
        assert ("127.0.0.1", 8787) not in ports
        assert ex.cluster.scheduler.http_server is None
        assert "dashboard" not in client.scheduler_info()["services"]
        worker_http = client.run(lambda dask_worker: dask_worker.http_server is None)
        assert list(worker_http.values()) == [True, True]
        assert ex.dashboard_link is None
    finally:
        ex.close()
    assert ex.client is None and ex.dashboard_link is None


def test_dashboard_opt_in_serves_on_loopback_while_the_search_runs(nb201_csv):
    before = _listening_ports()
    seen: dict[str, object] = {}
    exp = nb.Experiment("nb201", strategy="random", estimator="tabular",
                        estimator_options={"table": str(nb201_csv)}, trials=3, seed=3,
                        executor=DaskExecutor(n_workers=1, dashboard=True))

    def on_event(e):
        if e.kind == "trial_finish" and "link" not in seen:
            link = exp.executor.dashboard_link
            seen["link"] = link
            url = urllib.parse.urlsplit(link)
            seen["status"] = _http_status(url.hostname, url.port, url.path)
            seen["health"] = _http_status(url.hostname, url.port)
            seen["answers"] = _http_answers(_listening_ports() - before)

    exp.observe(on_event)
    exp.run()
    assert [t.state for t in exp.trials] == [TrialState.COMPLETE] * 3
    url = urllib.parse.urlsplit(seen["link"])
    assert url.scheme == "http" and url.hostname == "127.0.0.1" and url.path == "/status"
    assert url.port != 8787 or ("127.0.0.1", 8787) not in before
    assert seen["status"] == 200 and seen["health"] == 200
    # the dashboard is the only HTTP server: the worker serves none
    assert list(seen["answers"]) == [("127.0.0.1", url.port)]
    assert exp.executor.dashboard_link is None, "the cluster closed with the search"
    assert _http_status("127.0.0.1", url.port) is None


def test_bad_dashboard_settings_are_refused():
    with pytest.raises(ValueError, match="dashboard=True needs workers=N"):
        make_executor(dashboard=True)
    with pytest.raises(ValueError, match="dashboard must be True or False"):
        make_executor(workers=1, dashboard="yes")
    with pytest.raises(ValueError, match="applies to the local cluster"):
        DaskExecutor(address="tcp://127.0.0.1:1", dashboard=True)
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        DaskExecutor(n_workers=0)
    ex = DaskExecutor(n_workers=2, dashboard=True)
    assert make_executor(executor=ex) is ex
