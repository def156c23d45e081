"""The Dask client holder: ``Experiment(..., workers=N)`` or ``executor=``.

:func:`make_executor` turns ``workers=N`` (a local cluster started for each search and
closed when it ends) or ``executor=`` (a ``distributed.Client``, a scheduler address,
or a :class:`DaskExecutor`) into a :class:`DaskExecutor`, or None for the thread
executor. The cluster that ``workers=N`` starts listens on 127.0.0.1 only and serves no
HTTP (:mod:`.cluster`); ``dashboard=True`` serves the scheduler's Dask dashboard on a
free loopback port, at :attr:`DaskExecutor.dashboard_link` while the search runs.

The trials of one search run through :class:`~.dask_trials.DaskTrials`, the
:class:`~.base.Executor` that a :class:`DaskExecutor` connects. Dask is an optional
extra: ``pip install 'nasbench_ui[dask]'``.

Example:
    >>> make_executor(workers=None, executor=None) is None
    True
    >>> make_executor(workers=0)
    Traceback (most recent call last):
    ...
    ValueError: workers must be a positive integer (the number of Dask worker processes) or None, got 0
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ...estimators.base import history_fields

log = logging.getLogger(__name__)
INSTALL_HINT = "pip install 'nasbench_ui[dask]'"
SEQUENTIAL_STRATEGIES = ("darts",)
TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def require_distributed() -> Any:
    """The ``distributed`` module, or an ImportError that says how to install it."""
    try:
        import distributed
    except ImportError as err:
        raise ImportError(f"running trials on Dask needs the `distributed` package: "
                          f"{INSTALL_HINT} ({err})") from err
    return distributed


def check_device_name(device: Any) -> str:
    """Check a device name without asking this machine for it (workers resolve it).

    Example:
        >>> check_device_name("cuda:1")
        'cuda:1'
    """
    if not isinstance(device, str) or not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device):
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return device


def _check_workers(workers: Any) -> None:
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ValueError(f"workers must be a positive integer (the number of Dask worker "
                         f"processes) or None, got {workers!r}")


def make_executor(workers: Any = None, executor: Any = None,
                  dashboard: bool = False) -> DaskExecutor | None:
    """A :class:`DaskExecutor` for ``workers=N`` or ``executor=``, or None (thread loop).

    ``executor`` is a ``distributed.Client``, a scheduler address, or a
    :class:`DaskExecutor` (used as it is: ``DaskExecutor(n_workers=2, dashboard=True)``
    starts a cluster with the Dask dashboard). ``dashboard=True`` with ``workers=N``
    serves the dashboard of the cluster it starts on a free loopback port
    (:attr:`DaskExecutor.dashboard_link`); by default that cluster serves no HTTP at all.

    Example:
        >>> make_executor(workers=2, dashboard=True).dashboard
        True
        >>> make_executor(dashboard=True)
        Traceback (most recent call last):
        ...
        ValueError: dashboard=True needs workers=N (the local cluster whose dashboard it serves)
    """
    _check_workers(workers)
    if not isinstance(dashboard, bool):
        raise ValueError(f"dashboard must be True or False, got {dashboard!r}")
    if dashboard and workers is None:
        raise ValueError("dashboard=True needs workers=N (the local cluster whose dashboard it "
                         "serves)")
    if workers is not None and executor is not None:
        raise ValueError("give workers=N (a local cluster) or executor= (a distributed.Client "
                         "or a scheduler address), not both")
    if workers is None and executor is None:
        return None
    require_distributed()
    if workers is not None:
        return DaskExecutor(n_workers=workers, dashboard=dashboard)
    if isinstance(executor, DaskExecutor):
        return executor
    if isinstance(executor, str):
        if not re.fullmatch(r"(tcp|tls|inproc|ucx|ws|wss)://\S+|[\w.\-]+:\d+", executor):
            raise ValueError(f"executor {executor!r} is not a scheduler address; give one such "
                             "as 'tcp://10.0.0.5:8786', or a distributed.Client")
        return DaskExecutor(address=executor)
    if callable(getattr(executor, "submit", None)) and hasattr(executor, "scheduler_info"):
        return DaskExecutor(client=executor)
    raise ValueError(f"executor must be None, a distributed.Client, a scheduler address "
                     f"('tcp://host:port') or a DaskExecutor, got {type(executor).__name__}")


class DaskExecutor:
    """Dask client holder: a cluster it starts (``n_workers``), an address, or a client.

    :meth:`start` connects (starting the cluster); :meth:`close` releases what it
    started. ``client`` is the live ``distributed.Client`` between the two. The cluster
    it starts listens on 127.0.0.1 only and serves no HTTP; ``dashboard=True`` serves
    the scheduler's Dask dashboard on a free loopback port, at :attr:`dashboard_link`
    while the cluster runs. Pass one as ``Experiment(..., executor=DaskExecutor(...))``.

    Example:
        >>> ex = DaskExecutor(n_workers=2)
        >>> ex.owned, ex.client is None, ex.dashboard_link
        (True, True, None)
        >>> DaskExecutor(n_workers=2, dashboard=True).dashboard
        True
    """

    def __init__(self, n_workers: int | None = None, address: str | None = None,
                 client: Any = None, dashboard: bool = False) -> None:
        if not isinstance(dashboard, bool):
            raise ValueError(f"dashboard must be True or False, got {dashboard!r}")
        _check_workers(n_workers)
        if dashboard and n_workers is None:
            raise ValueError("dashboard=True applies to the local cluster that workers=N "
                             "starts; a given cluster has its own dashboard settings")
        self.n_workers, self.address, self._given = n_workers, address, client
        self.dashboard = dashboard
        self.client: Any = client
        self.cluster: Any = None

    @property
    def owned(self) -> bool:
        """True when this executor starts (and closes) its own cluster."""
        return self.n_workers is not None

    def check(self, estimator: Any, strategy: str) -> None:
        """Refuse, before anything is written, what cannot run on workers: an estimator
        object (it travels by registry name), one defined in ``__main__``, a sequential
        strategy."""
        from ... import estimators

        if not isinstance(estimator, str):
            raise ValueError("with workers, pass the estimator by its registry name (an "
                             f"object such as {type(estimator).__name__}() cannot be shipped to "
                             "workers); register its class with nasbench_ui.estimators.register")
        history_fields(estimators.get(estimator))  # a bad HISTORY declaration: ValueError
        module = estimators.get(estimator).__module__
        if module == "__main__":
            raise ValueError(f"with workers, the estimator {estimator!r} must live in an "
                             "importable module: its class is defined in __main__, which the "
                             "worker processes cannot import; move it to a .py module")
        self.check_strategy(strategy)

    def check_strategy(self, name: str) -> None:
        """Refuse a strategy whose trials must run one after another (ValueError)."""
        if name in SEQUENTIAL_STRATEGIES:
            raise ValueError(f"the {name!r} strategy is sequential (each trial needs the "
                             "previous one); it cannot run with workers")

    def start(self) -> Any:
        """Connect (starting the local cluster first when owned); return the client."""
        distributed = require_distributed()
        if self.client is not None and self._given is not None:
            return self.client
        if self.client is None:
            if self.owned:
                import dask

                from .cluster import start_local_cluster

                # Dask spawns workers with MALLOC_TRIM_THRESHOLD_=65536; with torch's many
                # small allocations that made a training trial take about 1.7x the CPU
                # time here, so the clusters started here keep glibc's default
                with dask.config.set({TRIM_KEY: None}):
                    self.cluster = start_local_cluster(
                        self.n_workers, dashboard=self.dashboard,
                        scheduler_options={"allowed_failures": 0})
                self.client = distributed.Client(self.cluster, set_as_default=False)
            else:
                self.client = distributed.Client(self.address, set_as_default=False)
        return self.client

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard's address while the cluster runs, else None.

        Only a cluster started with ``dashboard=True`` has one (on 127.0.0.1, a free
        port); for a given client or scheduler address it is that cluster's link, if any.
        """
        if self.client is None:
            return None
        try:
            link = self.cluster.dashboard_link if self.cluster is not None \
                else self.client.dashboard_link
        except Exception:  # the scheduler is gone or has no HTTP service
            log.debug("no dashboard link", exc_info=True)
            return None
        return link or None

    def close(self) -> None:
        """Close the client and cluster this executor started (a given client stays)."""
        if self._given is not None:
            return
        client, cluster, self.client, self.cluster = self.client, self.cluster, None, None
        for thing in (client, cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # already gone
                    log.debug("closing %r failed", thing, exc_info=True)

    def __repr__(self) -> str:
        where = (f"LocalCluster({self.n_workers} workers)" if self.owned
                 else self.address or repr(self._given))
        return f"DaskExecutor({where})"
