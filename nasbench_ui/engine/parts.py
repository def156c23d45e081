"""Custom parts by import path: how a stored experiment finds them again in a new process.

A custom operation, data set, estimator or strategy lives in the registry of the process
that registered it. When an experiment is built, :func:`collect_imports` writes, for each
custom part it uses, the part's import path (``"package.module:name"``) into the config's
``imports``; a part defined in ``__main__`` (a script or a notebook cell) has none and
is stored as ``None``. ``Experiment.load`` calls :func:`import_stored` inside
:func:`nasbench_ui.trust.untrusted`: a name this process has registered is used as it is;
any other is imported through :func:`nasbench_ui.trust.import_object`, so only from the
modules the user trusted (``nb.trust("mypackage")``, ``--trust mypackage``), and then
registered under its stored name. A part given as a class that has no registered name is
stored under its import path, and a name that is an import path (``estimator=
"mypackage.parts:MyEstimator"``, ``--estimator mypackage.parts:MyEstimator``) is
imported the same way (:func:`ensure_imported`).

Example:
    >>> import nasbench_ui as nb
    >>> from nasbench_ui.trust import untrusted
    >>> collect_imports(strategy="random", estimator="train", dataset="digits",
    ...                 space=nb.spaces.nb201())
    {}
    >>> with untrusted("the stored experiment 'x' in runs.db"):
    ...     import_stored({"estimator": {"mine": None}})
    Traceback (most recent call last):
    ...
    ValueError: the estimator 'mine' named by the stored experiment 'x' in runs.db was ...
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Any

from .. import data as datasets_mod
from .. import estimators as estimators_mod
from .. import strategies as strategies_mod
from ..config import PART_KINDS, ExperimentConfig, check_imports
from ..space import SearchSpace, ops
from ..trust import current_source, defining_module, import_object, import_path

BUILTIN_PACKAGE = "nasbench_ui"


@dataclass(frozen=True)
class _Kind:
    label: str
    names: Callable[[], list[str]]
    get: Callable[[str], Any]
    path: Callable[[str], tuple[bool, str | None]]  # name -> (custom?, import path)
    register: Callable[..., Any]  # (name, obj, replace=False)
    how: str  # how to register one again by hand


def _builtin(module: str | None) -> bool:
    return module is not None and (module == BUILTIN_PACKAGE
                                   or module.startswith(BUILTIN_PACKAGE + "."))


def _entry_path(get: Callable[[str], Any]) -> Callable[[str], tuple[bool, str | None]]:
    def path(name: str) -> tuple[bool, str | None]:
        entry = get(name)
        if _builtin(defining_module(entry)):
            return False, None
        return True, import_path(entry)
    return path


def _op_path(name: str) -> tuple[bool, str | None]:
    if ops.info(name)["builtin"]:
        return False, None
    module, qualname = ops.factory_path(name)
    if _builtin(module):
        return False, None
    if module == "__main__" or "<" in qualname:
        return True, None
    return True, f"{module}:{qualname}"


def _register_op(name: str, factory: Any, replace: bool = False) -> None:
    ops.register(name, factory, replace=replace)


KINDS: dict[str, _Kind] = {
    "operation": _Kind("operation", ops.names, ops.info, _op_path, _register_op,
                       "nb.space.ops.register({name!r}, factory)"),
    "dataset": _Kind("data set", datasets_mod.names, datasets_mod.get,
                     _entry_path(datasets_mod.get), datasets_mod.register,
                     "nb.data.register({name!r}, loader)"),
    "estimator": _Kind("estimator", estimators_mod.names, estimators_mod.get,
                       _entry_path(estimators_mod.get), estimators_mod.register,
                       "nb.estimators.register({name!r}, YourEstimator)"),
    "strategy": _Kind("strategy", strategies_mod.names, strategies_mod.get,
                      _entry_path(strategies_mod.get), strategies_mod.register,
                      "nb.strategies.register({name!r}, YourStrategy)"),
}
assert tuple(KINDS) == PART_KINDS


def own_modules(imports: dict[str, dict[str, str | None]]) -> list[str]:
    """The modules of the parts in ``imports`` that this process registered from that
    very import path (it runs their code already), sorted: what a search process of
    this experiment may import without ``nb.trust``. A stored path that differs from the
    registered part's (a shared file's, say) is not among them.

    Example:
        >>> own_modules({"estimator": {"train": None, "x": "evil:Thing"}})
        []
    """
    out = set()
    for kind, parts in imports.items():
        for name, path in parts.items():
            if path and kind in KINDS and name in KINDS[kind].names() \
                    and KINDS[kind].path(name) == (True, path):
                out.add(path.split(":", 1)[0])
    return sorted(out)


def _is_path(name: Any) -> bool:
    return isinstance(name, str) and ":" in name


def ensure_imported(kind: str, name: str, path: str | None) -> None:
    """Make ``name`` a registered ``kind`` (``"estimator"``...): nothing when it is one,
    else import ``path`` (trusted modules only, inside ``untrusted``) and register it.

    ``path`` None: ValueError saying how to make the part loadable.

    Example:
        >>> ensure_imported("estimator", "train", None)  # built in: nothing to do
    """
    k = KINDS[kind]
    if name in k.names():
        return
    if path is None:
        source = current_source() or "the config"
        raise ValueError(
            f"the {k.label} {name!r} named by {source} was defined where it has no import "
            f"path (a script's __main__, a notebook cell or inside a function), so this "
            f"process cannot import it. Register it again before loading "
            f"({k.how.format(name=name)}), or define it in a module of your own and trust "
            "that module (nb.trust('mypackage') or --trust mypackage)")
    obj = import_object(path, f"the {k.label}")
    if name not in k.names():  # importing the module may have registered it already
        k.register(name, obj)


def import_stored(imports: Any, skip: Collection[str] = ()) -> None:
    """Import and register every custom part a stored config's ``imports`` names that
    this process lacks (operations first: the space names them); ``skip``: kinds given
    anew by the caller (``Experiment.load(path, estimator=...)``).

    Example:
        >>> import_stored({"estimator": {"mine": None}}, skip=("estimator",))
    """
    checked = check_imports(imports)
    for kind in PART_KINDS:
        if kind in skip:
            continue
        for name, path in checked.get(kind, {}).items():
            ensure_imported(kind, name, path)


def part_name(kind: str, obj: Any) -> tuple[str, str | None]:
    """``(stored name, import path)`` of a part given as a name, class or object.

    A registered name is stored as it is; a class (or an object of a class) registered
    under its ``NAME`` by that name. Another class that has an import path: by its
    ``NAME`` with that path (by the path alone when it has no ``NAME``, or the ``NAME`` is
    another part's); a new process rebuilds an object from its class and the stored
    options. A class without an import path: by its ``NAME`` (or ``"custom"``), no path.

    Example:
        >>> from nasbench_ui.strategies import RandomSearch
        >>> part_name("strategy", "random"), part_name("strategy", RandomSearch)
        (('random', None), ('random', None))
    """
    from .steering import stored_name

    if isinstance(obj, str):
        if _is_path(obj) and obj not in KINDS[kind].names():
            return obj, obj
        return obj, None
    k = KINDS[kind]
    name = stored_name(obj)
    cls = obj if isinstance(obj, type) else type(obj)
    if name in k.names() and k.get(name) is cls:
        return name, None
    path = import_path(cls)
    if path is None or _builtin(defining_module(cls)):
        return name, None
    if name == "custom" or name in k.names():  # no name of its own, or another's
        return path, path
    return name, path


def collect_imports(*, strategy: Any, estimator: Any, dataset: Any,
                    space: SearchSpace) -> dict[str, dict[str, str | None]]:
    """The ``imports`` of a config: each custom part's stored name -> its import path.

    Example:
        >>> import nasbench_ui as nb
        >>> collect_imports(strategy="random", estimator="train", dataset="digits",
        ...                 space=nb.spaces.keras_cnn())
        {}
    """
    out: dict[str, dict[str, str | None]] = {}

    def add(kind: str, name: str, path: str | None) -> None:
        out.setdefault(kind, {})[name] = path

    op_names = {op for e in space.edges for op in e.ops}
    for op in sorted(op_names):
        if ops.is_registered(op):
            custom, path = _op_path(op)
            if custom:
                add("operation", op, path)
    for kind, part in (("dataset", dataset), ("estimator", estimator), ("strategy", strategy)):
        if kind == "dataset" and not isinstance(part, str):
            continue  # an object: saved as a file (npz), or not reloadable
        name, path = part_name(kind, part)
        k = KINDS[kind]
        if name in k.names():
            custom, path = k.path(name)
            if custom:
                add(kind, name, path)
        elif path is not None:
            add(kind, name, path)
        elif not isinstance(part, str):
            add(kind, name, None)
    return out


def with_strategy_import(config: ExperimentConfig) -> ExperimentConfig:
    """``config`` with the import path of its strategy in ``imports`` when it is a custom
    one registered by name (a strategy switched to while steering).

    Example:
        >>> import nasbench_ui as nb
        >>> c = nb.Experiment("nb201", trials=1).config
        >>> with_strategy_import(c) == c
        True
    """
    k, name = KINDS["strategy"], config.strategy
    if name not in k.names() or name in config.imports.get("strategy", {}):
        return config
    custom, path = k.path(name)
    if not custom:
        return config
    imports = {**config.imports, "strategy": {**config.imports.get("strategy", {}), name: path}}
    return replace(config, imports=imports)


__all__ = ["KINDS", "collect_imports", "ensure_imported", "import_stored", "own_modules", "part_name",
           "with_strategy_import"]
