"""A small tabular benchmark that ships: NAS-Bench-201-style cells trained on digits.

NAS-Bench-201 (Dong and Yang, ICLR 2020) trained all 15,625 cells of its space on
CIFAR and ImageNet16 so that search strategies can be compared by table lookup. This
module holds a pocket-sized analogue that runs offline: **every** cell of
:func:`digits_space` -- the NAS-Bench-201 cell (one cell, 16 channels, a 3x3 stem and
global average pooling) with the operations of each edge cut down so that the whole
space is 1,296 cells -- trained on the ``digits`` data set (8x8 images, split 0.6 / 0.2 /
0.2 with data seed 0) for a few epochs with Adam, once per training seed, on one CPU
thread. Because the table covers its space, any strategy searching ``digits_space()``
with the ``tabular`` estimator finds every proposal in it: races and estimator studies
run in seconds, on the workshop's own data set.

The table (``data/digits_cell.csv.gz``) has one row per architecture, keyed by the
official NAS-Bench-201 string ``arch_str`` (``space.key(arch)``), with accuracies as
fractions: ``valid_acc`` and ``test_acc`` (means over the seeds, after the last epoch),
``valid_acc_s<seed>`` / ``test_acc_s<seed>`` per seed, ``params``, ``flops`` (one
forward pass of one sample), ``cost_s`` (measured seconds of one training, mean over
seeds) and ``curve`` (JSON list: mean validation accuracy per epoch; ``curve_s<seed>``
per seed). Beside it, ``digits_cell.json`` holds the build protocol and
``digits_cell.sha256`` the checksums of both files, verified on every load.

The table is built by ``benchmarks/build_digits_bench.py``; :func:`train_one` is the
training run it records, so a row can be re-trained and compared. This module lives in
:mod:`nasbench_ui.tables` (the tables that ship); ``nb.benchmarks`` and
``nasbench_ui.benchmarks.digits`` re-export it under their old names.

Example:
    >>> import nasbench_ui as nb
    >>> df = nb.benchmarks.digits()
    >>> len(df) >= 1000 and {"arch_str", "valid_acc", "curve"} <= set(df.columns)
    True
    >>> digits_estimator_options()["metric"]
    'valid_acc'
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

DATA_DIR = Path(__file__).resolve().parent / "data"
TABLE_NAME = "digits_cell.csv.gz"
META_NAME = "digits_cell.json"
SUMS_NAME = "digits_cell.sha256"


#: The training protocol of the shipped table (also stored in its JSON file).
PROTOCOL: dict[str, Any] = {
    "space": "digits_cell",
    "channels": 16,
    "dataset": "digits",
    "data_seed": 0,
    "epochs": 8,
    "batch_size": 64,
    "optimizer": "adam",
    "learning_rate": 0.01,
    "threads": 1,
}


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file's bytes.

    Example:
        >>> len(sha256_of(DATA_DIR / TABLE_NAME))
        64
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_checksums(table: str | Path) -> Path:
    """Write ``<stem>.sha256`` beside ``table`` covering it and its JSON protocol file.

    Example:
        >>> import shutil, tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> t = Path(shutil.copy(DATA_DIR / TABLE_NAME, d / TABLE_NAME))
        >>> _ = shutil.copy(DATA_DIR / META_NAME, d / META_NAME)
        >>> write_checksums(t).read_text() == (DATA_DIR / SUMS_NAME).read_text()
        True
    """
    table = Path(table)
    lines = [f"{sha256_of(p)}  {p.name}\n" for p in (table, _meta_path(table)) if p.is_file()]
    out = _sums_path(table)
    out.write_text("".join(lines))
    return out


def verify(table: str | Path | None = None) -> Path:
    """Check the table (and its JSON file) against the stored sha256; return its path.

    Raises ValueError naming the file when a checksum is missing or does not match.

    Example:
        >>> verify().name
        'digits_cell.csv.gz'
    """
    path = Path(table) if table is not None else DATA_DIR / TABLE_NAME
    if not path.is_file():
        raise ValueError(f"digits benchmark: no table at {str(path)!r}; build it with "
                         "`python benchmarks/build_digits_bench.py`")
    sums = _sums_path(path)
    if not sums.is_file():
        raise ValueError(f"digits benchmark: no checksum file {sums.name!r} beside {str(path)!r}")
    expected: dict[str, str] = {}
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            expected[parts[1]] = parts[0].lower()
    for p in (path, _meta_path(path)):
        if p.name not in expected:
            if p == path or p.is_file():
                raise ValueError(f"digits benchmark: {sums.name!r} has no checksum for {p.name!r}")
            continue
        if not p.is_file():
            raise ValueError(f"digits benchmark: {str(p)!r} is missing; {sums.name!r} lists it")
        got = sha256_of(p)
        if got != expected[p.name]:
            raise ValueError(f"digits benchmark: checksum mismatch for {str(p)!r}: sha256 is "
                             f"{got}, expected {expected[p.name]}; the file is corrupted or was "
                             "changed — rebuild it or restore the shipped copy")
    return path


def digits(path: str | Path | None = None) -> Any:
    """The shipped digits benchmark as a ``pandas.DataFrame`` (checksum verified).

    ``path`` reads another copy of the table (its ``.sha256`` and ``.json`` beside it).

    Example:
        >>> df = digits()
        >>> float(df["valid_acc"].max()) > 0.9
        True
    """
    import pandas as pd

    p = verify(path)
    return pd.read_csv(p)


def protocol(path: str | Path | None = None) -> dict[str, Any]:
    """The build protocol stored beside the table (checksum verified).

    Example:
        >>> protocol()["epochs"] <= 10
        True
    """
    p = verify(path)
    meta = _meta_path(p)
    if not meta.is_file():
        raise ValueError(f"digits benchmark: no protocol file {meta.name!r} beside {str(p)!r}")
    return json.loads(meta.read_text())


def digits_estimator_options(path: str | Path | None = None) -> dict[str, Any]:
    """Options of the ``tabular`` estimator for the shipped table (checksum verified).

    The objective is ``valid_acc`` (a fraction); each query is charged ``cost_s``, the
    measured seconds of the training it replaces; ``test_acc``, ``params`` and ``flops``
    come along as metrics.

    Search :func:`digits_space` with it: the table holds every cell of that space. (A
    cell of the full ``nb201`` space outside it fails: the trial is FAILED, charged
    nothing.)

    Example:
        >>> import nasbench_ui as nb
        >>> exp = nb.Experiment(digits_space(), strategy="evolution", estimator="tabular",
        ...                     estimator_options=digits_estimator_options(), trials=30)
        >>> sorted({t.state.name for t in exp.run().trials})
        ['COMPLETE']
    """
    p = verify(path)
    return {"table": str(p), "key": "arch_str", "metric": "valid_acc", "cost": {"cost_s": 1.0},
            "extra_metrics": ["test_acc", "params", "flops"]}


def digits_multifidelity_options(path: str | Path | None = None) -> dict[str, Any]:
    """Options of the ``tabular`` estimator for multi-fidelity search on the shipped table.

    A scheduler (``successive_halving``, ``hyperband``, ``bohb``, ``asha``; fidelity
    ``"epochs"``, budgets within 1..8) asks for a rung of ``e`` epochs: the value is the
    ``curve`` column's entry ``e`` (the mean validation accuracy after ``e`` epochs),
    the curve points of the epochs the rung adds are reported, and the rung is charged
    ``cost_s / 8`` per epoch it adds (``cost_s`` is the measured time of the 8 epochs,
    :data:`PROTOCOL`). A query without a budget is charged ``cost_s``, as with
    :func:`digits_estimator_options`.

    Example:
        >>> o = digits_multifidelity_options()
        >>> o["curve"], o["cost_per_epoch"], o["cost"]
        ('curve', {'cost_s': 0.125}, {})
    """
    options = digits_estimator_options(path)
    epochs = int(protocol(path)["epochs"])
    return {**options, "cost": {}, "curve": "curve", "cost_per_epoch": {"cost_s": 1.0 / epochs}}


def digits_space(channels: int = 16) -> Any:
    """The space the shipped table covers completely (the ``digits_cell`` preset): the
    NAS-Bench-201 cell with 3 or 4 operations per edge (4 x 3 x 3 x 4 x 3 x 3 = 1,296).

    Its keys are official NAS-Bench-201 strings, so each of its cells is also a cell of
    ``nb.spaces.nb201()``, built the same way.

    Example:
        >>> space = digits_space()
        >>> space.size(), space.name
        (1296, 'digits_cell')
        >>> len(digits()) == space.size()
        True
    """
    from ..space.presets import digits_cell

    return digits_cell(channels)


@functools.lru_cache(maxsize=2)
def _splits(dataset: str, data_seed: int) -> Any:
    from ..data import load
    from ..estimators.trainer import Splits

    ds = load(dataset, seed=data_seed)
    return ds, Splits.of(ds, "cpu")


def train_one(arch: Mapping[str, Any], seed: int,
              config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Train ``arch`` once with training seed ``seed`` under ``config`` (default
    :data:`PROTOCOL`) on one CPU thread; return the record the table is built from.

    Reproducible: the model's initialisation and batch order come from ``seed``
    (through the package's trainer), and torch runs on one thread for the call.

    Example:
        >>> arch = digits_space().sample(__import__("random").Random(0))
        >>> r = train_one(arch, 0, {**PROTOCOL, "epochs": 1})
        >>> len(r["curve"]), 0.0 <= r["valid_acc"] <= 1.0
        (1, True)
    """
    from ..estimators.base import EstimateContext
    from ..estimators.metrics import count_flops, count_params
    from ..estimators.trainer import TrainConfig, accuracy, fit, seeded
    from ..spaces import nb201

    cfg = {**PROTOCOL, **(config or {})}
    space = nb201(channels=int(cfg["channels"]))
    space.validate(dict(arch))
    ds, splits = _splits(str(cfg["dataset"]), int(cfg["data_seed"]))
    tc = TrainConfig(epochs=int(cfg["epochs"]), batch_size=int(cfg["batch_size"]),
                     optimizer=str(cfg["optimizer"]), learning_rate=float(cfg["learning_rate"]))
    threads = torch.get_num_threads()
    torch.set_num_threads(int(cfg.get("threads", 1)))
    try:
        start = time.perf_counter()
        ctx = EstimateContext(space=None, dataset=None)
        with seeded(int(seed), "cpu") as gen:
            model = space.build(dict(arch), ds.input_shape, ds.num_classes)
            result = fit(model, splits, tc, ctx, gen)
        test_acc = accuracy(model, splits.x_test, splits.y_test)
        cost = time.perf_counter() - start
        flops = count_flops(model, ds.input_shape)
    finally:
        torch.set_num_threads(threads)
    return {
        "arch_str": space.key(dict(arch)), "seed": int(seed),
        "valid_acc": round(result.valid_acc, 6), "test_acc": round(test_acc, 6),
        "train_loss": round(result.train_loss, 6),
        "curve": [round(float(p["valid_acc"]), 6) for p in ctx.curve],
        "params": count_params(model), "flops": flops, "cost_s": round(cost, 4),
    }


def _meta_path(table: Path) -> Path:
    return table.with_name(table.name.split(".")[0] + ".json")


def _sums_path(table: Path) -> Path:
    return table.with_name(table.name.split(".")[0] + ".sha256")
