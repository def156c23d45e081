"""Which operations the graph editor offers an edge ("Add an operation").

No space names an operation family. What a space does say is its ``stem``: a space with
a conv stem (nb201, darts_cell, darts, digits_cell) is a cell of image feature maps --
the builder refuses it any input but an image (C, H, W), makes it ``stem`` channels, and
its nodes sum (or concatenate) what their edges give, so every edge takes that feature
map and must give one of the same shape back. For such a space the editor offers the
registered operations that do: built on a ``(stem, 8, 8)`` map (at its default
keywords), they return that shape. The recurrent operations (gru, lstm read an image's
rows as steps and return ``(steps, units)``), ``linear``, ``flatten``,
``global_avg_pool`` and the 2x2 pools (which halve it) are left out. A space without a
stem (keras_cnn, mlp, rnn, blank) chains shapes that its data set decides: every
operation stays on offer there, as before. An operation already ticked on an edge is
always shown (the editor's "Chosen" list), offered or not.

Example:
    >>> from nasbench_ui.space import presets
    >>> cell = offered_groups(presets.digits_cell().to_dict())
    >>> cell["recurrent"], cell["linear"], "nor_conv_3x3" in cell["conv"]
    ([], [], True)
    >>> offered_groups(presets.rnn().to_dict())["recurrent"]
    ['gru', 'lstm']
    >>> offer_note(presets.digits_cell().to_dict())
    'a cell: each edge takes and gives a 16-channel feature map, so only the operations that keep its shape are listed'
"""

from __future__ import annotations

import logging
from typing import Any

from ..space import ops

__all__ = ["CELL_SIDE", "offer_note", "offered_groups"]

log = logging.getLogger(__name__)
#: the height and width of the feature map an operation is tried on
CELL_SIDE = 8
# whether a built-in operation keeps a (stem, side, side) map's shape, per stem
_KEEPS: dict[tuple[str, int], bool] = {}


def _stem(space_json: Any) -> int | None:
    """The space's stem (channels), None when it has none (or the dict holds no int)."""
    stem = space_json.get("stem") if isinstance(space_json, dict) else None
    return stem if isinstance(stem, int) and not isinstance(stem, bool) and stem > 0 else None


def _keeps_shape(name: str, stem: int) -> bool:
    """Whether operation ``name`` returns a ``(stem, 8, 8)`` map for one. An operation
    that refuses it (ValueError, the registry's word for a shape it cannot take) does
    not; a user's operation that fails otherwise stays offered (its build says why)."""
    builtin = ops.info(name)["builtin"]
    if builtin and (name, stem) in _KEEPS:
        return _KEEPS[(name, stem)]
    shape = (stem, CELL_SIDE, CELL_SIDE)
    try:
        keeps = ops.build_op(name, shape)[1] == shape
    except ValueError:
        keeps = False
    except Exception:  # noqa: BLE001 - a user's factory: offered, its build tells
        log.debug("operation %r failed on %s", name, shape, exc_info=True)
        keeps = True
    if builtin:
        _KEEPS[(name, stem)] = keeps
    return keeps


def offered_groups(space_json: Any) -> dict[str, list[str]]:
    """``ops.groups()`` with only the operations an edge of the space (its dict, valid
    or not) can take: see the module docstring."""
    groups = ops.groups()
    stem = _stem(space_json)
    if stem is None:
        return groups
    return {g: [n for n in names if _keeps_shape(n, stem)] for g, names in groups.items()}


def offer_note(space_json: Any) -> str:
    """Why the offer is shorter than the registry ("" when it is not)."""
    stem = _stem(space_json)
    if stem is None:
        return ""
    return (f"a cell: each edge takes and gives a {stem}-channel feature map, so only the "
            "operations that keep its shape are listed")
