"""Custom parts from a notebook cell, sent by value to a search's own process.

A part defined in ``__main__`` (a notebook cell, a script) or inside a function has no
import path, so the search's own process (:mod:`.child`) cannot import it
(:mod:`.parts`). :func:`pack` serialises each such registered part with cloudpickle,
by value (its code and the globals it uses, as Dask and joblib send a notebook's
functions to their workers); :class:`~.child_run.ChildRun` writes the bytes to the
process's standard input with the rest of its start, and the process :func:`unpack` s
them into its registries before it reopens the experiment. The bytes go from the kernel
to the process it started and nowhere else: never into the store, where the part is
still named without an import path (loading the experiment elsewhere asks for it to be
registered again).

The process runs a copy: what the part changes in the notebook's globals (a list it
appends to, a counter) changes the copy's, and what it prints goes to the process's
standard error (logged at DEBUG level by :mod:`.child_run`). A part that cloudpickle
cannot serialise (it holds a lock, an open file, a connection) or one larger than
:data:`LIMIT` bytes stays behind:
:func:`pack` says why, ``start(process=True)`` refuses with that reason, and the
workbench runs such a search on a kernel thread.

Example (a data set loader defined inside a function: no import path, sent by value):
    >>> import nasbench_ui as nb
    >>> def make():
    ...     def tiny(seed=0):
    ...         import numpy as np
    ...         return nb.data.from_arrays(np.eye(4), np.arange(4) % 2, name="tiny")
    ...     return tiny
    >>> nb.data.register("tiny_bv", make(), replace=True)
    >>> packed = pack({"dataset": {"tiny_bv": None}})
    >>> [p["name"] for p in packed.parts], packed.problems
    (['tiny_bv'], [])
    >>> _ = nb.data.unregister("tiny_bv"); unpack(packed.parts)
    >>> nb.data.load("tiny_bv").input_shape
    (4,)
    >>> _ = nb.data.unregister("tiny_bv")
"""

from __future__ import annotations

import base64
import pickle
from dataclasses import dataclass, field
from typing import Any

from ..config import PART_KINDS
from ..space import ops
from .parts import KINDS

__all__ = ["LIMIT", "Packed", "pack", "pack_registered", "unpack"]

LIMIT = 64 * 2**20  # bytes of one part's pickle: larger ones stay in the kernel


@dataclass(frozen=True)
class Packed:
    """What :func:`pack` made: ``parts`` (``{"kind", "name", "value"}``, the value the
    part's pickle in base64) and ``problems`` (why a part cannot be sent)."""

    parts: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _entry(kind: str, name: str) -> Any:
    return ops.spec(name) if kind == "operation" else KINDS[kind].get(name)


def pack(imports: dict[str, dict[str, str | None]]) -> Packed:
    """Serialise every part of a config's ``imports`` that has no import path (stored as
    None), operations first; each one that cannot be sent gets a reason in ``problems``.

    Example:
        >>> pack({"estimator": {"mine": None}}).problems
        ["the estimator 'mine' has no import path and is not registered in this kernel: register it again"]
    """
    out = Packed()
    for kind in PART_KINDS:
        for name, path in sorted((imports.get(kind) or {}).items()):
            if path is not None:
                continue
            label = KINDS[kind].label
            if name not in KINDS[kind].names():
                out.problems.append(f"the {label} {name!r} has no import path and is not "
                                    "registered in this kernel: register it again")
                continue
            try:
                blob = _dumps(_entry(kind, name))
            except Exception as e:  # noqa: BLE001 - pickling runs the part's own __reduce__
                out.problems.append(
                    f"the {label} {name!r} was defined in a notebook cell or script "
                    f"(__main__), and another process cannot have a copy of it "
                    f"({type(e).__name__}: {e}): put it in a module")
                continue
            if len(blob) > LIMIT:
                out.problems.append(
                    f"the {label} {name!r} was defined in a notebook cell or script "
                    f"(__main__), and its copy for another process would be "
                    f"{len(blob) / 2**20:.0f} MiB (at most {LIMIT / 2**20:.0f}): put it "
                    "in a module, or let it load its data itself")
                continue
            out.parts.append({"kind": kind, "name": name,
                              "value": base64.b64encode(blob).decode("ascii")})
    return out


def pack_registered(kind: str, name: str) -> Packed:
    """:func:`pack` of the registered ``kind`` ``name`` when it has no import path (a
    notebook cell's), else nothing: a built-in, a module's part or an unknown name, which
    the other process finds (or refuses) by itself.

    Example:
        >>> pack_registered("strategy", "random")
        Packed(parts=[], problems=[])
    """
    k = KINDS[kind]
    if name not in k.names() or k.path(name) != (True, None):
        return Packed()
    return pack({kind: {name: None}})


def _dumps(obj: Any) -> bytes:
    try:
        import cloudpickle
    except ImportError as e:  # a dependency; a broken install says so
        raise RuntimeError("cloudpickle is not installed (pip install cloudpickle)") from e
    return cloudpickle.dumps(obj)


def unpack(parts: list[dict[str, str]]) -> None:
    """Register each part :func:`pack` made, under its name (replacing one there).

    Only for what this process's parent sent it: unpickling runs code.

    Example:
        >>> unpack([])
    """
    for part in parts:
        kind, name = part["kind"], part["name"]
        obj = pickle.loads(base64.b64decode(part["value"]))  # noqa: S301 - from the parent
        if kind == "operation":
            ops.register(name, obj.factory, group=obj.group, doc=obj.doc,
                         params=obj.params or (), replace=True)
        else:
            KINDS[kind].register(name, obj, replace=True)
