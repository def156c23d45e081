"""Saving and loading trained weights (never pickle: ``torch.load(weights_only=True)``).

Weights of a file-backed experiment go beside the database:
``runs/demo.db`` -> ``runs/demo.db.weights/<experiment>/<trial>.pt``.

Example:
    >>> weights_dir("runs/demo.db", "exp-1").as_posix()
    'runs/demo.db.weights/exp-1'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch


def weights_dir(db_path: str | Path, experiment: str) -> Path:
    return Path(f"{db_path}.weights") / experiment


def save_weights(exp: Any, number: int, model: Any) -> Path | None:
    """Save a trial's state dict when the store is a file; return the path."""
    path = getattr(exp.store, "path", ":memory:")
    if not path or path == ":memory:":
        return None
    folder = weights_dir(path, exp.name)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{number}.pt"
    tmp = target.with_suffix(".tmp")
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
    tmp.replace(target)
    return target


def load_weights(exp: Any, trial: Any) -> Any:
    """Rebuild the trial's network and load its saved weights (None when none were kept)."""
    path = getattr(exp.store, "path", ":memory:")
    if not path or path == ":memory:":
        return None
    target = weights_dir(path, exp.name) / f"{trial.number}.pt"
    if not target.exists():
        return None
    ds = exp.dataset
    model = exp.space.build(trial.arch, ds.input_shape, ds.num_classes)
    state = torch.load(target, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.eval()
    return model
