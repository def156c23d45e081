"""The training loop shared by the ``train`` and ``early_stop`` estimators.

Plain supervised training of a classifier on in-memory tensors: cross-entropy loss,
Adam or SGD (momentum 0.9), shuffled mini-batches drawn by a seeded index permutation
(no ``DataLoader``: the data sets are small tensors moved to the device once). After
each epoch the validation accuracy is measured, a curve point
``{"epoch", "train_loss", "valid_acc", "time_s"}`` is reported to the context (epochs
count from 1; ``train_loss`` is the epoch's mean; ``time_s`` the seconds since training
began), and an optional ``on_epoch`` callback runs (it may raise
:class:`~.base.Pruned`).

Reproducibility: a trial is seeded from (experiment seed, trial number) and gives the
same curve and weights on the CPU each time. CUDA kernels are not all deterministic,
and trials run in parallel threads of one process share torch's global generator.

The loop checks for a stop request and for a non-finite loss every ``check_every``
batches and at the end of each epoch (one device synchronisation per check, not per
batch). A NaN or infinite loss raises :class:`~.base.TrialFailed` naming the epoch and
batch; running out of memory becomes a :class:`~.base.TrialFailed` too (see
:func:`oom_guard`).

Hyperparameter decisions labelled ``learning_rate``, ``optimizer``, ``batch_size`` or
``epochs`` (:data:`RESERVED`) override the estimator's options of the same name.

Training hooks (:data:`HOOK_OPTIONS`, an estimator's options; see :mod:`.train_hooks`):
a learning-rate ``schedule`` (``cosine``, or ``step`` with ``step_size`` and
``step_gamma``; each curve point then holds the epoch's ``lr``), ``label_smoothing`` of
the cross-entropy, ``augment`` (random crop with ``crop_padding`` and/or horizontal
flip, image data only: other data fails the trial with a clear message) and ``amp``
(mixed precision: float16 with a gradient scaler on CUDA, bfloat16 on the CPU).
``weight_decay`` is in :data:`TRAIN_OPTIONS`. The experiment's callbacks
(:mod:`.callbacks`, ``ctx.callbacks``) run after each epoch; one that raises fails the
trial, naming the callback.

The data set's tensors stay on the training device for the whole trial (see
:class:`Splits`): a batch is an index into them, so no batch is copied from the host;
only the epoch's shuffled order (and augmentation draws) move, once per epoch.

Threads: every estimator that trains wraps its trial in :func:`trial_threads`, which
sets torch's intra-op thread count for the trial from the model's work per batch
(:func:`batch_work`) and the machine (see :mod:`nasbench_ui.threads`), or from the
estimator's ``threads`` option (:data:`THREADS_OPTION`), and restores it afterwards.

Example:
    >>> import torch
    >>> from torch import nn
    >>> from nasbench_ui.estimators.base import EstimateContext
    >>> x, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
    >>> splits = Splits(x, y, x, y, None, None)
    >>> cfg = TrainConfig(epochs=2, batch_size=16, optimizer="sgd", learning_rate=0.1)
    >>> ctx = EstimateContext(space=None, dataset=None)
    >>> result = fit(nn.Linear(4, 2), splits, cfg, ctx, torch.Generator().manual_seed(0))
    >>> [p["epoch"] for p in ctx.curve], result.epochs
    ([1, 2], 2)
"""

from __future__ import annotations

import contextlib
import gc
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import nn

from .. import threads as thread_policy
from ..options import Option, check
from .base import EstimateContext, TrialFailed
from .callbacks import Callback, TrialInfo, run_callbacks
from .metrics import count_flops, count_params
from .train_hooks import AUGMENTS, SCHEDULES, Augmentation, Precision, schedule_rates, set_rate

RESERVED = ("learning_rate", "optimizer", "batch_size", "epochs")
OPTIMIZERS = ("adam", "sgd")
SGD_MOMENTUM = 0.9
EVAL_BATCH = 1024

TRAIN_OPTIONS: dict[str, Option] = {
    "epochs": Option(int, 10, low=1, high=1000, help="training epochs"),
    "batch_size": Option(int, 64, low=1, high=65536, help="mini-batch size"),
    "optimizer": Option(str, "adam", choices=OPTIMIZERS, help="adam, or sgd with momentum 0.9"),
    "learning_rate": Option(float, 1e-3, low=0.0, help="learning rate of the optimizer"),
    "weight_decay": Option(float, 0.0, low=0.0, help="L2 weight decay"),
}

