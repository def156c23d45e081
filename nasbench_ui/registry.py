"""``Registry``: the one name -> object table behind strategies, estimators, operations
and data sets.

Each kind keeps one ``Registry`` and its module's functions (``register``, ``get``,
``names``, ...) are thin wrappers over it. A registry checks what is registered with
the ``check`` function it was built with, refuses a taken name unless ``replace=True``,
and answers an unknown name with one error for every kind::

    unknown <kind> 'x' (did you mean 'y'?); known: a, b, c

``options(name)`` gives the declared options of an entry (the ``OPTIONS`` dict the
forms and the CLI are built from), or ``{}`` for a kind without options.

Example:
    >>> colours = Registry("colour")
    >>> _ = colours.register("red", "#f00"); _ = colours.register("green", "#0f0")
    >>> colours.get("red"), colours.names(), "blue" in colours
    ('#f00', ['red', 'green'], False)
    >>> colours.get("rde")
    Traceback (most recent call last):
    ...
    ValueError: unknown colour 'rde' (did you mean 'red'?); known: red, green
    >>> colours.register("red", "#e00")
    Traceback (most recent call last):
    ...
    ValueError: colour 'red' is already registered; pass replace=True to replace it
    >>> colours.options("red")
    {}
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_MISSING: Any = object()


class Registry(Generic[T]):
    """Named entries of one kind, in registration order (built-ins first).

    Args:
        kind: what an entry is, in messages: ``"strategy"``, ``"data set"``...
        check: ``check(name, obj)`` raises ValueError for an object that may not be
            registered (default: anything goes).
        options: ``options(obj)`` -> the entry's declared options (default: none).
        name_pattern: a regular expression a name must match (default: non-blank).
        name_rule: how :meth:`check_name` describes a valid name when one is refused.
        hint: text appended to the unknown-name error (say where to register more).
    """

    def __init__(
        self,
        kind: str,
        check: Callable[[str, T], None] | None = None,
        *,
        options: Callable[[T], Mapping[str, Any]] | None = None,
        name_pattern: str = r"\S",
        name_rule: str = "a non-empty string",
        hint: str = "",
    ) -> None:
        self.kind = kind
        self._check = check
        self._options = options
        self._name_re = re.compile(name_pattern)
        self._name_rule = name_rule
        self._hint = hint
        self._entries: dict[str, T] = {}

    # ------------------------------------------------------------------ writing
    def check_name(self, name: Any) -> str:
        """``name`` when it may name an entry; ValueError saying what a name must be.

        Example:
            >>> Registry("strategy").check_name("")
            Traceback (most recent call last):
            ...
            ValueError: a strategy name must be a non-empty string, got ''
        """
        if not isinstance(name, str) or not self._name_re.search(name):
            article = "an" if self.kind[:1].lower() in "aeiou" else "a"
            raise ValueError(f"{article} {self.kind} name must be {self._name_rule}, got {name!r}")
        return name

    def check_free(self, name: str) -> None:
        """ValueError when ``name`` is taken (to check before building an entry)."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered; pass replace=True "
                             "to replace it")

    def register(self, name: str, obj: T, replace: bool = False) -> T:
        """Add ``obj`` as ``name`` (checked) and return it; ValueError when the name is
        taken, unless ``replace``."""
        self.check_name(name)
        if not replace:
            self.check_free(name)
        if self._check is not None:
            self._check(name, obj)
        self._entries[name] = obj
        return obj

    def unregister(self, name: str) -> T:
        """Remove ``name`` and return its entry (the unknown-name error if it is absent)."""
        self.get(name)
        return self._entries.pop(name)

    def pop(self, name: str, default: Any = _MISSING) -> Any:
        """Remove ``name`` quietly, as ``dict.pop`` does (for clean-ups in tests).

        Example:
            >>> r = Registry("thing"); _ = r.register("a", 1)
            >>> r.pop("a"), r.pop("a", None)
            (1, None)
        """
        if default is _MISSING:
            return self._entries.pop(name)
        return self._entries.pop(name, default)

    def copy(self) -> Registry[T]:
        """An independent registry with the same rules and entries."""
        other: Registry[T] = Registry(self.kind)
        other.__dict__.update(self.__dict__)
        other._entries = dict(self._entries)
        return other

    # ------------------------------------------------------------------ reading
    def get(self, name: str) -> T:
        """The entry registered as ``name``; ValueError that lists the known names."""
        if isinstance(name, str) and name in self._entries:
            return self._entries[name]
        raise self.unknown(name)

    def unknown(self, name: Any) -> ValueError:
        """The error for a name that is not registered (close names suggested first)."""
        close = difflib.get_close_matches(str(name), list(self._entries), n=3, cutoff=0.6)
        maybe = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
        return ValueError(f"unknown {self.kind} {name!r}{maybe}; known: "
                          f"{', '.join(self._entries) or '(none)'}{self._hint}")

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._entries)

    def items(self) -> list[tuple[str, T]]:
        """``(name, entry)`` pairs, in registration order."""
        return list(self._entries.items())

    def options(self, name: str) -> dict[str, Any]:
        """The declared options of ``name`` (``{}`` for a kind without options)."""
        obj = self.get(name)
        return dict(self._options(obj)) if self._options is not None else {}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"
