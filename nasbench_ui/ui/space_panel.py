"""``SpacePanel``: the space side of the workbench -- the preset dropdown, the graph editor
(or, with the editor locked, a read-only drawing) and the hyperparameter form -- kept in
step with each other.

A preset picked in the dropdown replaces the drawn space and sets the data set and the
suggested estimator of that preset in the control panel; an edit of the drawing updates
the hyperparameter form, the dropdown (the preset's name while the space equals it, else
``custom``, an entry there only then: the dropdown went blank), the estimators the control panel offers (``ControlPanel.set_space``) and calls
``on_space(space)``; an edit of the form rebuilds the space with its hyperparameters.

Example:
    >>> from nasbench_ui.ui.controls import ControlPanel
    >>> panel = SpacePanel(presets.get("nb201"), ControlPanel(), on_space=lambda s: None)
    >>> panel.space.name, panel.preset.value
    ('nb201', 'nb201')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from ..space import SearchSpace, presets
from .arch_view import ArchView
from .forms import HyperparameterForm
from .graph_editor import GraphEditor
from .sharing import disable_tree
from .text import Markup, SafeHTML

__all__ = ["CUSTOM", "HEADING", "SpacePanel"]

#: what the preset dropdown shows for a space that is no preset (an edited one)
CUSTOM = "custom"
#: the panel's heading (constant markup), in the form of the form's "Hyperparameters"
HEADING = Markup("<b>Search space</b> (the graph of choices the search picks from)")


class SpacePanel:
    """Preset dropdown, graph editor and hyperparameter form of one space (see the module
    docstring). ``controls`` is the workbench's ``ControlPanel``; ``locked`` the locked
    part names (``"editor"`` shows a read-only drawing, ``"estimator"`` keeps the
    estimator when a preset is picked); ``on_space(space)`` is called after each edit."""

    def __init__(self, space: SearchSpace, controls: Any,
                 on_space: Callable[[SearchSpace], Any], locked: Sequence[str] = ()) -> None:
        self.controls, self.on_space, self.locked = controls, on_space, tuple(locked)
        self._setting_preset = False
        self.preset = w.Dropdown(options=presets.names(), description="preset",
                                 layout=w.Layout(width="240px"))
        self.preset.add_class("nbui-preset")  # placed by ui/workbench_layout.py
        self._show_preset(space)
        self.editor = GraphEditor(space)
        self.hparams = HyperparameterForm(space)
        # a read-only drawing shown instead of a locked editor
        self.space_view = ArchView(space) if "editor" in self.locked else None
        self.preset.observe(self._on_preset, "value")
        self.editor.observe_space(self._on_space_edit)
        self.hparams.on_change(self._on_hparams)
        controls.set_space(space)  # the estimators offered for it
        shown = self.space_view if self.space_view is not None else self.editor
        #: the panel's heading, as the search's ("Search") and the form's: in the bar
        #: layout the preset moves up beside the workbench's title, and the editor stood
        #: there with nothing to say what it was
        self.heading = SafeHTML(HEADING)
        self.heading.add_class("nbui-space-heading")
        #: the panel's widget: heading, dropdown, editor (or drawing), form
        #: (the whole row: the search column goes under it, ``ui/workbench_layout.py``)
        self.widget = w.VBox([self.heading, self.preset, shown, self.hparams],
                             layout=w.Layout(flex="1 1 100%"))

    @property
    def space(self) -> SearchSpace:
        """The space drawn in the editor (ValueError while the drawing is invalid)."""
        return self.editor.space

    @space.setter
    def space(self, space: SearchSpace) -> None:
        self.editor.space = space  # the editor calls _on_space_edit

    def _show_preset(self, space: SearchSpace) -> None:
        """Show the preset ``space`` equals, else ``custom`` (offered only then)."""
        name = next((n for n in presets.names() if n == space.name and presets.get(n) == space),
                    CUSTOM)
        options = presets.names() + ([CUSTOM] if name == CUSTOM else [])
        self._setting_preset = True
        try:
            if list(self.preset.options) != options:
                self.preset.options = options
            self.preset.value = name
        finally:
            self._setting_preset = False

    def _on_preset(self, change: dict[str, Any]) -> None:
        if change["new"] in presets.names() and not self._setting_preset:
            space = presets.get(change["new"])
            self.space = space
            self.controls.dataset.value = presets.DEFAULT_DATASET.get(space.name, "digits")
            suggested = presets.SUGGESTED_ESTIMATOR.get(space.name)
            if suggested is not None and "estimator" not in self.locked:
                name, options = suggested
                self.controls.estimator.value = name  # rebuilds the options form
                self.controls.estimator_form.set_values(options)

    def _on_space_edit(self, space: SearchSpace) -> None:
        self.hparams.set_space(space)
        self.controls.set_space(space)
        if self.space_view is not None:
            self.space_view.set_space(space)
        self.on_space(space)
        self._show_preset(space)
        if "editor" in self.locked:
            disable_tree(self.hparams)

    def _on_hparams(self, hps: list[dict[str, Any]]) -> None:
        if "editor" in self.locked:
            return
        d = dict(self.editor.space_json)
        d["hparams"] = hps
        self.editor.space = SearchSpace.from_dict(d)
