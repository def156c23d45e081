"""The experiment config: one JSON document that the store keeps, the CLI accepts and
the workbench exports.

Example:
    >>> from nasbench_ui import spaces
    >>> c = ExperimentConfig(space=spaces.keras_cnn().to_dict(), strategy="random", trials=5)
    >>> ExperimentConfig.from_json(c.to_json()) == c
    True
    >>> "nb.spaces.keras_cnn()" in to_python(c)
    True
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .space import SearchSpace
from .space.spec import MAX_JSON_DEPTH, json_depth

FORMAT = "nasbench_ui.experiment"
VERSION = 1
MAX_CONFIG_BYTES = 2_000_000
#: the deepest nesting a config may have: its space's limit and a few levels around it
MAX_CONFIG_DEPTH = MAX_JSON_DEPTH + 8
DIRECTIONS = ("max", "min")
#: The kinds of custom parts a config names by import path (``imports``).
PART_KINDS = ("operation", "dataset", "estimator", "strategy")
#: Fields left out of :meth:`ExperimentConfig.to_dict` while empty (older readers lack them).
OPTIONAL_FIELDS = ("imports", "dataset_file")


def check_imports(value: Any) -> dict[str, dict[str, str | None]]:
    """``imports`` checked: ``{kind: {name: "package.module:attr" or None}}``, ``kind`` one
    of :data:`PART_KINDS`; None marks a part that has no import path (defined in
    ``__main__`` or a notebook cell). A copy; ValueError naming what is wrong.

    Example:
        >>> check_imports({"estimator": {"toy": "mypkg.parts:Toy"}})
        {'estimator': {'toy': 'mypkg.parts:Toy'}}
        >>> check_imports({"estimator": {"toy": "not a path"}})
        Traceback (most recent call last):
        ...
        ValueError: imports['estimator']['toy'] must be an import path 'package.module:name' or null, got 'not a path'
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"imports must be a dict, got {type(value).__name__}")
    out: dict[str, dict[str, str | None]] = {}
    for kind, entries in value.items():
        if kind not in PART_KINDS:
            raise ValueError(f"imports has an unknown kind {kind!r}; known: {list(PART_KINDS)}")
        if not isinstance(entries, dict):
            raise ValueError(f"imports[{kind!r}] must be a dict of name -> import path")
        for name, path in entries.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"imports[{kind!r}] has a bad name {name!r}")
            module, colon, attr = path.partition(":") if isinstance(path, str) else ("", "", "")
            ok = path is None or (colon and all(p.isidentifier() for p in module.split("."))
                                  and all(p.isidentifier() for p in attr.split(".")))
            if not ok:
                raise ValueError(f"imports[{kind!r}][{name!r}] must be an import path "
                                 f"'package.module:name' or null, got {path!r}")
        if entries:
            out[kind] = dict(entries)
    return out


def loads(text: Any) -> Any:
    """The JSON value of a config text (size- and depth-checked), not yet an
    :class:`ExperimentConfig` (``imports`` may need importing first).

    A text nested deeper than :data:`MAX_CONFIG_DEPTH` is a ValueError: json's parser
    raises RecursionError on a few thousand ``[``, and a value a few hundred levels deep
    breaks ``to_dict`` and every walk of it later.

    Example:
        >>> loads('{"trials": 3}')
        {'trials': 3}
    """
    if not isinstance(text, (str, bytes)):
        raise ValueError(f"an experiment config is JSON text, got {type(text).__name__}")
    if len(text) > MAX_CONFIG_BYTES:
        raise ValueError(f"experiment config is {len(text)} characters; the limit is {MAX_CONFIG_BYTES}")
    deep = f"experiment config: the JSON is nested deeper than {MAX_CONFIG_DEPTH} levels"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"malformed experiment config JSON: {e.msg} at line {e.lineno}") from None
    except RecursionError:
        raise ValueError(deep) from None
    if json_depth(value, MAX_CONFIG_DEPTH) > MAX_CONFIG_DEPTH:
        raise ValueError(deep)
    return value


