"""The storage package keeps JSON only and exports its public names."""

from __future__ import annotations

import ast
from pathlib import Path

import nasbench_ui.storage as storage

PACKAGE = Path(storage.__file__).resolve().parent
UNSAFE = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal", "shelve", "joblib"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def test_storage_never_imports_pickle():
    files = sorted(PACKAGE.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "base.py", "memory.py", "sqlite.py"}
    for f in files:
        bad = _imported_modules(f) & UNSAFE
        assert not bad, f"{f.name} imports {bad}; stores keep JSON and numbers only"
        code = f.read_text()
        assert "pickle.load" not in code and "pickle.dump" not in code, f.name


def test_the_checker_sees_a_pickle_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom pickle import loads\n")
    assert "pickle" in _imported_modules(sample)


def test_public_names():
    assert set(storage.__all__) == {
        "Trial",
        "TrialState",
        "TrialStore",
        "MemoryStore",
        "SQLiteStore",
        "open_store",
        "StoreError",
        "Lease",
        "LeaseHeld",
    }
    for name in storage.__all__:
        assert getattr(storage, name) is not None
    assert issubclass(storage.StoreError, ValueError)
