"""Which estimators the search panel offers for the space shown.

``tabular`` answers a query by looking ``space.key(arch)`` up in the ``key`` column of
a table (``estimators/tabular.py``). The tables it is given -- the one the package ships
(``"digits"``, the ``digits_cell`` preset) and NAS-Bench-201's own CSVs -- are keyed by
the official NAS-Bench-201 string, which only a space with ``key_format="nb201"`` (a
NAS-Bench-201 cell) gives; every architecture of another space (``keras_cnn``, ``mlp``,
an edited cell whose edges no longer make the string) would be missing from any of them,
each trial failing. So the panel offers ``tabular`` only for a space that has such keys
(a table keyed otherwise can still be searched from code: ``nb.Experiment``).

Example:
    >>> from nasbench_ui.space import presets
    >>> has_table(presets.get("nb201")), has_table(presets.get("keras_cnn"))
    (True, False)
    >>> "tabular" in offered_estimators(presets.get("mlp"))
    False
"""

from __future__ import annotations

from .. import estimators
from ..space import SearchSpace
from ..space.nb201_strings import NB201_EDGES, NB201_OPS

__all__ = ["DEFAULT_ESTIMATOR", "TABLE_ESTIMATORS", "TABLE_KEY_FORMATS", "has_table",
           "no_table_note", "no_table_reason", "offered_estimators", "stored_table_note"]

#: the estimator the panel falls back to when the one shown cannot serve a new space
DEFAULT_ESTIMATOR = "early_stop"
#: estimators that look architectures up in a table instead of training them
TABLE_ESTIMATORS = ("tabular",)
#: the key formats benchmark tables are keyed by (NAS-Bench-201's official strings)
TABLE_KEY_FORMATS = ("nb201",)
#: where a teacher finds a space with a table (said in the notes)
TABLE_HINT = "NAS-Bench-201 cells only, e.g. the digits_cell preset"


def has_table(space: SearchSpace) -> bool:
    """Whether a benchmark table can hold every architecture of ``space``: its keys are
    NAS-Bench-201 strings, its edges are the cell's six, and each operation an edge
    may take is one of NAS-Bench-201's five (an nb201 cell edited into other operations
    is not, even where some of its architectures would still make a string)."""
    if space.key_format not in TABLE_KEY_FORMATS:
        return False
    ops = {e.label: e.ops for e in space.edges}
    return set(ops) == set(NB201_EDGES) and all(
        o in NB201_OPS for edge_ops in ops.values() for o in edge_ops)


def offered_estimators(space: SearchSpace | None) -> list[str]:
    """The estimator names to offer for ``space`` (every one while no space is known)."""
    names = list(estimators.names())
    if space is None or has_table(space):
        return names
    return [n for n in names if n not in TABLE_ESTIMATORS]


def no_table_reason(estimator: str, space: SearchSpace) -> str:
    """Why ``estimator`` (a table look-up) cannot serve ``space``.

    Example:
        >>> from nasbench_ui.space import presets
        >>> no_table_reason("tabular", presets.get("mlp"))
        'the space mlp has no table for tabular to look its architectures up in (tabular serves NAS-Bench-201 cells only, e.g. the digits_cell preset)'
    """
    return (f"the space {space.name} has no table for {estimator} to look its "
            f"architectures up in ({estimator} serves {TABLE_HINT})")


def no_table_note(estimator: str, space: SearchSpace, now: str | None) -> str:
    """The notice shown when ``estimator`` (a table look-up) cannot serve ``space``:
    ``now`` names the estimator chosen instead (None: it stays, locked by the teacher)."""
    if now is None:
        return f"{no_table_reason(estimator, space)}; the estimator is locked, so each trial will fail"
    return f"{no_table_reason(estimator, space)}: the estimator is now {now}"


def stored_table_note(estimator: str, space: SearchSpace) -> str:
    """The notice shown for a stored run of ``estimator`` (a table look-up) on ``space``,
    which no NAS-Bench-201 table holds: it had a table of its own, given in code.

    Example:
        >>> from nasbench_ui.space import presets
        >>> stored_table_note("tabular", presets.get("mlp"))
        'this run looks the space mlp up with tabular in a table of its own (given in code): shown as stored; new searches offer tabular for NAS-Bench-201 cells only, e.g. the digits_cell preset'
    """
    return (f"this run looks the space {space.name} up with {estimator} in a table of its "
            f"own (given in code): shown as stored; new searches offer {estimator} for "
            f"{TABLE_HINT}")