#: Options of the training hooks; an estimator that trains with :func:`fit` declares
#: them next to :data:`TRAIN_OPTIONS` and keeps them in the options it resolves.
HOOK_OPTIONS: dict[str, Option] = {
    "schedule": Option(str, "none", choices=SCHEDULES,
                       help="learning-rate schedule per epoch: none, cosine (to 0) or step"),
    "step_size": Option(int, None, low=1, high=1000, optional=True,
                        help="epochs between steps of the step schedule (empty: a third)"),
    "step_gamma": Option(float, 0.1, low=0.0, high=1.0,
                         help="factor of the learning rate at each step of the step schedule"),
    "label_smoothing": Option(float, 0.0, low=0.0, high=0.99,
                              help="label smoothing of the cross-entropy loss"),
    "augment": Option(str, "none", choices=AUGMENTS,
                      help="image augmentation: none, crop_flip, crop or flip"),
    "crop_padding": Option(int, None, low=0, high=64, optional=True,
                           help="zero padding of the random crop (empty: 1/8 of the side)"),
    "amp": Option(bool, False, help="mixed precision (float16 on CUDA, bfloat16 on the CPU)"),
}

THREADS_OPTION = Option(int, None, low=1, high=4096, optional=True,
                        help="torch threads for each trial (empty: chosen per trial)")

T = TypeVar("T")
EpochCallback = Callable[[int, dict[str, Any], nn.Module], None]


@dataclass(frozen=True)
class TrainConfig:
    """The hyperparameters of one training run."""

    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "none"
    step_size: int | None = None
    step_gamma: float = 0.1
    label_smoothing: float = 0.0
    augment: str = "none"
    crop_padding: int | None = None
    amp: bool = False

    @classmethod
    def resolve(cls, options: Mapping[str, Any], arch: Mapping[str, Any]) -> TrainConfig:
        """Options of an estimator (:data:`TRAIN_OPTIONS` and :data:`HOOK_OPTIONS`; those
        missing take their defaults), overridden by the reserved decisions in ``arch``.

        Example:
            >>> TrainConfig.resolve({"schedule": "cosine"}, {"epochs": 3}).schedule
            'cosine'
        """
        declared = {**TRAIN_OPTIONS, **HOOK_OPTIONS}
        values = {k: options.get(k, opt.default) for k, opt in declared.items()}
        for label in RESERVED:
            if label in arch:
                values[label] = check(label, TRAIN_OPTIONS[label], arch[label],
                                      "the architecture's decision")
        return cls(**values)


    def used(self, arch: Mapping[str, Any]) -> dict[str, Any]:
        """The optimizer settings not decided by ``arch``, for a trial's metrics.

        Those ``arch`` decides already show in its own columns; repeating them in the
        metrics would only give the results table a second column of the same name.
        """
        return {k: getattr(self, k) for k in ("optimizer", "learning_rate", "batch_size")
                if k not in arch}


