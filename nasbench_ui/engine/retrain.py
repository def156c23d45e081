"""``exp.retrain()``: train the found architecture from scratch, larger, in the background.

The usual last step of a cell search (NAS-Bench-201, DARTS: Liu et al., ICLR 2019,
section 3.2): search on a small network, then train the found cell stacked at its
published size (``stack=``, see :mod:`nasbench_ui.space.stacked`) for more epochs,
perhaps on another data set. :func:`begin` does this on a daemon thread, as ``start()``
runs a search, and returns a :class:`Retraining` handle: ``wait()`` (raises the error
that ended it), ``result``, ``status``, ``curve`` (one point per epoch, as it comes) and
``stop()``. Each step is also an observer event of the experiment:
``Event("retrain", name, number, {"status": ...})`` at the start and the end, and
``Event("retrain_curve", name, number, point)`` per epoch.

Which architecture: the one given, else the search's best; for DARTS (whose trials are
supernet epochs) the architecture derived after the last search epoch. The finished
:class:`Retrained` is kept by the experiment's :class:`~.models.ModelKeeper`, so
``best_model()`` and ``export_best()`` use the retrained network (the latest retraining
wins). With a file store it is also saved next to the trials' weights
(``<db>.weights/<experiment>/retrained.pt`` and ``retrained.json``), so
``Experiment.load`` in a new process finds it; the store itself is not written.

Example:
    >>> import nasbench_ui as nb
    >>> exp = nb.Experiment("nb201", estimator="zero_cost", trials=2, seed=0).run()
    >>> job = exp.retrain(stack={"cells": 1, "channels": 4}, epochs=1)
    >>> r = job.wait(); job.status, len(job.curve), r.epochs, r.stack["cells"]
    ('done', 1, 1, 1)
    >>> exp.best_model() is r.model
    True
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..estimators.base import EstimateContext, Interrupted
from ..estimators.metrics import count_params
from ..estimators.trainer import (
    TRAIN_OPTIONS,
    Splits,
    TrainConfig,
    accuracy,
    fit,
    seeded,
    size_threads,
    trial_threads,
)
from ..options import check
from ..space.stacked import Stack
from ..storage import Trial, TrialState
from .building import DatasetSource
from .events import Event
from .lifecycle import DONE, FAILED, RUNNING, Lifecycle


class Keeper(Protocol):
    """Where a finished retraining goes (:class:`~.models.ModelKeeper`)."""

    def keep_retrained(self, result: Retrained) -> str | None: ...


STOPPED = "stopped"
MAX_JSON_BYTES = 1_000_000
#: the most cells (cells x stages) a saved retrained network may stack: DARTS' published
#: network has 20, NAS-Bench-201's 15; laying out a million took minutes
MAX_SAVED_CELLS = 200
log = logging.getLogger(__name__)


@dataclass
class Retrained:
    """A finished retraining: the network and what it was trained on and reached."""

    number: int | None  #: the trial whose architecture was retrained (None: a given one)
    arch: dict[str, Any]
    stack: dict[str, int] | None
    dataset: str
    input_shape: tuple[int, ...]
    num_classes: int
    epochs: int
    valid_acc: float
    test_acc: float | None
    params: int
    seconds: float
    curve: list[dict[str, Any]] = field(default_factory=list)
    model: Any = None


def _files(exp: Any) -> tuple[Any, Any] | None:
    """The retrained network's weights and description files (None: a memory store)."""
    from ..weights import weights_dir

    path = exp.store.path
    if not path or str(path) == ":memory:":
        return None
    folder = weights_dir(str(path), exp.name)
    return folder / "retrained.pt", folder / "retrained.json"


def save_retrained(exp: Any, result: Retrained) -> str | None:
    """Save ``result`` next to the store's weights; a warning (never an exception) when
    it cannot be saved, None otherwise."""
    import torch

    files = _files(exp)
    if files is None:
        return None
    weights, desc = files
    meta = {k: v for k, v in dataclasses.asdict(
        dataclasses.replace(result, model=None)).items() if k != "model"}
    meta["input_shape"] = list(result.input_shape)
    try:
        weights.parent.mkdir(parents=True, exist_ok=True)
        for target, write in ((weights, lambda p: torch.save(result.model.state_dict(), p)),
                              (desc, lambda p: p.write_text(json.dumps(meta)))):
            tmp = target.with_suffix(".tmp")
            write(tmp)
            tmp.replace(target)
    except (OSError, RuntimeError) as err:
        log.warning("retrained network of %r not saved: %s", exp.name, err)
        return f"warning: the retrained network was not saved ({type(err).__name__}: {err})"
    return None


