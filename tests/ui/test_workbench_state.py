"""The workbench's shareable state: round trip, Export/Import, Copy as Python, hide/lock."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import time

import pytest

import nasbench_ui as nb
from nasbench_ui.ui.sharing import HIDEABLE, LOCKABLE


def _custom_workbench() -> nb.Workbench:
    wb = nb.Workbench(space="nb201", storage=":memory:", trials=7)
    wb.controls.strategy.value = "evolution"
    wb.controls.strategy_form.fields["population"].value = 5
    wb.controls.estimator.value = "zero_cost"
    wb.controls.estimator_form.fields["batch_size"].value = 32
    wb.controls.minutes.value = 1.5
    wb.controls.seed.value = 3
    wb.controls.device.value = "cpu"
    return wb


def test_state_is_the_experiment_config_and_round_trips():
    wb = _custom_workbench()
    s = wb.state
    cfg = nb.ExperimentConfig.from_dict(s)
    assert cfg.to_dict() == s
    assert s["strategy_options"] == {"population": 5} and s["seconds"] == 90.0
    assert json.loads(json.dumps(s)) == s
    other = nb.Workbench(storage=":memory:", trials=2)
    other.controls.strategy.value = "evolution"
    other.controls.strategy_form.fields["sample_size"].value = 2  # must not linger
    other.state = s
    assert other.state == s
    c = other.controls
    assert (c.strategy.value, c.estimator.value, c.dataset.value) == ("evolution", "zero_cost", "digits")
    assert c.strategy_form.fields["population"].value == 5
    assert c.strategy_form.fields["sample_size"].value == 5  # the default again
    assert c.estimator_form.fields["batch_size"].value == 32
    assert (c.trials.value, c.minutes.value, c.seed.value, c.device.value) == ("7", 1.5, 3, "cpu")
    assert other.space == nb.spaces.nb201() and other.preset.value == "nb201"
    assert other.editor.space_json == nb.spaces.nb201().to_dict()


def test_custom_space_and_hyperparameters_round_trip(tmp_path):
    wb = nb.Workbench(storage=":memory:")
    d = nb.spaces.keras_cnn().to_dict()
    d["name"] = "mine"
    d["hparams"].append({"type": "categorical", "label": "act", "choices": ["relu", "gelu"]})
    s = {**wb.state, "space": nb.SearchSpace.from_dict(d).to_dict(), "seed": 11}
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(s))
    other = nb.Workbench(space="nb201", storage=":memory:")
    other.load_state(path)
    assert other.state == s
    assert other.preset.value == "custom"
    assert [r["label"].value for r in other.hparams._rows][-1] == "act"
    assert other.hparams.hparams() == s["space"]["hparams"]
    other.load_state(json.dumps(wb.state))  # JSON text works too
    assert other.state == wb.state


def test_the_preset_dropdown_says_custom_for_an_edited_space_never_blank():
    # a teacher's pass: the dropdown went blank as soon as the space was edited
    wb = nb.Workbench(space="digits_cell", storage=":memory:")
    assert wb.preset.value == "digits_cell" and "custom" not in wb.preset.options
    d = wb.editor.space_json
    wb.editor.space_json = {**d, "edges": [{**e, "ops": e["ops"][:2]} if i == 0 else e
                                           for i, e in enumerate(d["edges"])]}
    assert wb.space.name == "digits_cell" and wb.space != nb.spaces.digits_cell()
    assert wb.preset.value == "custom" and wb.preset.options[-1] == "custom"
    assert wb.space.size() < nb.spaces.digits_cell().size()  # picking nothing changed it
    wb.editor.undo()  # the preset's own space again: its name, and no "custom" to pick
    assert wb.preset.value == "digits_cell" and "custom" not in wb.preset.options
    wb.editor.redo()
    wb.preset.value = "nb201"  # a preset picked from "custom" replaces the space
    assert wb.space == nb.spaces.nb201() and "custom" not in wb.preset.options
    mine = nb.Workbench(space=nb.SearchSpace.from_dict({**nb.spaces.mlp().to_dict(),
                                                        "name": "mine"}), storage=":memory:")
    assert mine.preset.value == "custom"


def test_bad_state_raises_and_changes_nothing():
    wb = _custom_workbench()
    before = wb.state
    with pytest.raises(ValueError, match="unknown strategy 'nope'; valid"):
        wb.state = {**before, "strategy": "nope"}
    with pytest.raises(ValueError, match="population"):
        wb.state = {**before, "strategy_options": {"population": "many"}}
    with pytest.raises(ValueError, match="unknown field"):
        wb.state = {**before, "colour": 1}
    assert wb.state == before


def test_export_and_import_buttons():
    wb = _custom_workbench()
    wb.sharing.export_button.click()
    assert json.loads(wb.sharing.text.value) == wb.state
    other = nb.Workbench(storage=":memory:")
    other.sharing.text.value = wb.sharing.text.value
    other.sharing.import_button.click()
    assert other.state == wb.state
    assert "imported" in other.sharing.message.value
    other.sharing.text.value = "{broken"
    other.sharing.import_button.click()
    assert "import failed" in other.sharing.message.value
    assert other.state == wb.state


def test_copy_as_python_reproduces_the_workbench_run():
    wb = nb.Workbench(space="nb201", storage=":memory:", estimator="zero_cost", trials=5)
    wb.controls.strategy.value = "evolution"
    wb.controls.strategy_form.fields["population"].value = 3
    wb.controls.strategy_form.fields["sample_size"].value = 2
    wb.controls.seed.value = 4
    wb.sharing.python_button.click()
    code = wb.sharing.code.value
    assert "nb.spaces.nb201()" in code and "strategy='evolution'" in code
    exp = wb.start()
    assert exp is not None, wb.controls.status.value
    end = time.time() + 60
    while exp.running and time.time() < end:
        time.sleep(0.05)
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, "<copied>", "exec"), ns)  # noqa: S102 - the code under test
    assert "best:" in out.getvalue()
    ours, theirs = exp.trials, ns["exp"].trials
    assert len(ours) == len(theirs) == 5
    assert [t.arch for t in theirs] == [t.arch for t in ours]
    assert [t.value for t in theirs] == pytest.approx([t.value for t in ours])
    assert [t.meta.get("parent") for t in theirs] == [t.meta.get("parent") for t in ours]


def test_hide_and_lock():
    with pytest.raises(ValueError, match="valid: .*'editor'"):
        nb.Workbench(storage=":memory:", hide=["chart"])
    with pytest.raises(ValueError, match="unknown lock name"):
        nb.Workbench(storage=":memory:", lock=["table"])
    wb = nb.Workbench(space="nb201", storage=":memory:", hide=["charts", "replay", "budget"],
                      lock=["strategy", "editor", "seed"])
    assert "Charts" not in wb.tabs.titles and "Trials" in wb.tabs.titles
    assert wb.replay.layout.display == "none" and wb.controls.budget.layout.display == "none"
    c = wb.controls
    assert c.strategy.disabled and c.seed.disabled and not c.estimator.disabled
    assert all(f.disabled for f in c.strategy_form.fields.values())
    assert wb.preset.disabled and wb.editor not in wb.space_panel.children
    assert wb.space_view in wb.space_panel.children and wb.hparams.add.disabled
    c.set_running_state("done")  # the end of a run re-enables fields, never locked ones
    assert c.strategy.disabled and not c.dataset.disabled
    before = wb.state
    for change in ({"strategy": "evolution"}, {"seed": 9}, {"space": nb.spaces.mlp().to_dict()}):
        wb.sharing.text.value = json.dumps({**before, **change})
        wb.sharing.import_button.click()
        assert "locks" in wb.sharing.message.value
        assert wb.state == before
    wb.state = {**before, "seed": 9}  # the teacher's code may still set it
    assert c.seed.value == 9 and c.seed.disabled
    wb.sharing.text.value = json.dumps({**wb.state, "estimator": "zero_cost"})
    wb.sharing.import_button.click()  # unlocked parts may change
    assert c.estimator.value == "zero_cost"
    assert set(LOCKABLE) <= set(HIDEABLE)


def test_import_of_an_equivalent_locked_part_is_accepted():
    wb = nb.Workbench(space="nb201", storage=":memory:", strategy="evolution",
                      lock=["strategy", "editor"])
    assert wb.state["strategy_options"] == {}
    # the same strategy options written out in full, the same space with a default left out
    space = nb.spaces.nb201().to_dict()
    for e in space["edges"]:
        del e["label"], e["params"]  # their defaults
    same = {**wb.state, "strategy_options": {"population": 20, "sample_size": 5}, "space": space,
            "seed": 8}
    assert wb.sharing.import_text(json.dumps(same)), wb.sharing.message.value
    assert wb.controls.seed.value == 8
    assert not wb.sharing.import_text(json.dumps({**same, "strategy_options": {"population": 4}}))


def test_load_state_refuses_while_a_search_runs():
    nb.estimators.register("slow_const", _Slow, replace=True)
    wb = nb.Workbench(space="nb201", storage=":memory:", estimator="slow_const", trials=1000)
    s = wb.state
    assert wb.start() is not None
    try:
        with pytest.raises(ValueError, match="stop the search"):
            wb.state = {**s, "seed": 5}
        assert wb.controls.seed.disabled  # still disabled while it runs
    finally:
        wb.stop()


class _Slow:
    NAME = "slow_const"
    OPTIONS: dict = {}

    def estimate(self, arch, ctx):
        time.sleep(0.01)
        return nb.estimators.Estimate(0.5, {"params": 1})


def test_an_imported_text_is_read_as_json_never_as_a_path(tmp_path):
    """A file from someone else whose content is a path made the kernel read that file:
    its key names in the error, /dev/zero all of memory. Import reads JSON only."""
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"api_token_of_alice": "x"}))
    wb = nb.Workbench(storage=":memory:")
    before = wb.state
    for text in (str(secret), f"  {secret}\n", "/dev/zero"):
        wb.sharing.upload.value = ({"name": "shared.json", "type": "application/json",
                                    "size": len(text), "content": memoryview(text.encode()),
                                    "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)
        message = wb.sharing.message.value
        assert "import shared.json failed" in message and "not an experiment" in message
        assert "api_token_of_alice" not in message and wb.state == before
        assert not wb.sharing.import_text(text)  # pasted into the box: the same
        assert "api_token_of_alice" not in wb.sharing.message.value


def test_an_oversized_upload_is_refused_before_it_is_shown_or_read():
    from nasbench_ui.config import MAX_CONFIG_BYTES

    wb = nb.Workbench(storage=":memory:")
    before = wb.state
    big = b"{" + b" " * MAX_CONFIG_BYTES + b"}"
    wb.sharing.upload.value = ({"name": "big.json", "type": "application/json",
                                "size": len(big), "content": memoryview(big),
                                "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert "import big.json failed" in wb.sharing.message.value
    assert wb.sharing.text.value == "" and wb.state == before
