"""Saving and loading trained weights (never pickle: ``torch.load(weights_only=True)``).

Weights of a file-backed experiment go beside the database:
``runs/demo.db`` -> ``runs/demo.db.weights/<experiment>/<trial>.pt``. The folder is
built from a safe form of the experiment's name (a name from an older or a foreign
store that is not a plain name becomes ``x-<hash>``), and every path is checked to
resolve inside ``<db>.weights``: a name such as ``../../x`` never writes elsewhere.

Example:
    >>> weights_dir("runs/demo.db", "exp-1").as_posix()
    'runs/demo.db.weights/exp-1'
    >>> weights_dir("runs/demo.db", "../../etc").as_posix()
    'runs/demo.db.weights/x-74ccf3c5b4c19a81'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path
from typing import Any

_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def safe_name(name: str) -> str:
    """``name`` when it is a plain file name, else ``x-`` and 16 hex digits of its hash.

    Example:
        >>> safe_name("race-random"), safe_name("a b")
        ('race-random', 'x-c8687a08aa5d6ed2')
    """
    if _PLAIN.fullmatch(name) and name not in (".", ".."):
        return name
    return "x-" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def weights_dir(db_path: str | Path, experiment: str) -> Path:
    """The folder of an experiment's weights (see the module docstring).

    A ``<store>.weights`` that is a symbolic link is refused: a shared folder could ship
    one pointing anywhere, and saving (and replacing) weights would write there.

    Example:
        >>> weights_dir("runs/a.db", "../x").name.startswith("x-")
        True
    """
    root = Path(f"{db_path}.weights")
    if root.is_symlink():
        raise ValueError(f"the weights folder {root} is a symbolic link (to "
                         f"{os.readlink(root)!r}); a store's weights are kept in a real "
                         "folder beside it: remove the link")
    folder = root / safe_name(experiment)
    if root.resolve() not in folder.resolve().parents:
        raise ValueError(f"the weights folder of {experiment!r} would leave {root}")
    return folder


def _db_path(exp: Any) -> str | None:
    path = exp.store.path
    return None if not path or path == ":memory:" else str(path)


def save_weights(exp: Any, number: int, model: Any) -> Path | None:
    """Save a trial's state dict when the store is a file; return the path.

    An ``OSError`` (a full disk, a read-only folder) leaves no temporary file behind.
    """
    import torch

    path = _db_path(exp)
    if path is None:
        return None
    folder = weights_dir(path, exp.name)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{int(number)}.pt"
    tmp = target.with_suffix(".tmp")
    try:
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    return target


def remove_weights(exp: Any, number: int) -> None:
    """Delete a trial's weights file, if there is one."""
    path = _db_path(exp)
    if path is not None:
        with contextlib.suppress(OSError):
            (weights_dir(path, exp.name) / f"{int(number)}.pt").unlink(missing_ok=True)


def kept_numbers(exp: Any) -> list[int]:
    """The trial numbers whose weights are on disk."""
    path = _db_path(exp)
    if path is None:
        return []
    folder = weights_dir(path, exp.name)
    if not folder.is_dir():
        return []
    return sorted(int(p.stem) for p in folder.glob("*.pt") if p.stem.isdigit())


def load_weights(exp: Any, trial: Any) -> Any:
    """Rebuild the trial's network and load its saved weights (None when none were kept).

    The space and the trial's architecture come from the store, which may be someone
    else's: the network is built only when it holds exactly the tensors of the weights
    file (:func:`build_to_fit`), else ValueError.
    """
    import torch

    path = _db_path(exp)
    if path is None:
        return None
    target = weights_dir(path, exp.name) / f"{int(trial.number)}.pt"
    if not target.exists():
        return None
    ds = exp.dataset
    state = torch.load(target, map_location="cpu", weights_only=True, mmap=True)
    model = build_to_fit(exp.space, trial.arch, ds.input_shape, ds.num_classes, state,
                         f"{target.name} (trial {int(trial.number)}'s weights)")
    model.eval()
    return model


def build_to_fit(space: Any, arch: dict[str, Any], input_shape: tuple[int, ...],
                 num_classes: int, state: Any, name: str, stack: Any = None) -> Any:
    """``space.build(arch, ...)`` with the weights ``state`` loaded, built only when its
    tensors are exactly those of ``state`` (the weights file ``name``): never larger than
    that file.

    A space, an architecture or a saved description from a shared store may name any
    network: a layer of ten million units, a million channels, a billion classes took all
    of a small machine's memory before an allocation failed. The network is laid out
    first on torch's ``meta`` device (no memory) and compared; ValueError when it differs.

    Example:
        >>> import nasbench_ui as nb, torch
        >>> space = nb.spaces.keras_cnn()
        >>> arch = space.sample(__import__("random").Random(0))
        >>> state = space.build(arch, (1, 8, 8), 10).state_dict()
        >>> type(build_to_fit(space, arch, (1, 8, 8), 10, state, "w.pt")).__name__
        'ArchNet'
        >>> build_to_fit(space, arch, (1, 8, 8), 2, state, "w.pt")  # two classes, not ten
        Traceback (most recent call last):
        ValueError: w.pt does not hold the tensors of the network its architecture builds; it was not built ...
    """
    import torch

    with torch.device("meta"):
        layout = space.build(arch, input_shape, num_classes, stack=stack)
    need = {k: tuple(v.shape) for k, v in layout.state_dict().items()}
    have = ({k: tuple(v.shape) for k, v in state.items() if isinstance(v, torch.Tensor)}
            if isinstance(state, dict) else None)
    if need != have:
        raise ValueError(f"{name} does not hold the tensors of the network its architecture "
                         "builds; it was not built (a store or weights folder changed, or "
                         "made by someone else)")
    model = space.build(arch, input_shape, num_classes, stack=stack)
    model.load_state_dict(state)
    return model
