"""Optuna's side of the ``optuna`` strategy (:mod:`.optuna_sampler`): whether Optuna is
installed, its samplers by name with their options checked, which samplers draw
categorical parameters at random, and a search space as Optuna parameters (one
distribution per decision, named by its label) with the way back to an architecture.
Optuna itself is imported only when a sampler or a distribution is made.

Example:
    >>> from nasbench_ui import spaces
    >>> space = spaces.keras_cnn()
    >>> arch = space.sample(__import__("random").Random(1))
    >>> params = encode(space, arch)
    >>> sorted(params) == sorted(space.labels), decode(space, params) == space.canonical(arch)
    (True, True)
"""

from __future__ import annotations

import inspect
import json
import warnings
from collections.abc import Mapping
from importlib.util import find_spec
from typing import Any

__all__ = ["QMC_MODELS_CATEGORICAL", "SAMPLERS", "available", "categorical_labels", "decode",
           "distributions", "encode", "falls_back_on_categorical", "load_optuna", "make_sampler"]

SAMPLERS = ("tpe", "gp", "cmaes", "nsga2", "qmc", "random")
QMC_MODELS_CATEGORICAL = (5, 1)
"""The first Optuna version whose QMC sampler draws categorical parameters from its sequence."""


def available() -> bool:
    """Whether Optuna is installed (without importing it), i.e. ``"optuna"`` can be registered.

    Example:
        >>> isinstance(available(), bool)
        True
    """
    try:
        return find_spec("optuna") is not None
    except (ImportError, ValueError):
        return False


