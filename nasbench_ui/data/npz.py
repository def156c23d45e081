"""A data set saved with its experiment: one ``.npz`` file of arrays, never pickle.

An experiment given a :class:`~.dataset.Dataset` object (``nb.data.from_arrays(...)``)
and a file store writes the data set next to the store with :func:`save_npz`: the six
split arrays plus a JSON header (name, input shape, classes, meta) as a unicode array.
The stored config names the file relative to the store's folder; ``Experiment.load``
reads it back with :class:`DatasetFile`, which checks the name first
(:func:`nasbench_ui.trust.check_stored_file`: no absolute path, no ``..``, nothing out
of the store's folder) and reads with ``np.load(..., allow_pickle=False)``, so a file
that holds Python objects is refused, never unpickled. The file name carries a hash of
the arrays: the same data is written once, and another data set never overwrites it.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from nasbench_ui.data import from_arrays
    >>> folder = Path(tempfile.mkdtemp())
    >>> d = from_arrays(np.arange(80.0).reshape(40, 2), np.arange(40) % 2, name="toy")
    >>> file = save_npz(d, folder, "runs"); file.startswith("runs.toy-"), file.endswith(".npz")
    (True, True)
    >>> back = DatasetFile("toy", file, folder).load()
    >>> back.input_shape, bool((back.x_train == d.x_train).all())
    ((2,), True)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..trust import check_stored_file
from .dataset import Dataset

FORMAT = "nasbench_ui.dataset"
VERSION = 1
SPLITS = ("train", "valid", "test")
ARRAYS = tuple(f"{xy}_{s}" for s in SPLITS for xy in ("x", "y"))
HEADER = "header"
WHAT = "the data set file"


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:40]
    return slug or "data"


def _arrays(ds: Dataset) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for key in ARRAYS:
        tensor: torch.Tensor = getattr(ds, key)
        out[key] = np.ascontiguousarray(tensor.detach().cpu().numpy())
    return out


def _header(ds: Dataset) -> str:
    return json.dumps({"format": FORMAT, "version": VERSION, "name": ds.name,
                       "input_shape": list(ds.input_shape), "num_classes": ds.num_classes,
                       "meta": ds.meta}, sort_keys=True, default=str)


def save_npz(ds: Dataset, folder: str | os.PathLike[str], stem: str) -> str:
    """Write ``ds`` into ``folder`` as ``<stem>.<name>-<hash>.npz``; its file name.

    Nothing is written when the same file is already there (same arrays, same header).

    Example:
        >>> import tempfile
        >>> from nasbench_ui.data import load
        >>> folder = tempfile.mkdtemp(); d = load("digits").subset(0.1, seed=0)
        >>> save_npz(d, folder, "a") == save_npz(d, folder, "a")
        True
    """
    if not isinstance(ds, Dataset):
        raise ValueError(f"save_npz needs a Dataset, got {type(ds).__name__}")
    arrays, header = _arrays(ds), _header(ds)
    digest = hashlib.sha256(header.encode())
    for key in ARRAYS:
        a = arrays[key]
        digest.update(f"{key}{a.dtype.str}{a.shape}".encode())
        digest.update(a.tobytes())
    base = Path(folder)
    name = f"{_slug(stem)}.{_slug(ds.name)}-{digest.hexdigest()[:12]}.npz"
    path = base / name
    if path.is_file():
        return name
    base.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=base, prefix=".nbui-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays, **{HEADER: np.array(header)})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def _bad(path: Path, why: str) -> ValueError:
    return ValueError(f"{WHAT} {path.name!r} cannot be read as a data set: {why}")


def load_npz(path: str | os.PathLike[str]) -> Dataset:
    """The :class:`Dataset` in an ``.npz`` file written by :func:`save_npz`.

    Only arrays are read (``allow_pickle=False``): ValueError for a file that holds
    Python objects, misses an array, or is not an ``.npz`` at all.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> bad = Path(tempfile.mkdtemp()) / "x.npz"; _ = bad.write_bytes(b"not a zip")
        >>> load_npz(bad)
        Traceback (most recent call last):
        ...
        ValueError: the data set file 'x.npz' cannot be read as a data set: ...
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in (*ARRAYS, HEADER) if k not in z.files]
            if missing:
                raise _bad(path, f"it lacks the array(s) {missing}")
            arrays = {k: z[k] for k in ARRAYS}
            header_array = z[HEADER]
    except ValueError as e:
        if str(e).startswith(f"{WHAT} "):
            raise
        raise _bad(path, f"{e} (only plain arrays are read, never pickled objects)") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise _bad(path, f"{type(e).__name__}: {e}") from None
    if header_array.dtype.kind != "U" or header_array.ndim != 0:
        raise _bad(path, "its header is not a text")
    try:
        head: Any = json.loads(str(header_array))
    except json.JSONDecodeError as e:
        raise _bad(path, f"its header is not JSON ({e.msg})") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise _bad(path, f"its header's format is not {FORMAT!r}")
    tensors: dict[str, torch.Tensor] = {}
    for key, a in arrays.items():
        if a.dtype.kind not in ("f", "i", "u", "b"):
            raise _bad(path, f"{key} holds {a.dtype}, not numbers")
        t = torch.from_numpy(np.ascontiguousarray(a))
        tensors[key] = t.float() if key.startswith("x_") else t.long()
    meta = head.get("meta")
    try:
        return Dataset(name=head.get("name"), input_shape=tuple(head.get("input_shape") or ()),
                       num_classes=head.get("num_classes"),
                       meta=meta if isinstance(meta, dict) else {}, **tensors)
    except (ValueError, TypeError) as e:
        raise _bad(path, str(e)) from None


@dataclass(frozen=True)
class DatasetFile:
    """A data set saved with a stored experiment: ``file`` (as the config stores it,
    relative to ``folder``, the store's folder), shown as ``name``.

    :meth:`check` checks the file name (:func:`~nasbench_ui.trust.check_stored_file`)
    without reading the arrays; :meth:`load` reads them.

    Example:
        >>> DatasetFile("toy", "../secret.npz", Path(".")).check()
        Traceback (most recent call last):
        ...
        ValueError: the data set file '../secret.npz' must be a file name inside ...
    """

    name: str
    file: str
    folder: Path

    def check(self) -> Path:
        """The checked path of the file."""
        return check_stored_file(self.file, self.folder, WHAT)

    def load(self) -> Dataset:
        """The data set in the file."""
        return load_npz(self.check())


__all__ = ["DatasetFile", "load_npz", "save_npz"]