def load_retrained(exp: Any) -> Retrained | None:
    """The retrained network saved with ``exp``'s file store, or None (none saved, or a
    file that does not describe a network of this space: logged, nothing is changed)."""
    import torch

    files = _files(exp)
    if files is None or not files[0].is_file() or not files[1].is_file():
        return None
    weights, desc = files
    try:
        if desc.stat().st_size > MAX_JSON_BYTES:
            raise ValueError(f"{desc.name} is larger than {MAX_JSON_BYTES} bytes")
        meta = json.loads(desc.read_text())
        fields = {f.name for f in dataclasses.fields(Retrained)} - {"model"}
        if not isinstance(meta, dict) or set(meta) != fields:
            raise ValueError(f"{desc.name} does not hold the fields {sorted(fields)}")
        meta["arch"] = exp.space.canonical(meta["arch"])
        stack = None if meta["stack"] is None else Stack.from_dict(meta["stack"])
        meta["input_shape"] = tuple(int(v) for v in meta["input_shape"])
        state = torch.load(weights, map_location="cpu", weights_only=True, mmap=True)
        model = _build_saved(exp.space, meta["arch"], meta["input_shape"],
                             int(meta["num_classes"]), stack, state, weights.name)
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as err:
        log.warning("the retrained network of %r was not loaded: %s", exp.name, err)
        return None
    return Retrained(**meta, model=model.eval())


def _build_saved(space: Any, arch: dict[str, Any], input_shape: tuple[int, ...],
                 num_classes: int, stack: Stack | None, state: Any, name: str) -> Any:
    """The network a saved description names, with the weights ``state`` loaded: at most
    :data:`MAX_SAVED_CELLS` cells (laying out a million took minutes), and built only
    when its tensors are exactly those of ``state`` (:func:`~nasbench_ui.weights.build_to_fit`:
    no larger than the weights file ``name``). ValueError otherwise.
    """
    from ..weights import build_to_fit

    if stack is not None and stack.cells * stack.stages > MAX_SAVED_CELLS:
        raise ValueError(f"its stack has {stack.cells * stack.stages} cells; the most a "
                         f"saved network may have is {MAX_SAVED_CELLS}")
    return build_to_fit(space, arch, input_shape, num_classes, state, name, stack=stack)


def darts_arch(trials: list[Trial]) -> tuple[int, dict[str, Any]] | None:
    """``(number, arch)`` of the architecture DARTS derived after its last complete
    search epoch (``metrics["next_arch"]``), or None when no trial is a DARTS epoch.

    Example:
        >>> t = Trial(3, TrialState.COMPLETE, {"a": 1}, 0.5,
        ...           {"darts_phase": "search", "next_arch": {"a": 2}})
        >>> darts_arch([t])
        (3, {'a': 2})
    """
    epochs = [t for t in trials if t.state == TrialState.COMPLETE
              and (t.metrics or {}).get("darts_phase") == "search"]
    if not epochs or not isinstance(epochs[-1].metrics.get("next_arch"), dict):
        return None
    return epochs[-1].number, dict(epochs[-1].metrics["next_arch"])


def pick_arch(exp: Any, arch: dict[str, Any] | None) -> tuple[int | None, dict[str, Any]]:
    """The architecture to retrain: ``arch`` (checked against the space), else DARTS's
    final derived one, else the best trial's."""
    if arch is not None:
        return None, exp.space.canonical(arch)
    derived = darts_arch(exp.trials)
    if derived is not None:
        return derived
    best = exp.best()
    return best.number, dict(best.arch)


