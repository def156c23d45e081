"""Option forms (``ui/forms.py``): a text box's grey placeholder fits the box it sits in
(the search panel's 400 px column at 1280x800), and the whole help stays its tooltip."""

from __future__ import annotations

import ipywidgets as w
import pytest

from nasbench_ui import estimators, strategies
from nasbench_ui.options import Option
from nasbench_ui.ui.forms import OptionsForm, box_chars, placeholder

FORMS = [(registry, name) for registry in (estimators, strategies) for name in registry.names()]


def test_the_tabular_table_placeholder_is_whole_in_its_box():
    form = OptionsForm(estimators.options("tabular"), owner="tabular")
    table = form.fields["table"]
    assert table.value == ""  # the placeholder is what an empty box shows
    chars = box_chars(form.fields["table"].style.description_width)
    assert len(table.placeholder) <= chars, (table.placeholder, chars)
    assert "CSV" in table.placeholder and '"digits"' in table.placeholder
    assert "…" not in table.placeholder
    assert table.tooltip == estimators.options("tabular")["table"].help  # the whole help


@pytest.mark.parametrize(("registry", "name"), FORMS,
                         ids=[f"{r.__name__.rsplit('.', 1)[-1]}-{n}" for r, n in FORMS])
def test_every_placeholder_fits_its_box_and_ends_on_a_whole_word(registry, name):
    form = OptionsForm(registry.options(name), owner=name)
    for key, field in form.fields.items():
        if not isinstance(field, w.Text) or not field.placeholder:
            continue
        chars = box_chars(field.style.description_width)
        text = field.placeholder
        assert len(text) <= chars, f"{name}.{key}: {text!r} is cut in a box of {chars}"
        assert field.tooltip == registry.options(name)[key].help or not field.tooltip
        whole = text.removesuffix("…").rstrip()
        assert not text.endswith("…") or registry.options(name)[key].help.startswith(whole + " ")


def test_an_optional_box_says_what_empty_means():
    opt = Option(int, None, optional=True, help="epochs between steps (empty: a third)")
    assert placeholder("train", "step_size", opt, 30) == "empty: a third"
    assert placeholder("x", "y", Option(str, "", help="one two three four five"), 12) == "one two…"


def test_an_optional_number_typed_into_its_box_is_a_number():
    # the page sends text: "2" in the threads box was refused as "must be of type int,
    # got '2' (str)", so an optional number could never be set in the form
    form = OptionsForm({"threads": Option(int, None, optional=True, low=1),
                        "rate": Option(float, None, optional=True)})
    assert isinstance(form.fields["threads"], w.Text)
    form.fields["threads"].value, form.fields["rate"].value = " 2 ", "0.5"
    assert form.error is None and form.values() == {"threads": 2, "rate": 0.5}
    form.fields["threads"].value = "two"
    assert "write a whole number" in form.error and "nbui-bad" in form.fields["threads"]._dom_classes
    form.fields["threads"].value = "0"  # its bounds still hold
    assert "must be >= 1" in form.error
    form.fields["threads"].value = ""
    assert form.error is None and form.values()["threads"] is None
