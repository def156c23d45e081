"""``tabular``: look an architecture up in a benchmark table and charge a simulated cost.

Tabular NAS benchmarks (NAS-Bench-101: Ying et al., ICML 2019; NAS-Bench-201: Dong and
Yang, ICLR 2020) trained every architecture of a space once, so a search strategy can
be evaluated by table lookup instead of training. To keep comparisons honest, each
query is charged the time the real training took: ``cost_s = sum(weight * row[col])``
over the ``cost`` columns (for NAS-Bench-201's protocol, 12 epochs of training plus
one validation pass: ``{"train_time_per_epoch_s": 12, "valid_time_s": 1}``). A
repeated query is charged again. With a budget in seconds, a query that costs more
than what is left raises :class:`BudgetExhausted` instead of returning.

The table is ``"digits"`` (the table the package ships, :mod:`nasbench_ui.tables`),
a CSV file (``table=``, loaded once per path and modification time) or a
``pandas.DataFrame`` (``frame=``, a constructor keyword that is not a JSON option).
Rows are matched on the ``key`` column against ``ctx.space.key(arch)``.

Tables are read only from places the user names. A path must be a regular file whose
name ends in ``.csv`` (``.csv.gz`` for a gzip copy), outside ``/proc``, ``/dev`` and
``/sys``; anything else is refused before it is opened (:func:`table_path`), and its
header must hold the key, metric, cost and extra columns. A path named by a stored
experiment or an imported config (inside :func:`nasbench_ui.trust.untrusted`) must be
trusted first: ``nb.trust("/data/tables")`` or ``--trust /data/tables``. No error
message quotes the file's content: a missing column is named with the count of columns.

Example:
    >>> import pandas as pd
    >>> from nasbench_ui import spaces
    >>> from nasbench_ui.estimators.base import EstimateContext
    >>> space = spaces.nb201()
    >>> a = space.sample(__import__("random").Random(0))
    >>> df = pd.DataFrame({"arch_str": [space.key(a)], "acc": [91.5], "t": [10.0]})
    >>> est = TabularEstimator(frame=df, metric="acc", cost={"t": 12}, scale=0.01)
    >>> e = est.estimate(a, EstimateContext(space=space, dataset=None))
    >>> round(e.value, 3), e.metrics["cost_s"]
    (0.915, 120.0)
"""

from __future__ import annotations

import math
import numbers
import os
import stat
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..options import Option
from ..trust import check_path
from .base import BudgetExhausted, Estimate, EstimateContext, Estimator, TrialFailed
from .tabular_rungs import RungTable

#: The folder of the tables the package ships (:mod:`nasbench_ui.tables`, also
#: ``nb.benchmarks``): read without trust.
SHIPPED_DIR = (Path(__file__).resolve().parent.parent / "tables" / "data").resolve()
_SUFFIXES = (".csv", ".csv.gz")
_SYSTEM_ROOTS = (Path("/proc"), Path("/dev"), Path("/sys"))
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX: opening a FIFO must not block
_TABLES: dict[tuple[str, int, int], Any] = {}
_TABLES_LOCK = threading.Lock()
_MAX_TABLES = 4
# the checked lookup index of a table read from a file, per (frame, key, metric, scale,
# costs, extras): a benchmark or a race builds many experiments on one table, and
# indexing NAS-Bench-201's 15,625 rows took a third of a short search's wall time
_INDEXES: dict[tuple[Any, ...], tuple[Any, dict[str, tuple[float, float, tuple[Any, ...]]]]] = {}
_MAX_INDEXES = 8


def _refuse(path: Any, why: str) -> ValueError:
    return ValueError(f"tabular: the table {_short(str(path))} {why}; give the path of a CSV file "
                      f"(a name ending in .csv) or \"digits\" for the shipped table")


def _short(text: str) -> str:
    """``repr(text)`` (one line) cut to about 200 characters."""
    r = repr(text)
    return r if len(r) <= 200 else r[:197] + "..."


def _is_shipped(resolved: Path) -> bool:
    """True for a file of the package's own benchmark data (``nb.benchmarks``)."""
    return resolved.parent == SHIPPED_DIR


