"""Trust: which paths and modules a stored file or an imported config may name.

A stored experiment (``runs.db``), a ``--config`` file or a config imported in the
workbench is data that someone else may have written. When it names a file (a
benchmark table) or a module (a custom data set, estimator, strategy or operation),
reading or importing it on that file's word could leak a secret or run foreign code.

So the code that turns such data into objects runs inside :func:`untrusted`, and the
parts that open a path or import a module ask :func:`check_path` or
:func:`check_module` first. Inside ``untrusted(...)`` only what the user trusted with
:func:`trust` (``nb.trust`` in code, ``--trust`` on the command line) passes; outside,
everything is the user's own code and passes. The "inside" is a
:class:`contextvars.ContextVar`, so it never leaks into another thread.

Trusting a module name trusts the module and its submodules; trusting a path trusts
that file or every file under that folder (symlinks are followed before comparing).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> table = folder / "t.csv"
    >>> with untrusted("the imported config"):
    ...     check_path(table, "the table")
    Traceback (most recent call last):
    ...
    nasbench_ui.trust.UntrustedError: the table ... named by the imported config is not trusted; ...
    >>> trust(folder, "mypackage")
    >>> with untrusted("the imported config"):
    ...     check_path(table, "the table") == table.resolve()
    ...     check_module("mypackage.ops:Conv", "the operation")
    True
    >>> untrust_all()
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import shlex
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_SOURCE: ContextVar[str | None] = ContextVar("nasbench_ui_untrusted_source", default=None)
_LOCK = threading.Lock()
_MODULES: set[str] = set()
_PATHS: set[Path] = set()
_SHOWN = 200  # longest repr of a value quoted in a message
_MISSING = object()


class UntrustedError(PermissionError):
    """A stored file or an imported config named a path or module the user did not trust.

    Example:
        >>> issubclass(UntrustedError, PermissionError)
        True
    """


def _short(value: object) -> str:
    """``repr(value)`` cut to about 200 characters (one line: repr escapes newlines)."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _is_path_text(item: str) -> bool:
    seps = [s for s in (os.sep, os.altsep) if s]
    return any(s in item for s in seps) or item.startswith((".", "~"))


def _module_name(name: object) -> str:
    """The module part of ``"pkg.mod"`` or ``"pkg.mod:attr"``; ValueError if malformed."""
    if not isinstance(name, str):
        raise ValueError(f"a module name must be a str, got {type(name).__name__}")
    module, colon, attr = name.partition(":")
    if not all(part.isidentifier() for dotted in (module, *([attr] if colon else []))
               for part in dotted.split(".")):
        raise ValueError(f"{_short(name)} is not a module name: write dotted identifiers such "
                         "as 'mypackage' or 'mypackage.ops' (a path needs a '/' or a leading "
                         "'.' or '~')")
    return module


