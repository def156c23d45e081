"""The plug-in contracts (issue 13, point 2): each base names its required methods
(three at most), gives every other hook a default body, and every built-in plug-in
subclasses its base; an object written to the bare protocol is wrapped by its adapter.

To add a plug-in kind (the Executor, say), append a :class:`PluginBase` to
:data:`PLUGIN_BASES`; to check that a module never probes plug-ins with ``getattr``,
add its path to :data:`PROBE_FREE_MODULES`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import nasbench_ui as nb
from nasbench_ui import estimators, strategies
from nasbench_ui.engine.executors.base import Executor, LoopHooks, Work
from nasbench_ui.estimators import Estimate, EstimateContext, Estimator, EstimatorAdapter
from nasbench_ui.estimators.base import estimator_cost, history_fields
from nasbench_ui.strategies import Strategy, StrategyAdapter

PACKAGE = Path(nb.__file__).resolve().parent


class MinimalStrategy(Strategy):
    """Only the required methods."""

    def ask(self) -> dict[str, Any]:
        return {"x": 1}

    def tell(self, arch: dict[str, Any], value: float | None, trial: Any = None) -> None:
        pass


class MinimalEstimator(Estimator):
    """Only the required method."""

    def estimate(self, arch: dict[str, Any], ctx: EstimateContext) -> Estimate:
        return Estimate(0.5)


@dataclass
class PluginBase:
    """One plug-in kind: its base, the required methods, a minimal subclass, and each
    optional hook with what using it on the minimal subclass gives by default."""

    base: type
    required: set[str]
    minimal: Callable[[], Any]
    defaults: dict[str, tuple[Callable[[Any], Any], Any]] = field(default_factory=dict)
    registry: Any = None  # the module with names() / get(), when the kind has one


PLUGIN_BASES: list[PluginBase] = [
    PluginBase(
        Strategy, {"ask", "tell"}, MinimalStrategy,
        {
            "NAME": (lambda s: s.NAME, "custom"),
            "OPTIONS": (lambda s: s.OPTIONS, {}),
            "options": (lambda s: s.options, {}),
            "ESTIMATOR": (lambda s: s.ESTIMATOR, None),
            "ACCEPTS_CONSTRAINTS": (lambda s: s.ACCEPTS_CONSTRAINTS, False),
            "REQUIRED": (lambda s: s.REQUIRED, ("ask", "tell")),
            "finished": (lambda s: s.finished, False),
            "ask_meta": (lambda s: s.ask_meta(), {}),
            "set_constraint": (lambda s: s.set_constraint(None), None),
            "state_dict": (lambda s: s.state_dict(), {"strategy": "custom", "replay": True}),
            "load_state_dict": (lambda s: s.load_state_dict(s.state_dict()), None),
            "replays_history": (lambda s: s.replays_history(s.state_dict()), True),
        },
        strategies,
    ),
    PluginBase(
        Estimator, {"estimate"}, MinimalEstimator,
        {
            "NAME": (lambda e: e.NAME, "custom"),
            "OPTIONS": (lambda e: e.OPTIONS, {}),
            "HISTORY": (lambda e: e.HISTORY, ()),
            "HAS_MODELS": (lambda e: e.HAS_MODELS, True),
            "cost": (lambda e: e.cost({"x": 1}, None), None),
            "cost_at": (lambda e: e.cost_at({"x": 1}, None, {"budget": {"epochs": 2}}), None),
            "prepare_options": (lambda e: e.prepare_options({"a": 1}), {"a": 1}),
            "check_space": (lambda e: e.check_space(None), None),
        },
        estimators,
    ),
]


class MinimalExecutor(Executor):
    """Only the required methods: runs nothing, finishes nothing."""

    def submit(self, work: Work) -> None:
        pass

    def poll(self, timeout: float) -> list[Any]:
        return []

    def close(self) -> None:
        pass


PLUGIN_BASES.append(PluginBase(
    Executor, {"submit", "poll", "close"}, MinimalExecutor,
    {
        "REQUIRED": (lambda e: e.REQUIRED, ("submit", "poll", "close")),
        "LABEL": (lambda e: e.LABEL, None),
        "hooks": (lambda e: e.hooks, None),
        "bind": (lambda e: (e.bind(LoopHooks()), type(e.hooks).__name__)[1], "LoopHooks"),
        "free_slots": (lambda e: e.free_slots(), 1),
        "cancel": (lambda e: e.cancel(), []),
    },
))

#: Modules that use plug-ins only through their bases: no ``getattr(`` in their source.
PROBE_FREE_MODULES: list[str] = [
    "strategies/__init__.py", "estimators/__init__.py", "estimators/base.py", "registry.py",
]
#: The loop and what it calls on plug-ins (issue 13's acceptance: the loop source holds no
#: probing of plug-ins): no ``getattr(`` and no ``hasattr(``.
LOOP_MODULES: list[str] = [
    "engine/loop.py", "engine/ledger.py", "engine/jobs.py", "engine/commands.py",
    "engine/events.py", "engine/executors/base.py", "engine/executors/thread.py",
    "engine/executors/dask_trials.py",
]

IDS = [p.base.__name__ for p in PLUGIN_BASES]


def abstract_methods(base: type) -> set[str]:
    """The methods ``base`` marks abstract (``@abstractmethod``), ABC or not."""
    return {name for name in dir(base)
            if getattr(inspect.getattr_static(base, name), "__isabstractmethod__", False)}


def public_names(base: type) -> set[str]:
    """The names a plug-in author sees on ``base`` (its own and inherited, not object's)."""
    return {n for cls in base.__mro__ if cls is not object for n in vars(cls)
            if not n.startswith("_")}


@pytest.mark.parametrize("plugin", PLUGIN_BASES, ids=IDS)
def test_the_required_methods_are_named_and_few(plugin: PluginBase) -> None:
    assert abstract_methods(plugin.base) == plugin.required
    assert len(plugin.required) <= 3
    required = getattr(plugin.base, "REQUIRED", None)  # a base may list them, too
    assert required is None or set(required) == plugin.required
    plugin.minimal()  # implementing the required methods is enough to build one


@pytest.mark.parametrize("plugin", PLUGIN_BASES, ids=IDS)
def test_every_optional_hook_is_documented_and_has_a_default(plugin: PluginBase) -> None:
    doc = plugin.base.__doc__ or ""
    documented = set(re.findall(r"(?:``|:(?:meth|attr):`)(\w+)", doc))
    hooks = public_names(plugin.base) - plugin.required
    assert hooks == set(plugin.defaults), "a hook without a default checked here"
    assert hooks | plugin.required <= documented, "the base's docstring names every hook"
    obj = plugin.minimal()
    for name, (use, expected) in plugin.defaults.items():
        assert use(obj) == expected, name


@pytest.mark.parametrize("plugin", [p for p in PLUGIN_BASES if p.registry], ids=lambda p: p.base.__name__)
def test_every_built_in_plugin_subclasses_its_base(plugin: PluginBase) -> None:
    built_in = [n for n in plugin.registry.names()
                if plugin.registry.get(n).__module__.startswith("nasbench_ui.")]
    assert len(built_in) >= 7
    for name in built_in:
        assert issubclass(plugin.registry.get(name), plugin.base), name


@pytest.mark.parametrize("path", PROBE_FREE_MODULES)
def test_no_getattr_probing_outside_the_adapters(path: str) -> None:
    assert "getattr(" not in (PACKAGE / path).read_text()


@pytest.mark.parametrize("path", LOOP_MODULES)
def test_the_loop_never_probes_a_plugin(path: str) -> None:
    source = (PACKAGE / path).read_text()
    assert "getattr(" not in source and "hasattr(" not in source


def test_every_engine_module_the_loop_imports_is_checked() -> None:
    loop = (PACKAGE / "engine/loop.py").read_text()
    imported = set(re.findall(r"^from \.(\w[\w.]*) import", loop, re.M))
    assert imported and {f"engine/{m.replace('.', '/')}.py" for m in imported} <= set(LOOP_MODULES)


# ------------------------------------------------------- protocol-only objects
class PlainStrategy:
    """Proposes ``{"x": n}`` for n = 0, 1, ...: ask and tell only."""

    def __init__(self) -> None:
        self.n, self.told = 0, []

    def ask(self) -> dict[str, Any]:
        self.n += 1
        return {"x": self.n - 1}

    def tell(self, arch: dict[str, Any], value: float | None, trial: Any = None) -> None:
        self.told.append((arch["x"], value))


class PlainEstimator:
    """The old protocol without the base: estimate, cost, HISTORY and HAS_MODELS."""

    NAME = "plain"
    HISTORY = ("curve",)
    HAS_MODELS = False

    def estimate(self, arch: dict[str, Any], ctx: Any) -> Estimate:
        return Estimate(0.25, {"seen": len(arch)})

    def cost(self, arch: dict[str, Any], space: Any) -> float:
        return 3.0


def test_a_protocol_only_strategy_is_wrapped_and_works() -> None:
    plain = PlainStrategy()
    s = strategies.create(plain, nb.spaces.nb201())
    assert isinstance(s, StrategyAdapter) and isinstance(s, Strategy) and s.inner is plain
    arch = s.ask()
    s.tell(arch, 0.5)
    assert plain.told == [(0, 0.5)] and s.finished is False and s.ask_meta() == {}
    assert s.state_dict() == {"strategy": "custom", "replay": True}
    assert Strategy.replays_history(s.state_dict())
    with pytest.raises(ValueError, match="cannot take a constraint"):
        s.set_constraint(bool)


def test_a_protocol_only_estimator_is_wrapped_and_estimates_identically() -> None:
    plain = PlainEstimator()
    e = estimators.create(plain)
    assert isinstance(e, EstimatorAdapter) and isinstance(e, Estimator) and e.inner is plain
    arch = {"a": 1, "b": 2}
    assert e.estimate(arch, None) == plain.estimate(arch, None)
    assert e.cost(arch, None) == 3.0 == estimator_cost(plain, arch, None)
    assert e.cost_at(arch, None, {"budget": {"epochs": 2}}) == 3.0  # a plain object prices no rung
    assert (e.NAME, e.HISTORY, e.HAS_MODELS) == ("plain", ("curve",), False)
    assert history_fields(e) == history_fields(plain) == history_fields(PlainEstimator) == ("curve",)
    assert estimators.create(e) is e  # already an Estimator


def test_a_protocol_only_estimator_runs_an_experiment() -> None:
    class Value(PlainEstimator):
        HAS_MODELS = True

        def cost(self, arch: dict[str, Any], space: Any) -> None:
            return None

        def estimate(self, arch: dict[str, Any], ctx: Any) -> Estimate:
            return Estimate(float(len(ctx.space.key(arch))))

    exp = nb.Experiment("nb201", strategy="random", estimator=Value(), trials=3, seed=0,
                        storage=":memory:").run()
    assert [t.state.name for t in exp.trials] == ["COMPLETE"] * 3
    assert all(t.value == float(len(exp.space.key(t.arch))) for t in exp.trials)