class Retraining:
    """The handle :func:`begin` returns; mirrors ``Experiment.start()``/``wait()``."""

    def __init__(self, exp: Any, number: int | None, arch: dict[str, Any],
                 stack: Stack | None, config: TrainConfig, data: Any, seed: int,
                 emit: Callable[[Event], None], keeper: Keeper) -> None:
        self.exp, self.number, self.arch, self.stack = exp, number, arch, stack
        self.emit, self.keeper = emit, keeper
        self.config, self.data, self.seed = config, data, seed
        self.curve: list[dict[str, Any]] = []
        self.result: Retrained | None = None
        self.warning: str | None = None  # the network could not be saved with the store
        self._life = Lifecycle(f"retrain:{exp.name}", self._status_event)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ state
    @property
    def status(self) -> str:
        """idle, running, stopping, done, stopped or failed (``error`` says why)."""
        return self._life.status

    @property
    def running(self) -> bool:
        return self._life.running

    @property
    def error(self) -> str | None:
        return self._life.last_error

    def progress(self) -> tuple[int, int]:
        """``(epochs done, epochs)``."""
        return len(self.curve), self.config.epochs

    def _status_event(self, event: Event) -> None:
        self.emit(Event("retrain", self.exp.name, self.number,
                        {**event.data, "epochs": self.config.epochs}))

    # -------------------------------------------------------------- lifecycle
    def stop(self, wait: bool = True, timeout: float | None = 60) -> None:
        """Stop after the current batch check; ``status`` becomes ``stopped``."""
        self._life.stop(wait, timeout)

    def wait(self, timeout: float | None = None) -> Retrained | None:
        """Block until the retraining ends; return its :class:`Retrained` (None when it
        was stopped), or raise the error that ended it."""
        self._life.wait(timeout)
        return self.result

    def _report(self, point: dict[str, Any]) -> None:
        with self._lock:
            self.curve.append(dict(point))
        self.emit(Event("retrain_curve", self.exp.name, self.number, dict(point)))

    def run(self) -> None:
        """Train (on the calling thread); :func:`begin` runs it in the background."""
        ds, device = self.data, self.exp.device
        shape = tuple(ds.input_shape)
        start = time.perf_counter()
        ctx = EstimateContext(space=self.exp.space, dataset=ds, device=device, seed=self.seed,
                              number=-1 if self.number is None else self.number,
                              report_fn=self._report, stop_fn=self._life.control.stop.is_set)
        try:
            with trial_threads(None, device) as threads:
                splits = Splits.of(ds, device)
                with seeded(self.seed, device) as gen:
                    model = self.exp.space.build(self.arch, shape, ds.num_classes,
                                                 stack=self.stack).to(device)
                    size_threads(threads, model, shape, self.config.batch_size, device)
                    out = fit(model, splits, self.config, ctx, gen)
                test = (accuracy(model, splits.x_test, splits.y_test)
                        if splits.x_test is not None and splits.y_test is not None else None)
        except Interrupted:
            self._life.set_status(STOPPED)
            return
        except BaseException as err:  # noqa: BLE001 - kept for wait(), status says which
            self._life.error = err
            self._life.last_error = f"the retraining stopped: {type(err).__name__}: {err}"
            self._life.set_status(FAILED)
            return
        self.result = Retrained(
            number=self.number, arch=dict(self.arch),
            stack=None if self.stack is None else dict(vars(self.stack)),
            dataset=str(getattr(ds, "name", "dataset")), input_shape=shape,
            num_classes=int(ds.num_classes), epochs=out.epochs, valid_acc=out.valid_acc,
            test_acc=test, params=count_params(model), seconds=time.perf_counter() - start,
            curve=list(self.curve), model=model.cpu().eval())
        self.warning = self.keeper.keep_retrained(self.result)
        self._life.set_status(DONE)


def begin(exp: Any, *, emit: Callable[[Event], None], keeper: Keeper,
          stack: Stack | dict[str, Any] | None = None, epochs: int = 10,
          dataset: Any = None, arch: dict[str, Any] | None = None,
          options: dict[str, Any] | None = None, seed: int | None = None) -> Retraining:
    """Check the arguments, then retrain in the background (``Experiment.retrain``):
    ``exp`` gives the space, trials, data set and device, ``emit`` takes the events and
    ``keeper`` keeps the result.

    ValueError (before anything runs) for a bad stack, epoch count, option or
    architecture, or a search with no complete trial to retrain.
    """
    stack_obj = None if stack is None else Stack.from_dict(stack)
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(TRAIN_OPTIONS))
    if unknown:
        raise ValueError(f"retrain: unknown option(s) {unknown}; valid options are "
                         f"{sorted(TRAIN_OPTIONS)} (epochs is its own argument)")
    if "epochs" in opts:
        raise ValueError("retrain: give the epochs as retrain(epochs=...), not in options")
    epochs = check("epochs", TRAIN_OPTIONS["epochs"], epochs, "retrain")
    for key, value in opts.items():
        opts[key] = check(key, TRAIN_OPTIONS[key], value, "retrain")
    number, chosen = pick_arch(exp, arch)
    # the architecture's own learning_rate / optimizer / batch_size decisions apply, but
    # the epochs are the retraining's
    config = dataclasses.replace(TrainConfig.resolve(opts, chosen), epochs=epochs)
    seed = exp.config.seed if seed is None else int(seed)
    data = exp.dataset if dataset is None else DatasetSource(dataset, seed, {}).get()
    job = Retraining(exp, number, chosen, stack_obj, config, data, seed, emit, keeper)
    job._life.begin()
    job._life.set_status(RUNNING)
    job._life.start(job.run)
    return job