def _resolve(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser().resolve()


def trust(*items: str | os.PathLike[str]) -> None:
    """Let stored files and imported configs name these modules or paths.

    An item is a module name (``"mypackage"`` trusts it and its submodules) or a path:
    a :class:`pathlib.Path`, or a str holding a path separator or starting with ``.``
    or ``~`` (``"./tables"``, ``"~/nas/tables"``, ``"/data/t.csv"``). A path must exist;
    a folder trusts every file under it. Calling it again with the same item does
    nothing. ValueError for anything else, and then nothing is trusted from this call.

    Example:
        >>> trust("mypackage", "mypackage")
        >>> trusted()
        ['mypackage']
        >>> trust("not a module")
        Traceback (most recent call last):
        ...
        ValueError: 'not a module' is not a module name: ...
        >>> untrust_all()
    """
    modules: list[str] = []
    paths: list[Path] = []
    for item in items:
        if isinstance(item, os.PathLike) or (isinstance(item, str) and _is_path_text(item)):
            p = _resolve(item)
            if not p.exists():
                raise ValueError(f"cannot trust {_short(str(item))}: no such file or folder "
                                 f"({str(p)!r})")
            paths.append(p)
        elif isinstance(item, str):
            if ":" in item:
                raise ValueError(f"trust a module, not an attribute: {_short(item)}; write "
                                 f"{item.split(':', 1)[0]!r}")
            modules.append(_module_name(item))
        else:
            raise ValueError(f"trust() takes module names and paths, got "
                             f"{type(item).__name__} ({_short(item)})")
    with _LOCK:
        _MODULES.update(modules)
        _PATHS.update(paths)


def untrust_all() -> None:
    """Forget everything :func:`trust` was given (for tests).

    Example:
        >>> trust("mypackage"); untrust_all(); trusted()
        []
    """
    with _LOCK:
        _MODULES.clear()
        _PATHS.clear()


def trusted() -> list[str]:
    """What is trusted: module names, then resolved paths, each sorted.

    Example:
        >>> trust("b_pkg", "a_pkg"); trusted()
        ['a_pkg', 'b_pkg']
        >>> untrust_all()
    """
    with _LOCK:
        return sorted(_MODULES) + sorted(str(p) for p in _PATHS)


@contextmanager
def untrusted(source: str) -> Iterator[None]:
    """Mark the options created inside as coming from ``source``, not from the user.

    ``source`` says where, for messages: ``"the stored experiment 'x' in runs.db"``,
    ``"the imported config"``. Only this thread (this context) is affected; an inner
    ``untrusted`` replaces the source until it ends.

    Example:
        >>> with untrusted("the imported config"):
        ...     current_source()
        'the imported config'
        >>> current_source() is None
        True
    """
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"untrusted() needs a non-empty description of the source, got "
                         f"{_short(source)}")
    token = _SOURCE.set(source)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def current_source() -> str | None:
    """The ``source`` of the innermost :func:`untrusted` around this call, or None.

    Example:
        >>> current_source() is None
        True
    """
    return _SOURCE.get()


def _cli_arg(text: str) -> str:
    return shlex.quote(text)


def check_path(path: str | os.PathLike[str], what: str,
               within: str | os.PathLike[str] | None = None) -> Path:
    """The resolved ``path``; inside :func:`untrusted`, UntrustedError unless trusted.

    ``what`` names the path in the message (``"the table"``). The message names the
    source, the path and how to trust its folder. ``within``: a folder whose files pass
    too (the store's own folder, for the files saved with an experiment).

    Example:
        >>> check_path("~", "the folder") == Path.home().resolve()
        True
    """
    resolved = _resolve(path)
    source = _SOURCE.get()
    if source is None:
        return resolved
    allowed = [_resolve(within)] if within is not None else []
    with _LOCK:
        allowed += _PATHS
    ok = any(resolved == p or resolved.is_relative_to(p) for p in allowed)
    if ok:
        return resolved
    folder = str(resolved if resolved.is_dir() else resolved.parent)
    raise UntrustedError(
        f"{what} {_short(str(path))} named by {source} is not trusted; if you trust it, run "
        f"nb.trust({folder!r}) in code or pass --trust {_cli_arg(folder)} on the command line"
    )


def check_module(name: str, what: str) -> None:
    """Inside :func:`untrusted`, UntrustedError unless module ``name`` is trusted.

    ``name`` is ``"pkg.mod"`` or an import path ``"pkg.mod:attr"``; ValueError when
    it is neither. Trusting ``"pkg"`` trusts ``"pkg.mod"`` too.

    Example:
        >>> trust("mypackage")
        >>> with untrusted("the stored experiment 'x' in runs.db"):
        ...     check_module("mypackage.data:toy", "the data set")
        ...     check_module("os:system", "the data set")
        Traceback (most recent call last):
        ...
        nasbench_ui.trust.UntrustedError: the data set 'os:system' named by the stored ...
        >>> untrust_all()
    """
    module = _module_name(name)
    source = _SOURCE.get()
    if source is None:
        return
    parts = module.split(".")
    prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    with _LOCK:
        ok = not prefixes.isdisjoint(_MODULES)
    if ok:
        return
    top = parts[0]
    raise UntrustedError(
        f"{what} {_short(name)} named by {source} is not trusted; if you trust the package, "
        f"run nb.trust({top!r}) in code or pass --trust {top} on the command line"
    )