@dataclass(frozen=True)
class Splits:
    """A data set's tensors on the training device (``x_test`` may be None)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_valid: torch.Tensor
    y_valid: torch.Tensor
    x_test: torch.Tensor | None
    y_test: torch.Tensor | None

    @classmethod
    def of(cls, dataset: Any, device: str | torch.device) -> Splits:
        """Move ``dataset``'s splits to ``device`` (ValueError for an empty split)."""
        if dataset is None:
            raise ValueError("this estimator trains a model and needs a dataset; none was given")
        name = getattr(dataset, "name", "dataset")

        def get(attr: str, required: bool) -> torch.Tensor | None:
            t = getattr(dataset, attr, None)
            if t is None or len(t) == 0:
                if required:
                    raise ValueError(f"dataset {name!r}: the split {attr!r} is empty")
                return None
            return torch.as_tensor(t).to(device)

        return cls(get("x_train", True), get("y_train", True), get("x_valid", True),
                   get("y_valid", True), get("x_test", False), get("y_test", False))


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` returns: epochs run and the last epoch's loss and accuracy."""

    epochs: int
    train_loss: float
    valid_acc: float


def trial_seed(seed: int, number: int) -> int:
    """One seed per (experiment seed, trial number), distinct for distinct pairs."""
    return (int(seed) * 1_000_003 + int(number)) % (2**63 - 1)


@contextlib.contextmanager
def seeded(seed: int, device: str | torch.device) -> Iterator[torch.Generator]:
    """Seed torch for one trial, restoring the global RNG state afterwards.

    Yields a CPU ``torch.Generator`` for the batch order. Model initialisation and
    dropout draw from torch's global generator, seeded here (CPU and ``device``).
    """
    dev = torch.device(device)
    devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield torch.Generator().manual_seed(seed)


def batch_work(model: nn.Module, input_shape: tuple[int, ...], batch_size: int,
               device: str | torch.device = "cpu") -> float:
    """Forward FLOPs of one batch of ``batch_size`` (twice the parameters per sample when
    the FLOPs cannot be counted).

    Example:
        >>> batch_work(nn.Sequential(nn.Flatten(), nn.Linear(4, 3)), (2, 2), 64)
        1536.0
    """
    flops = count_flops(model, input_shape, device)
    per_sample = float(flops) if flops is not None else 2.0 * count_params(model)
    return per_sample * int(batch_size)


def trial_threads(threads: int | None, device: str | torch.device
                  ) -> contextlib.AbstractContextManager[thread_policy.TrialThreads]:
    """The torch thread count of one trial (:func:`nasbench_ui.threads.use`).

    ``threads`` (an estimator's option) wins; otherwise the trial starts on one thread
    and :func:`size_threads` sets the count for the model once it is built. The
    previous count comes back afterwards.

    Example:
        >>> before = torch.get_num_threads()
        >>> with trial_threads(1, "cpu") as trial:
        ...     size_threads(trial, nn.Linear(4, 2), (4,), 64, "cpu") == 1
        True
        >>> torch.get_num_threads() == before
        True
    """
    return thread_policy.use(option=threads, device=str(device))


def size_threads(trial: thread_policy.TrialThreads, model: nn.Module,
                 input_shape: tuple[int, ...], batch_size: int,
                 device: str | torch.device) -> int:
    """Set ``trial``'s count for ``model``'s :func:`batch_work` (counted only if needed)."""
    return trial.size(lambda: batch_work(model, input_shape, batch_size, device))


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """Adam, or SGD with momentum 0.9, over the trainable parameters."""
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.learning_rate, momentum=SGD_MOMENTUM,
                               weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.learning_rate,
                                weight_decay=config.weight_decay)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; choose one of {list(OPTIMIZERS)}")


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of ``x`` classified as ``y`` (eval mode, no gradients, mode restored)."""
    was_training = model.training
    model.eval()
    correct = torch.zeros((), dtype=torch.long, device=y.device)
    with torch.no_grad():
        for i in range(0, len(x), EVAL_BATCH):
            pred = model(x[i:i + EVAL_BATCH]).argmax(dim=1)
            correct += (pred == y[i:i + EVAL_BATCH]).sum()
    model.train(was_training)
    return float(correct.item()) / max(1, len(x))


def _check_losses(pending: list[torch.Tensor], first_batch: int, epoch: int) -> float:
    """Sum of the pending per-batch losses; TrialFailed at the first non-finite one."""
    losses = torch.stack(pending)
    finite = torch.isfinite(losses)
    if not bool(finite.all()):
        bad = int((~finite).nonzero()[0, 0]) + first_batch
        raise TrialFailed(
            f"loss became NaN at epoch {epoch}, batch {bad}; try a lower learning rate"
        )
    return float(losses.sum())


def fit(
    model: nn.Module,
    data: Splits,
    config: TrainConfig,
    ctx: EstimateContext,
    generator: torch.Generator,
    on_epoch: EpochCallback | None = None,
    check_every: int = 16,
    arch: Mapping[str, Any] | None = None,
) -> FitResult:
    """Train ``model`` (already on the data's device) for ``config.epochs`` epochs.

    ``generator`` orders the batches (and draws the augmentation). After each epoch,
    reports the curve point to ``ctx``, runs the callbacks of ``ctx.callbacks`` (see
    :mod:`.callbacks`; ``arch`` is passed on to them) and calls
    ``on_epoch(epoch, point, model)``, which may raise to stop.
    """
    optimizer = make_optimizer(model, config)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    precision = Precision(config.amp, data.x_train.device)
    augment = Augmentation(config.augment, config.crop_padding)
    pad = augment.check(data.x_train) if augment.active else 0
    rates = (schedule_rates(config.schedule, config.learning_rate, config.epochs,
                            config.step_size, config.step_gamma)
             if config.schedule != "none" else None)
    callbacks: tuple[Callback, ...] = tuple(ctx.callbacks)
    trial = TrialInfo(number=ctx.number, arch=dict(arch or {}), meta=ctx.meta,
                      device=str(ctx.device), model=model)
    run_callbacks(callbacks, "on_train_start", "the start",
                  lambda cb: cb.on_train_start(trial))
    n = len(data.x_train)
    bs = config.batch_size
    start = time.perf_counter()
    train_loss, valid_acc, epoch = math.nan, math.nan, 0
    point: dict[str, Any] = {}
    for epoch in range(1, config.epochs + 1):
        ctx.check_stop()
        model.train()
        if rates is not None:
            set_rate(optimizer, rates[epoch - 1])
        order = torch.randperm(n, generator=generator).to(data.x_train.device)
        if augment.active:  # the epoch's draws, moved once
            shifts, flips = augment.draw(n, pad, generator, data.x_train.device)
        pending: list[torch.Tensor] = []
        first, total, seen = 1, 0.0, 0
        for batch, lo in enumerate(range(0, n, bs), start=1):
            idx = order[lo:lo + bs]
            if len(idx) < 2 < n:  # a batch of one breaks batch norm; drop it
                break
            optimizer.zero_grad(set_to_none=True)
            x = data.x_train[idx]
            if augment.active:
                x = augment.apply(x, shifts[lo:lo + bs], flips[lo:lo + bs], pad)
            with precision.autocast():
                loss = loss_fn(model(x), data.y_train[idx])
            precision.step(loss, optimizer)
            pending.append(loss.detach().float() * len(idx))
            seen += len(idx)
            if len(pending) >= check_every:
                total += _check_losses(pending, first, epoch)
                first, pending = batch + 1, []
                ctx.check_stop()
        if pending:
            total += _check_losses(pending, first, epoch)
        train_loss = total / max(1, seen)
        valid_acc = accuracy(model, data.x_valid, data.y_valid)
        point = {"epoch": epoch, "train_loss": train_loss, "valid_acc": valid_acc,
                 "time_s": time.perf_counter() - start}
        if rates is not None:
            point["lr"] = rates[epoch - 1]
        ctx.report(point)
        run_callbacks(callbacks, "on_epoch_end", f"epoch {epoch}",
                      lambda cb: cb.on_epoch_end(trial, epoch, dict(point)))  # noqa: B023
        if on_epoch is not None:
            on_epoch(epoch, point, model)
    run_callbacks(callbacks, "on_train_end", f"the end (epoch {epoch})",
                  lambda cb: cb.on_train_end(trial, dict(point)))
    del optimizer
    model.eval()
    return FitResult(epochs=epoch, train_loss=train_loss, valid_acc=valid_acc)


def is_out_of_memory(err: BaseException) -> bool:
    """True for CUDA's OutOfMemoryError and any RuntimeError saying "out of memory"."""
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(err, oom_type):
        return True
    return isinstance(err, RuntimeError) and "out of memory" in str(err).lower()


def free_memory(device: str | torch.device) -> None:
    """Collect garbage and return cached accelerator memory to the driver."""
    gc.collect()
    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        torch.cuda.empty_cache()
    elif dev.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()


def oom_guard(device: str | torch.device, fn: Callable[..., T], *args: Any) -> T:
    """Call ``fn(*args)``; turn running out of memory into :class:`TrialFailed`.

    The failing call's frames (its model and optimizer) are released before the
    memory is freed, so the next trial starts with the device's memory back.
    """
    message = None
    try:
        return fn(*args)
    except Exception as err:
        if not is_out_of_memory(err):
            raise
        message = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
    # outside the except block: the exception and its frames are gone
    free_memory(device)
    raise TrialFailed(f"out of memory on {device}: {message}; try a smaller batch_size")
