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


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PKG)))
def test_no_pickle_no_eval_and_safe_torch_load(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
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


def test_space_json_names_ops_only_through_the_registry():
    d = nb.spaces.blank().to_dict()
    d["edges"][0]["ops"] = ["os.system"]
    with pytest.raises(ValueError, match="unknown operation 'os.system'"):
        nb.SearchSpace.from_dict(d)