def check_stored_file(name: str, folder: str | os.PathLike[str], what: str) -> Path:
    """The file ``name`` (a relative path stored in a file) inside ``folder``, resolved.

    ``name`` must be relative and must not climb out (no ``..``, no absolute path, no
    drive): ValueError otherwise. Then :func:`check_path` with ``within=folder``, so a
    symbolic link that leads out of the folder needs :func:`trust` inside
    :func:`untrusted`. The file must exist.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp()); _ = (folder / "d.npz").write_bytes(b"")
        >>> check_stored_file("d.npz", folder, "the data set file") == (folder / "d.npz").resolve()
        True
        >>> check_stored_file("../../etc/passwd", folder, "the data set file")
        Traceback (most recent call last):
        ...
        ValueError: the data set file '../../etc/passwd' must be a file name inside ...
    """
    if not isinstance(name, str) or not name or "\x00" in name:
        raise ValueError(f"{what} must be a non-empty file name, got {_short(name)}")
    parts = Path(name)
    windows = "\\" in name or (len(name) > 1 and name[1] == ":")
    if parts.is_absolute() or windows or ".." in parts.parts or name.startswith("~"):
        raise ValueError(f"{what} {_short(name)} must be a file name inside the store's folder "
                         f"{str(_resolve(folder))!r} (no absolute path, no '..')")
    resolved = check_path(_resolve(folder) / parts, what, within=folder)
    if not resolved.is_file():
        raise ValueError(f"{what} {_short(name)} is missing from {str(_resolve(folder))!r}; "
                         "keep it next to the store when you move or share the store")
    return resolved


def _walk(obj: object, qualname: str) -> object:
    for part in qualname.split("."):
        obj = getattr(obj, part, _MISSING)
        if obj is _MISSING:
            return _MISSING
    return obj


def import_path(obj: object) -> str | None:
    """``"package.module:name"`` that imports ``obj`` (a class or function) back in another
    process, or None: an object defined in ``__main__`` (a script or a notebook cell),
    inside a function, a lambda, or anything else that has no import path.

    Example:
        >>> import json
        >>> import_path(json.dumps), import_path(lambda x: x), import_path(3)
        ('json:dumps', None, None)
    """
    if not isinstance(obj, (type, types.FunctionType)):
        return None
    module, qualname = obj.__module__, obj.__qualname__
    if (not isinstance(module, str) or module == "__main__" or "<" in qualname
            or module not in sys.modules):
        return None
    if _walk(sys.modules[module], qualname) is not obj:
        return None
    return f"{module}:{qualname}"


def defining_module(obj: object) -> str | None:
    """The name of the module that defines ``obj`` (a ``functools.partial``: its
    function's), or None.

    Example:
        >>> import functools, json
        >>> defining_module(functools.partial(json.dumps, indent=1))
        'json'
    """
    while isinstance(obj, functools.partial):
        obj = obj.func
    module = inspect.getmodule(obj if isinstance(obj, (type, types.FunctionType,
                                                       types.BuiltinFunctionType)) else type(obj))
    return module.__name__ if module is not None else None


def import_object(path: str, what: str) -> object:
    """The object at ``path`` (``"package.module:name"``), imported after
    :func:`check_module` (inside :func:`untrusted`, only from trusted modules).

    ValueError when the path is malformed, the module cannot be imported or lacks the
    name; UntrustedError when the module is not trusted.

    Example:
        >>> import_object("json:dumps", "the function").__name__
        'dumps'
        >>> with untrusted("the stored experiment 'x' in runs.db"):
        ...     import_object("os:system", "the estimator")
        Traceback (most recent call last):
        ...
        nasbench_ui.trust.UntrustedError: the estimator 'os:system' named by the stored ...
    """
    module, colon, attr = path.partition(":") if isinstance(path, str) else ("", "", "")
    if not colon:
        raise ValueError(f"{what} {_short(path)} is not an import path: write "
                         "'package.module:name'")
    check_module(path, what)
    try:
        mod = importlib.import_module(module)
    except Exception as e:  # noqa: BLE001 - any failure to import is the user's to fix
        raise ValueError(f"cannot import {what} {_short(path)}: {type(e).__name__}: {e} "
                         "(is the package installed, or its folder on sys.path?)") from None
    obj = _walk(mod, attr)
    if obj is _MISSING:
        raise ValueError(f"cannot import {what} {_short(path)}: module {module!r} has no "
                         f"{attr!r}")
    return obj


__all__ = [
    "UntrustedError", "check_module", "check_path", "check_stored_file", "current_source",
    "defining_module", "import_object", "import_path", "trust", "trusted", "untrust_all",
    "untrusted",
]