def table_path(path: str | os.PathLike[str]) -> Path:
    """The resolved path of a table the user may read; ValueError or UntrustedError if not.

    A table is a regular file whose name ends in ``.csv`` (any case; ``.csv.gz`` is read
    as gzip), or a file the package ships. Nothing is opened: ``/proc``, ``/dev`` and
    ``/sys``, folders, FIFOs, devices and other suffixes are refused from their path and
    ``stat``. Inside :func:`nasbench_ui.trust.untrusted` (a path named by a stored file
    or an imported config), the path must be trusted (:func:`nasbench_ui.trust.trust`).

    Example:
        >>> table_path("/proc/self/environ")
        Traceback (most recent call last):
        ...
        ValueError: tabular: the table '/proc/self/environ' is under /proc, not a data file; ...
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise ValueError(f"tabular: the table must be a path (a str), got {_short(str(path))}")
    try:
        resolved = Path(path).expanduser().resolve()
    except (OSError, RuntimeError) as err:  # a symlink loop, an unreadable folder
        raise _refuse(path, f"cannot be resolved ({type(err).__name__})") from None
    if _is_shipped(resolved):
        return resolved
    check_path(path, "the table")
    for root in _SYSTEM_ROOTS:
        if resolved == root or resolved.is_relative_to(root):
            raise _refuse(path, f"is under {root}, not a data file")
    try:
        st = resolved.stat()
    except OSError as err:
        raise ValueError(
            f"tabular: cannot read the table {_short(str(path))} ({err.strerror or 'error'}); "
            f"give the path of a CSV file (relative paths start at {os.getcwd()})"
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(path, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, "is not a regular file (a pipe, socket or device)")
    for name in {Path(path).name, resolved.name}:
        if not name.lower().endswith(_SUFFIXES):
            raise _refuse(path, f"is not a CSV file (its name {_short(name)} does not end "
                                "in .csv)")
    return resolved


def _open_regular(resolved: Path, path: Any) -> Any:
    """Open a file without blocking on a FIFO swapped in since the check; a binary file."""
    fd = os.open(resolved, os.O_RDONLY | _NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _refuse(path, "is not a regular file (a pipe, socket or device)")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _missing(columns: Any, required: Sequence[tuple[str, str]]) -> list[str]:
    have = {str(c) for c in columns}
    return [f"{col!r} ({role})" for role, col in required if col not in have]


def load_table(path: str | os.PathLike[str],
               required: Sequence[tuple[str, str]] = ()) -> Any:
    """Read a CSV table once per (path, modification time, size).

    ``path`` is checked by :func:`table_path` before it is opened. ``required`` lists
    ``(role, column)`` pairs the header must hold, e.g. ``[("key", "arch_str")]``.
    ValueError when the path or the header is wrong; no message quotes the file.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> p = Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = p.write_text("arch_str,acc\\na,1.5\\n")
        >>> load_table(p, [("key", "arch_str")])["acc"].tolist()
        [1.5]
        >>> load_table(p, [("metric", "valid_acc")])
        Traceback (most recent call last):
        ...
        ValueError: tabular: the table '...t.csv' has no column 'valid_acc' (metric); it has 2 columns
    """
    import pandas as pd

    resolved = table_path(path)
    st = resolved.stat()
    cache_key = (str(resolved), st.st_mtime_ns, st.st_size)
    with _TABLES_LOCK:
        frame = _TABLES.get(cache_key)
    if frame is None:
        compression = "gzip" if resolved.name.lower().endswith(".gz") else None
        with _open_regular(resolved, path) as f:
            try:
                header = pd.read_csv(f, nrows=0, compression=compression)
                _check_header(path, header.columns, required)
                f.seek(0)
                frame = pd.read_csv(f, compression=compression)
            except ValueError as err:
                if str(err).startswith("tabular:"):
                    raise
                raise _unparsable(path, err) from None
            except Exception as err:  # the parser's message may quote the file: never show it
                raise _unparsable(path, err) from None
        with _TABLES_LOCK:
            while len(_TABLES) >= _MAX_TABLES:
                _TABLES.pop(next(iter(_TABLES)))
            _TABLES[cache_key] = frame
    _check_header(path, frame.columns, required)
    return frame


def _check_header(path: Any, columns: Any, required: Sequence[tuple[str, str]]) -> None:
    missing = _missing(columns, required)
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise ValueError(f"tabular: the table {_short(str(path))} has no column{s} "
                         f"{', '.join(missing)}; it has {len(columns)} columns")


def _unparsable(path: Any, err: BaseException) -> ValueError:
    return ValueError(f"tabular: cannot parse the table {_short(str(path))} as CSV "
                      f"({type(err).__name__}); check that it is a comma-separated text file "
                      "with a header line")


def _plain(v: Any) -> Any:
    """A numpy scalar as a plain Python value."""
    return v.item() if hasattr(v, "item") else v


class TabularEstimator(Estimator):
    """Look up ``metric`` for ``space.key(arch)`` in a table; charge ``cost`` seconds.

    ``cost`` maps columns to weights; a str names one column (weight 1). ``scale``
    multiplies the metric (0.01 turns percent into fractions); ``extra_metrics`` are
    copied unscaled. Metrics: ``{metric: value, "cost_s": cost, **extra}``.
    ``cost_weights`` holds the ``{column: weight}`` map; :meth:`cost` prices a query.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"arch_str": ["a"], "valid_acc_12ep": [90.0]})
        >>> TabularEstimator(frame=df).columns
        ['arch_str', 'valid_acc_12ep']
    """

    NAME = "tabular"
    OPTIONS: dict[str, Option] = {
        "table": Option(str, None, optional=True,
                        help='path of the benchmark CSV, or "digits" for the shipped table'),
        "key": Option(str, "arch_str", help="column matched against space.key(arch)"),
        "metric": Option(str, "valid_acc_12ep", help="column holding the objective"),
        "cost": Option(dict, {}, help="{column: weight}: simulated seconds charged per query "
                                      "(a column name means weight 1)"),
        "scale": Option(float, 1.0, help="factor applied to the metric (0.01: percent -> fraction)"),
        "extra_metrics": Option(list, [], help="more columns copied into the metrics"),
        "curve": Option(str, "", help="multi-fidelity: column of JSON lists, the metric after "
                                      "each epoch (digits: 'curve')"),
        "epoch_metrics": Option(dict, {}, help="multi-fidelity: {epochs: column}, e.g. "
                                               "{'12': 'valid_acc_12ep', '200': 'valid_acc_200ep'}"),
        "cost_per_epoch": Option(dict, {}, help="multi-fidelity: {column: weight}, simulated "
                                                "seconds per epoch a rung adds"),
    }

    @classmethod
    def prepare_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        """Accept ``cost`` as one column name before the options are type-checked."""
        if isinstance(options.get("cost"), str):
            options = {**options, "cost": {options["cost"]: 1.0}}
        return options

    def __init__(self, table: str | os.PathLike[str] | None = None, key: str = "arch_str",
                 metric: str = "valid_acc_12ep", cost: dict[str, float] | str | None = None,
                 scale: float = 1.0, extra_metrics: list[str] | None = None,
                 frame: Any = None, curve: str = "", epoch_metrics: dict[str, str] | None = None,
                 cost_per_epoch: dict[str, float] | None = None) -> None:
        self._shipped = table == "digits"
        if table == "digits":  # the table that ships (nb.benchmarks.digits), with its defaults
            from ..tables.digits import digits_estimator_options

            shipped = digits_estimator_options()
            table = shipped["table"]
            metric = shipped["metric"] if metric == "valid_acc_12ep" else metric
            cost = cost or ({} if cost_per_epoch else shipped["cost"])
            extra_metrics = extra_metrics or shipped["extra_metrics"]
        if table is None and frame is None:  # the workbench's options show "table" only
            raise ValueError("tabular looks each architecture up in a table of measured ones: "
                             "set its table option to a CSV file, or to 'digits' (the table "
                             "shipped for the digits_cell space); in code, frame= takes a "
                             "pandas DataFrame")
        if table is not None and frame is not None:
            raise ValueError("tabular: give table= (a CSV path) or frame= (a pandas "
                             "DataFrame), not both")
        if frame is not None:
            if not hasattr(frame, "columns") or not hasattr(frame, "__getitem__"):
                raise ValueError(f"tabular: frame must be a pandas DataFrame, got "
                                 f"{type(frame).__name__}")
            self.source = "the frame given"
        cost = self.prepare_options({"cost": cost or {}})["cost"]
        if not isinstance(cost, dict):
            raise ValueError(f"tabular: cost must be a dict {{column: weight}} or a column "
                             f"name, got {cost!r}")
        for col, w in cost.items():
            if isinstance(w, bool) or not isinstance(w, numbers.Real) or not math.isfinite(w):
                raise ValueError(f"tabular: cost weight of {col!r} must be a finite number, "
                                 f"got {w!r}")
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not math.isfinite(scale):
            raise ValueError(f"tabular: scale must be a finite number, got {scale!r}")
        extra = list(extra_metrics or [])
        if table is not None:
            required = [("key", key), ("metric", metric), *(("cost", str(c)) for c in cost),
                        *(("extra_metrics", str(c)) for c in extra),
                        *(("curve", c) for c in [curve] if c),
                        *(("epoch_metrics", str(c)) for c in (epoch_metrics or {}).values()),
                        *(("cost_per_epoch", str(c)) for c in (cost_per_epoch or {}))]
            frame = load_table(table, required)
            self.source = f"the table {_short(str(table))}"
        self.table, self.key, self.metric = (str(table) if table is not None else None), key, metric
        self.cost_weights = {str(c): float(w) for c, w in cost.items()}
        self.scale, self.extra_metrics = float(scale), extra
        self.columns = [str(c) for c in frame.columns]
        self._index = self._checked_index(frame, cached=table is not None)
        self._rungs: RungTable | None = None
        if curve or epoch_metrics or cost_per_epoch:
            for label, cols in (("epoch_metrics", list((epoch_metrics or {}).values())),
                                ("cost_per_epoch", list(cost_per_epoch or {}))):
                missing = _missing(frame.columns, [(label, str(c)) for c in cols])
                if missing:
                    raise ValueError(f"tabular: column(s) {', '.join(missing)} not in "
                                     f"{self.source}")
            if curve and curve not in set(map(str, frame.columns)):
                raise ValueError(f"tabular: the curve column {curve!r} is not in {self.source}")
            self._rungs = RungTable(frame, key, curve, dict(epoch_metrics or {}),
                                    dict(cost_per_epoch or {}), self.scale)

    def _check_columns(self, frame: Any) -> None:
        wanted = [("key", self.key), ("metric", self.metric)]
        wanted += [("cost", c) for c in self.cost_weights] + [("extra_metrics", c) for c in self.extra_metrics]
        missing = _missing(frame.columns, wanted)
        if missing:  # a table's header was checked on load: only a frame gets here
            shown = ", ".join(map(repr, self.columns[:20])) + (", ..." if len(self.columns) > 20
                                                                else "")
            raise ValueError(f"tabular: column(s) {', '.join(missing)} not in {self.source}; "
                             f"its {len(self.columns)} columns are [{shown}]")
        import pandas as pd

        for col in [self.metric, *self.cost_weights]:
            if not pd.api.types.is_numeric_dtype(frame[col]):
                raise ValueError(f"tabular: column {col!r} of {self.source} must hold numbers "
                                 f"(dtype {frame[col].dtype})")
        dup = frame[self.key].astype(str).duplicated()
        if bool(dup.any()):
            example = ""
            if self.table is None:  # a value of the user's frame; never quote a file
                example = f", e.g. {_short(str(frame[self.key].astype(str)[dup].iloc[0]))}"
            raise ValueError(f"tabular: the key column {self.key!r} of {self.source} repeats "
                             f"{int(dup.sum())} value(s){example}; keep one row per "
                             "architecture (average the seeds first)")

    def _checked_index(self, frame: Any, cached: bool) -> dict[str, tuple[float, float, tuple[Any, ...]]]:
        """The lookup index of ``frame`` after :meth:`_check_columns`; shared by the
        estimators of one process on the same (unchanged) table file, never for a frame
        the caller holds (it may change between experiments)."""
        if not cached:
            self._check_columns(frame)
            return self._build_index(frame)
        cache_key = (id(frame), self.key, self.metric, self.scale,
                     tuple(sorted(self.cost_weights.items())), tuple(self.extra_metrics))
        with _TABLES_LOCK:
            hit = _INDEXES.get(cache_key)
        if hit is not None and hit[0] is frame:  # the same frame object, not a reused id
            return hit[1]
        self._check_columns(frame)
        index = self._build_index(frame)
        with _TABLES_LOCK:
            while len(_INDEXES) >= _MAX_INDEXES:
                _INDEXES.pop(next(iter(_INDEXES)))
            _INDEXES[cache_key] = (frame, index)
        return index

    def _build_index(self, frame: Any) -> dict[str, tuple[float, float, tuple[Any, ...]]]:
        keys = frame[self.key].astype(str).tolist()
        values = (frame[self.metric].astype(float) * self.scale).tolist()
        costs = [0.0] * len(keys)
        for col, w in self.cost_weights.items():
            costs = [c + w * float(v) for c, v in zip(costs, frame[col].tolist(), strict=True)]
        extras = list(zip(*(map(_plain, frame[c].tolist()) for c in self.extra_metrics),
                          strict=True)) if self.extra_metrics else [()] * len(keys)
        return dict(zip(keys, zip(values, costs, extras, strict=True), strict=True))

    def __len__(self) -> int:
        return len(self._index)

    def cost(self, arch: dict[str, Any], space: Any) -> float | None:
        """The simulated seconds a query of ``arch`` would be charged, without making it.

        None when ``arch`` is not valid in ``space`` or not in the table (the query
        would fail, and a failed trial is charged nothing). The experiment calls this
        before a trial so that a query that would overrun the budget is never made.
        """
        return self.cost_at(arch, space, {})

    def cost_at(self, arch: dict[str, Any], space: Any, meta: dict[str, Any]) -> float | None:
        """The simulated seconds of ``arch`` at the multi-fidelity rung ``meta`` asks for
        (``meta["budget"]``; a promotion pays only for the epochs it adds); without a
        budget, the whole training the table records. None as for :meth:`cost`. The
        run's ledger asks this before a scheduler's trial runs."""
        try:
            k = space.key(arch)
        except ValueError:
            return None
        row = self._index.get(k)
        if row is None or not math.isfinite(row[1]):
            return None
        if self._rungs is None:
            return row[1]
        try:
            return self._rungs.cost(k, meta, row[1])
        except TrialFailed:
            return None

    def check_space(self, space: Any) -> None:
        """Refuse a space the shipped ``digits`` table cannot hold: it measured the cells
        of the ``digits_cell`` preset only, so a space with another edge or operation
        (``nb201``: 15,625 cells against its 1,296) would fail most trials. A CSV or a
        frame given is the user's: a cell it lacks fails its own trial."""
        if not self._shipped:
            return
        from ..space.presets import digits_cell

        held = {e.label: e.ops for e in digits_cell().edges}
        lacks = [f"edge {e.label}: {', '.join(o for o in e.ops if o not in held.get(e.label, ()))}"
                 for e in space.edges if not set(e.ops) <= set(held.get(e.label, ()))]
        if space.key_format != "nb201" or set(held) - {e.label for e in space.edges} or lacks:
            raise ValueError(
                f"tabular: the 'digits' table holds the {len(self._index):,} cells of the "
                f"digits_cell preset only, and the space {space.name!r} has cells it lacks"
                + (f" ({'; '.join(lacks[:3])})" if lacks else "")
                + ": search the digits_cell preset (its edges may drop operations), or give "
                "a table measured on this space (NAS-Bench-201's CSV for nb201)")

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        if ctx.space is None:
            raise ValueError("tabular: the context has no search space to compute the key")
        k = ctx.space.key(arch)
        row = self._index.get(k)
        if row is None:
            raise TrialFailed(f"tabular: architecture {k!r} is not in the {self.key!r} column "
                              f"of {self.source} ({len(self._index)} rows)")
        value, cost, extra = row
        if not math.isfinite(value):
            raise TrialFailed(f"tabular: {self.source} has no {self.metric!r} for {k!r}")
        if not math.isfinite(cost):
            raise TrialFailed(f"tabular: {self.source} has no cost "
                              f"({list(self.cost_weights)}) for {k!r}")
        rung = self._rungs is not None and isinstance(ctx.meta.get("budget"), dict)
        if self._rungs is not None:
            cost = self._rungs.cost(k, ctx.meta if rung else {}, cost)
        left = ctx.budget_left()
        if left is not None and cost > left:
            raise BudgetExhausted(f"tabular: the query costs {cost:.1f} simulated seconds but "
                                  f"only {left:.1f} are left", cost=cost, left=left)
        metrics = {self.metric: value, "cost_s": cost}
        if rung and self._rungs is not None:  # a multi-fidelity rung: its epochs, its curve
            value, epochs, points = self._rungs.lookup(k, ctx.meta)
            for point in points:
                ctx.report(point)
            metrics.update({self.metric: value, "epochs": epochs})
        if extra:
            metrics.update(zip(self.extra_metrics, extra, strict=True))
        return Estimate(value=value, metrics=metrics)
