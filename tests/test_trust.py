"""``nasbench_ui.trust``: what a stored file or an imported config may name."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

# Names are imported from the module: the package root's ``nb.trust`` is the function.
from nasbench_ui.trust import (
    UntrustedError,
    check_module,
    check_path,
    current_source,
    trust,
    trusted,
    untrust_all,
    untrusted,
)

SOURCE = "the stored experiment 'x' in runs.db"


@pytest.fixture(autouse=True)
def clean():
    untrust_all()
    yield
    untrust_all()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "tables" / "sub").mkdir(parents=True)
    (tmp_path / "tables" / "sub" / "t.csv").write_text("a\n")
    (tmp_path / "tables2").mkdir()
    (tmp_path / "tables2" / "t.csv").write_text("a\n")
    (tmp_path / "other.csv").write_text("a\n")
    return tmp_path


def test_outside_untrusted_everything_passes_and_paths_resolve(tree: Path) -> None:
    assert current_source() is None
    assert check_path(tree / "other.csv", "the table") == (tree / "other.csv").resolve()
    assert check_path(str(tree / "tables" / ".." / "other.csv"), "x") == tree / "other.csv"
    assert check_path("~", "x") == Path.home().resolve()
    check_module("os:system", "the operation")  # the user's own code may name anything


def test_inside_untrusted_an_untrusted_path_is_refused_with_how_to_trust(tree: Path) -> None:
    target = tree / "tables" / "sub" / "t.csv"
    with untrusted(SOURCE), pytest.raises(UntrustedError) as info:
        check_path(target, "the table")
    msg = str(info.value)
    assert isinstance(info.value, PermissionError)
    assert msg.startswith(f"the table {str(target)!r} named by {SOURCE} is not trusted")
    folder = str(target.parent.resolve())
    assert f"nb.trust({folder!r})" in msg and f"--trust {folder}" in msg
    assert "\n" not in msg


def test_a_trusted_folder_covers_every_file_under_it_and_nothing_beside_it(tree: Path) -> None:
    trust(tree / "tables")
    with untrusted(SOURCE):
        assert check_path(tree / "tables" / "sub" / "t.csv", "t") == tree / "tables/sub/t.csv"
        assert check_path(tree / "tables", "t") == tree / "tables"
        for outside in (tree / "tables2" / "t.csv", tree / "other.csv", tree):
            with pytest.raises(UntrustedError):
                check_path(outside, "the table")
        with pytest.raises(UntrustedError):  # ".." leaves the folder once resolved
            check_path(f"{tree}/tables/../other.csv", "the table")


def test_a_trusted_file_covers_only_itself(tree: Path) -> None:
    trust(str(tree / "other.csv"))
    with untrusted(SOURCE):
        check_path(tree / "other.csv", "t")
        with pytest.raises(UntrustedError):
            check_path(tree / "tables" / "sub" / "t.csv", "t")


def test_symlinks_are_followed_before_comparing(tree: Path) -> None:
    trust(tree / "tables")
    out_link = tree / "tables" / "escape.csv"  # inside the folder, pointing outside it
    out_link.symlink_to(tree / "other.csv")
    in_link = tree / "in.csv"  # outside the folder, pointing inside it
    in_link.symlink_to(tree / "tables" / "sub" / "t.csv")
    with untrusted(SOURCE):
        with pytest.raises(UntrustedError, match="escape.csv"):
            check_path(out_link, "the table")
        assert check_path(in_link, "the table") == tree / "tables" / "sub" / "t.csv"
    link_dir = tree / "link"
    link_dir.symlink_to(tree / "tables2")
    trust(link_dir)  # trusting a link trusts where it leads
    assert str(tree / "tables2") in trusted()


def test_modules_and_their_submodules(tree: Path) -> None:
    trust("mypackage")
    with untrusted(SOURCE):
        check_module("mypackage", "the data set")
        check_module("mypackage.data.toys:make", "the data set")
        for name in ("mypackage2", "os", "my:mypackage", "mypackag.e"):
            with pytest.raises(UntrustedError):
                check_module(name, "the data set")
    with untrusted("the imported config"), pytest.raises(UntrustedError) as info:
        check_module("evil.pkg:run", "the estimator")
    assert str(info.value) == (
        "the estimator 'evil.pkg:run' named by the imported config is not trusted; if you "
        "trust the package, run nb.trust('evil') in code or pass --trust evil on the command "
        "line")


@pytest.mark.parametrize("bad", ["", "1abc", "a..b", "a b", "a.b:", 5, None])
def test_a_malformed_module_name_is_a_value_error(bad: object) -> None:
    with untrusted(SOURCE), pytest.raises(ValueError, match="module name"):
        check_module(bad, "the operation")  # type: ignore[arg-type]


def test_what_counts_as_a_path(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    trust("./tables", "tables2/t.csv", "mypkg.sub", Path("other.csv"))
    assert trusted() == ["mypkg.sub", str(tree / "other.csv"), str(tree / "tables"),
                               str(tree / "tables2" / "t.csv")]
    with untrusted(SOURCE):
        check_module("mypkg.sub.x", "m")
        with pytest.raises(UntrustedError):
            check_module("mypkg", "m")  # a submodule's trust does not cover its parent


def test_trust_is_idempotent_and_untrust_all_forgets(tree: Path) -> None:
    for _ in range(3):
        trust("mypackage", tree / "tables")
    assert trusted() == ["mypackage", str(tree / "tables")]
    untrust_all()
    assert trusted() == []
    with untrusted(SOURCE), pytest.raises(UntrustedError):
        check_path(tree / "tables" / "sub" / "t.csv", "t")


@pytest.mark.parametrize("bad, match", [
    ("not a module", "is not a module name"),
    ("mypackage:thing", "trust a module, not an attribute"),
    ("", "is not a module name"),
    (5, "takes module names and paths, got int"),
    ("./does-not-exist", "no such file or folder"),
])
def test_bad_items_are_refused_and_nothing_is_trusted(tree: Path, bad: object,
                                                      match: str) -> None:
    with pytest.raises(ValueError, match=match):
        trust("goodpackage", tree / "tables", bad)  # type: ignore[arg-type]
    assert trusted() == []


def test_untrusted_nests_and_resets_after_an_error(tree: Path) -> None:
    with pytest.raises(RuntimeError), untrusted("outer"):
        assert current_source() == "outer"
        with untrusted("inner"):
            assert current_source() == "inner"
        assert current_source() == "outer"
        raise RuntimeError("boom")
    assert current_source() is None
    check_path(tree / "other.csv", "t")
    with pytest.raises(ValueError, match="non-empty description"), untrusted("  "):
        pass


def test_untrusted_does_not_leak_into_other_threads(tree: Path) -> None:
    seen: list[object] = []
    started, release = threading.Event(), threading.Event()

    def other() -> None:
        started.set()
        release.wait(5)
        seen.append(current_source())
        seen.append(check_path(tree / "other.csv", "t"))

    t = threading.Thread(target=other)
    t.start()
    started.wait(5)
    with untrusted(SOURCE):
        release.set()
        t.join(5)
        with pytest.raises(UntrustedError):
            check_path(tree / "other.csv", "t")
    assert seen == [None, tree / "other.csv"]


def test_a_path_with_odd_characters_keeps_the_message_on_one_line(tree: Path) -> None:
    odd = tree / "a\nb.csv"
    with untrusted(SOURCE), pytest.raises(UntrustedError) as info:
        check_path(odd, "the table")
    assert "\n" not in str(info.value) and "a\\nb.csv" in str(info.value)


def test_a_folder_with_spaces_is_quoted_for_the_shell(tree: Path) -> None:
    spaced = tree / "my tables"
    spaced.mkdir()
    with untrusted(SOURCE), pytest.raises(UntrustedError) as info:
        check_path(spaced / "t.csv", "the table")
    assert f"--trust '{spaced}'" in str(info.value)
    assert os.path.isdir(spaced)