def load_optuna() -> Any:
    """Import Optuna with its log set to warnings; ValueError saying how to install it.

    Example:
        >>> load_optuna().__name__
        'optuna'
    """
    try:
        import optuna
    except ImportError:
        raise ValueError("strategy 'optuna' needs Optuna: pip install 'nasbench_ui[optuna]' "
                         "(or pip install optuna)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _version(text: str) -> tuple[int, int]:
    """``(major, minor)`` of a version string such as ``"5.1.0"`` or ``"4.0.0rc1"``."""
    parts = [int("".join(c for c in p if c.isdigit()) or 0) for p in text.split(".")[:2]]
    return (parts[0], parts[1] if len(parts) > 1 else 0)


def _sampler_classes(optuna: Any) -> dict[str, type]:
    s = optuna.samplers
    return {"tpe": s.TPESampler, "gp": s.GPSampler, "cmaes": s.CmaEsSampler,
            "nsga2": s.NSGAIISampler, "qmc": s.QMCSampler, "random": s.RandomSampler}


def falls_back_on_categorical(sampler: str, optuna_version: str) -> bool:
    """Whether ``sampler`` samples categorical parameters at random in this Optuna version.

    Example:
        >>> falls_back_on_categorical("cmaes", "5.1.0"), falls_back_on_categorical("tpe", "4.5")
        (True, False)
        >>> falls_back_on_categorical("qmc", "4.5.0"), falls_back_on_categorical("qmc", "5.1.0")
        (True, False)
    """
    if sampler == "cmaes":
        return True
    return sampler == "qmc" and _version(optuna_version) < QMC_MODELS_CATEGORICAL


def categorical_labels(space: Any) -> list[str]:
    """Labels of the decisions that are categorical for Optuna (ops, input choices, choices).

    Example:
        >>> from nasbench_ui import spaces
        >>> categorical_labels(spaces.keras_cnn())
        ['kernel_size', 'learning_rate']
    """
    from ..space import FloatRange, IntRange

    return [d.label for d in space.decisions if not isinstance(d, (IntRange, FloatRange))]


def distributions(space: Any) -> dict[str, Any]:
    """One Optuna distribution per decision of ``space``, keyed by label, in decision order.

    Example:
        >>> from nasbench_ui import spaces
        >>> d = distributions(spaces.keras_cnn())
        >>> type(d["filters"]).__name__, d["filters"].step, d["kernel_size"].choices
        ('IntDistribution', 32, (3, 5))
    """
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    from ..space import FloatRange, InputChoice, IntRange

    out: dict[str, Any] = {}
    for d in space.decisions:
        choices = d.choices()
        if isinstance(d, IntRange):
            out[d.label] = IntDistribution(choices[0], choices[-1], step=d.step)
        elif isinstance(d, FloatRange):
            out[d.label] = FloatDistribution(choices[0], choices[-1], step=d.step)
        elif isinstance(d, InputChoice):
            out[d.label] = CategoricalDistribution([json.dumps(list(c)) for c in choices])
        else:
            out[d.label] = CategoricalDistribution(list(choices))
    return out


def decode(space: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """The architecture of an Optuna trial's ``params`` (values snapped to the space's grid).

    Example:
        >>> from nasbench_ui import spaces
        >>> decode(spaces.keras_cnn(), {"filters": 64, "kernel_size": 3, "units": 32,
        ...                             "dropout": 0.30000000000000004, "learning_rate": 0.01})
        {'filters': 64, 'kernel_size': 3, 'units': 32, 'dropout': 0.3, 'learning_rate': 0.01}
    """
    from ..space import FloatRange, InputChoice, IntRange

    arch: dict[str, Any] = {}
    for d in space.decisions:
        v = params[d.label]
        if isinstance(d, (IntRange, FloatRange)):
            choices = d.choices()
            i = round((v - choices[0]) / d.step)
            arch[d.label] = choices[min(max(i, 0), len(choices) - 1)]
        elif isinstance(d, InputChoice):
            arch[d.label] = json.loads(v)
        else:
            arch[d.label] = v
    return space.canonical(arch)


def encode(space: Any, arch: Mapping[str, Any]) -> dict[str, Any]:
    """Optuna ``params`` of an architecture: the inverse of :func:`decode`.

    Example:
        >>> from nasbench_ui import spaces
        >>> space = spaces.darts_cell(); a = space.sample(__import__("random").Random(0))
        >>> decode(space, encode(space, a)) == space.canonical(a)
        True
    """
    from ..space import InputChoice

    arch = space.canonical(arch)
    return {d.label: json.dumps(list(arch[d.label])) if isinstance(d, InputChoice)
            else arch[d.label] for d in space.decisions}


def _json_only(options: Mapping[str, Any]) -> None:
    try:
        json.dumps(dict(options), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"optuna: sampler_options must hold JSON values only (numbers, "
                         f"strings, booleans, lists, dicts) so that the strategy's state stays "
                         f"JSON; {e}") from None


def make_sampler(name: str, seed: int, options: Mapping[str, Any]) -> Any:
    """Optuna's sampler ``name`` seeded with ``seed``; ValueError names a bad option.

    Example:
        >>> type(make_sampler("tpe", 0, {"multivariate": True})).__name__
        'TPESampler'
        >>> make_sampler("random", 0, {"bins": 3})
        Traceback (most recent call last):
        ...
        ValueError: optuna: sampler 'random' has no option 'bins'; its options are []
    """
    optuna = load_optuna()
    if name not in SAMPLERS:
        raise ValueError(f"optuna: unknown sampler {name!r}; choose one of {list(SAMPLERS)}")
    cls = _sampler_classes(optuna)[name]
    allowed = [p for p in inspect.signature(cls.__init__).parameters
               if p not in ("self", "seed", "args", "kwargs")]
    for key in options:
        if key == "seed":
            raise ValueError("optuna: 'seed' is not a sampler option here; the strategy's seed "
                             "(the experiment's seed) seeds the sampler")
        if key not in allowed:
            raise ValueError(f"optuna: sampler {name!r} has no option {key!r}; its options are "
                             f"{allowed}")
    _json_only(options)
    kwargs = dict(options)
    if name in ("cmaes", "qmc"):
        kwargs.setdefault("warn_independent_sampling", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:
            return cls(seed=seed, **kwargs)
        except (TypeError, ValueError) as e:
            raise ValueError(f"optuna: sampler {name!r} refused sampler_options "
                             f"{dict(options)}: {e}") from None
