"""Stored data is never unpickled and never runs code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import nasbench_ui as nb

PKG = Path(nb.__file__).parent
SOURCES = sorted(PKG.rglob("*.py"))


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            yield node, owner, name


# The one module that pickles: it sends a notebook cell's parts to the search's own
# process, which unpickles what its parent wrote to its standard input (never a file, never
# the store); only the search process's entry point may call its ``unpack``
BY_VALUE = "engine/by_value.py"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PKG)))
def test_no_pickle_no_eval_and_safe_torch_load(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) \
                and path.relative_to(PKG).as_posix() != BY_VALUE:
            mods = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            assert not any(m.split(".")[0] in ("pickle", "dill", "cloudpickle", "marshal", "shelve")
                           for m in mods), f"{path}: imports an unpickler"
    for call, owner, name in _calls(tree):
        if isinstance(call.func, ast.Name):  # the builtins, not model.eval()
            assert name not in ("eval", "exec", "compile", "__import__"), (
                f"{path}:{call.lineno}: {name}() runs code")
        if owner == "torch" and name == "load":
            kws = {k.arg: k.value for k in call.keywords}
            assert "weights_only" in kws and getattr(kws["weights_only"], "value", None) is True, (
                f"{path}:{call.lineno}: torch.load without weights_only=True")
        if owner == "pd" and name == "read_pickle":
            raise AssertionError(f"{path}:{call.lineno}: read_pickle")


def test_only_the_search_process_unpickles_and_only_what_its_parent_sent():
    """``by_value.unpack`` is reached from ``engine/child.py`` alone, on the start line
    its parent wrote to its standard input; nothing else names it."""
    users = set()
    for path in SOURCES:
        text = path.read_text()
        tree = ast.parse(text, filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("by_value") \
                    and any(a.name in ("unpack", "*") for a in node.names):
                users.add(path.relative_to(PKG).as_posix())
            if isinstance(node, ast.Attribute) and node.attr == "unpack" \
                    and isinstance(node.value, ast.Name) and node.value.id == "by_value":
                users.add(path.relative_to(PKG).as_posix())
    assert users == {"engine/child.py"}, users
    child = (PKG / "engine" / "child.py").read_text()
    assert 'unpack(spec.get("parts") or [])' in child
    assert "spec = json.loads(stdin.readline())" in child  # the parent's pipe, no file
    # ... and in by_value.py, unpack is the only place that loads a pickle
    tree = ast.parse((PKG / BY_VALUE).read_text())

    def loads(node):
        return [c for c in ast.walk(node) if isinstance(c, ast.Call)
                and isinstance(c.func, ast.Attribute) and c.func.attr in ("loads", "load")]

    unpack = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "unpack")
    assert len(loads(unpack)) == 1 and loads(tree) == loads(unpack)


def test_space_json_names_ops_only_through_the_registry():
    d = nb.spaces.blank().to_dict()
    d["edges"][0]["ops"] = ["os.system"]
    with pytest.raises(ValueError, match="unknown operation 'os.system'"):
        nb.SearchSpace.from_dict(d)