def _check_budget(trials: Any, seconds: Any) -> None:
    if trials is not None and (isinstance(trials, bool) or not isinstance(trials, int) or trials <= 0):
        raise ValueError(f"trials must be a positive integer (or None), got {trials!r}")
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, (int, float))
        or not math.isfinite(seconds) or seconds <= 0
    ):
        raise ValueError(f"seconds must be a positive number (or None), got {seconds!r}")


def _json_dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a dict, got {type(value).__name__}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} must be JSON-able (plain numbers, strings, lists, dicts): {e}") from None
    return dict(value)


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything needed to run (or rerun) an experiment.

    ``objectives`` lists ``[metric, "max" | "min"]`` pairs; the first is the one that
    ``best()`` ranks by (default: the estimator's value, maximised). ``constraints`` maps
    a metric to ``{"max": x}`` and/or ``{"min": y}``, honoured by every strategy when the
    metric can be computed before training (``params``).

    ``imports`` names custom parts by import path (:func:`check_imports`), so that
    ``Experiment.load`` can import them in a new process (from trusted modules only);
    ``dataset_file`` is the ``.npz`` saved with the experiment for a data set given as
    an object, relative to the store's folder. Both are left out of :meth:`to_dict`
    while empty.
    """

    space: dict[str, Any]
    strategy: str = "random"
    strategy_options: dict[str, Any] = field(default_factory=dict)
    estimator: str = "train"
    estimator_options: dict[str, Any] = field(default_factory=dict)
    dataset: str = "digits"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    trials: int | None = None
    seconds: float | None = None
    seed: int = 0
    device: str = "auto"
    objectives: list[list[str]] = field(default_factory=list)
    constraints: dict[str, Any] = field(default_factory=dict)
    imports: dict[str, dict[str, str | None]] = field(default_factory=dict)
    dataset_file: str | None = None

    def __post_init__(self) -> None:
        SearchSpace.from_dict(self.space)
        for name in ("strategy", "estimator", "dataset", "device"):
            v = getattr(self, name)
            if not isinstance(v, str) or not v:
                raise ValueError(f"{name} must be a non-empty name, got {v!r}")
        for name in ("strategy_options", "estimator_options", "dataset_options", "constraints"):
            object.__setattr__(self, name, _json_dict(getattr(self, name), name))
        object.__setattr__(self, "imports", check_imports(self.imports))
        if self.dataset_file is not None and (not isinstance(self.dataset_file, str)
                                              or not self.dataset_file):
            raise ValueError(f"dataset_file must be a file name or None, got {self.dataset_file!r}")
        _check_budget(self.trials, self.seconds)
        if self.trials is None and self.seconds is None:
            raise ValueError("give a budget: trials=N and/or seconds=S")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        objs = []
        for o in self.objectives or []:
            if (not isinstance(o, (list, tuple)) or len(o) != 2 or not isinstance(o[0], str)
                    or o[1] not in DIRECTIONS):
                raise ValueError(f"each objective is [metric, 'max' or 'min'], got {o!r}")
            objs.append([o[0], o[1]])
        object.__setattr__(self, "objectives", objs)
        for metric, bound in self.constraints.items():
            if not isinstance(bound, dict) or not bound or set(bound) - {"max", "min"}:
                raise ValueError(
                    f"constraint on {metric!r} must be like {{'max': 100000}} or {{'min': 0.5}}, got {bound!r}"
                )

    @property
    def search_space(self) -> SearchSpace:
        return SearchSpace.from_dict(self.space)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in OPTIONAL_FIELDS:
            if not d[key]:
                del d[key]
        d["format"], d["version"] = FORMAT, VERSION
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: Any) -> ExperimentConfig:
        if not isinstance(d, dict):
            raise ValueError(f"an experiment config must be a JSON object, got {type(d).__name__}")
        d = dict(d)
        fmt = d.pop("format", FORMAT)
        if fmt != FORMAT:
            raise ValueError(f"not an experiment config: format is {fmt!r}, expected {FORMAT!r}")
        version = d.pop("version", VERSION)
        if not isinstance(version, int) or version > VERSION:
            raise ValueError(f"experiment config version {version!r} is newer than this nasbench_ui reads ({VERSION})")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"experiment config has unknown field(s) {unknown}; known: {sorted(known)}")
        if "space" not in d:
            raise ValueError("experiment config needs a 'space'")
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> ExperimentConfig:
        return cls.from_dict(loads(text))


def _preset_name(space: dict[str, Any]) -> str | None:
    from .space import presets

    try:
        obj = SearchSpace.from_dict(space)
    except ValueError:
        return None
    for name in presets.names():
        if presets.get(name) == obj:
            return name
    return None


_REGISTER = {"operation": "nb.space.ops.register", "dataset": "nb.data.register",
             "estimator": "nb.estimators.register", "strategy": "nb.strategies.register"}


def _part_lines(imports: dict[str, dict[str, str | None]]) -> list[str]:
    """Lines that import and register the custom parts a script needs by name (a name that
    is its own import path needs none: the experiment imports it)."""
    modules: list[str] = []
    calls: list[str] = []
    for kind in PART_KINDS:
        for name, path in imports.get(kind, {}).items():
            if path is None:
                calls.append(f"# register the {kind} {name!r} here ({_REGISTER[kind]}): it "
                             "was defined without an import path")
            elif path != name:
                module, _, attr = path.partition(":")
                if module not in modules:
                    modules.append(module)
                calls.append(f"{_REGISTER[kind]}({name!r}, {module}.{attr}, replace=True)")
    return [f"import {m}" for m in modules] + calls


def to_python(config: ExperimentConfig) -> str:
    """A short runnable script that runs ``config`` headless (what "Copy as Python" shows).

    The space is written as its preset call when it equals a preset, else rebuilt from
    its JSON with ``nb.SearchSpace.from_dict``. Options equal to their defaults are left
    out by whoever built ``config``; everything in it is passed on. Custom parts are
    imported from their modules and registered under their stored names; a data set saved
    with the experiment is read from its ``.npz`` file.

    Example:
        >>> from nasbench_ui import spaces
        >>> code = to_python(ExperimentConfig(space=spaces.nb201().to_dict(), trials=3))
        >>> "nb.Experiment(" in code and "nb.spaces.nb201()" in code
        True
    """
    if not isinstance(config, ExperimentConfig):
        raise ValueError(f"to_python needs an ExperimentConfig, got {type(config).__name__}")
    preset = _preset_name(config.space)
    if preset is not None:
        space_line = f"space = nb.spaces.{preset}()"
    else:
        space_line = f"space = nb.SearchSpace.from_dict(json.loads({json.dumps(config.space)!r}))"
    d = config.to_dict()
    args = []
    for key in ("strategy", "strategy_options", "estimator", "estimator_options", "dataset",
                "dataset_options", "trials", "seconds", "seed", "device", "objectives",
                "constraints"):
        default = ExperimentConfig.__dataclass_fields__[key].default
        value = d[key]
        if key == "dataset" and config.dataset_file is not None:
            # saved with the experiment, next to its store
            args.append(f"    dataset=nb.data.load_npz({config.dataset_file!r}),")
        elif key in ("strategy", "estimator", "dataset", "trials", "seed", "device") or (
                value and value != default):
            args.append(f"    {key}={value!r},")
    lines = [
        '"""Runs the experiment exported from the nasbench_ui workbench, headless."""',
        "import json" if preset is None else "",
        "import nasbench_ui as nb",
        *_part_lines(config.imports),
        "",
        space_line,
        "exp = nb.Experiment(",
        "    space,",
        *args,
        ")",
        "exp.run()",
        "print(exp.results())",
        "print('best:', exp.best().number, exp.best().value, exp.best().arch)",
        "",
    ]
    return "\n".join(line for i, line in enumerate(lines) if line or i > 1)
