"""Where the workbench's parts sit, by the width the page gives it (CSS only).

A teacher's screen is 1280x800. Pressing Start, they must see the live charts without
scrolling. Two arrangements, chosen in the page by a CSS container query on the
workbench's own width (the kernel never knows it):

- **column** (narrower than :data:`BAR_MIN_PX`; JupyterLab with its file browser open,
  about 850 px): the space panel (preset, editor, hyperparameters) takes the whole row,
  the 400 px search column comes under it, Start at its end, and the charts right
  below, so scrolled to Start, Start and the first chart are on one screen. The space
  panel never sits beside the column: there the charts began under the editor, 760 px
  below Start.
- **bar** (:data:`BAR_MIN_PX` or wider; the file browser closed, about 1,100 px): the
  search column's three groups (fields, Advanced, Start with progress and status) stand
  side by side as a bar at the top of the workbench, the charts under it and the space
  panel after the live views; its preset dropdown stays on the first line, right of the
  workbench's title. With the workbench scrolled to its top, the preset, the search's
  fields, Start and the first chart (title and plot) are in view together: the editor
  alone is 640 px tall, so no 800 px screen can hold it and the charts too.

The workbench marks its parts with the classes below; :data:`LAYOUT_STYLE` places them.
``tests/browser/test_classroom_workbench_e2e.py`` checks both at 1280x800 and at 1024.

Example:
    >>> bar_fits(1100), bar_fits(848)
    (True, False)
"""

from __future__ import annotations

from .forms import FORM_WIDTH_PX
from .text import Markup

__all__ = ["ADVANCED_PX", "BAR_GAP_PX", "BAR_MIN_PX", "FIELDS_PX", "FOLD_CHROME_PX",
           "FOLD_PAD_PX", "LAYOUT_STYLE", "MINUTES_PX", "RUN_PX", "bar_fits"]

#: the bar's groups: the fields (dropdowns 300 px; the trials and minutes row, its
#: minutes box :data:`MINUTES_PX` wide there), the Advanced folds (an option row keeps
#: ``forms.FORM_WIDTH_PX``: the folds' padding is :data:`FOLD_PAD_PX` there, against
#: JupyterLab's 15 px) and Start, Pause, Resume and Stop in one row (4 x 90 px, margins)
FIELDS_PX, RUN_PX = 314, 372
MINUTES_PX = 130
FOLD_PAD_PX = 3
#: a fold's width less its content's: its padding, 1 px borders and 2 px margins a side
FOLD_CHROME_PX = 2 * (FOLD_PAD_PX + 1 + 2)
ADVANCED_PX = FORM_WIDTH_PX + FOLD_CHROME_PX
#: the room between two groups of the bar
BAR_GAP_PX = 6
#: the workbench's width from which the search column is a bar across the top (1,074 px;
#: JupyterLab at 1280 px with its file browser closed gives it 1,100)
BAR_MIN_PX = FIELDS_PX + ADVANCED_PX + RUN_PX + 2 * BAR_GAP_PX


def bar_fits(width_px: float) -> bool:
    """Whether a workbench ``width_px`` wide shows the search column as a bar (the
    layout :data:`LAYOUT_STYLE` picks in the page for that width)."""
    return width_px >= BAR_MIN_PX


#: the page's rules: the workbench is a size container; at :data:`BAR_MIN_PX` its
#: first row (space panel and search column) dissolves into the workbench's column,
#: where ``order`` puts the search bar first and the space panel after the live views;
#: the preset is placed in the workbench's own box (the space panel, a Lumino widget,
#: is ``position: relative`` elsewhere)
LAYOUT_STYLE = Markup(f"""<style>
.nbui-workbench {{ container: nbui-workbench / inline-size; position: relative; }}
@container nbui-workbench (min-width: {BAR_MIN_PX}px) {{
  .nbui-workbench .nbui-design-row {{ display: contents; }}
  .nbui-workbench .nbui-design-row > .nbui-controls {{ order: 1; }}
  .nbui-workbench > .nbui-run-label {{ order: 2; }}
  .nbui-workbench > .nbui-replay {{ order: 3; }}
  .nbui-workbench > .nbui-live-row {{ order: 4; }}
  .nbui-workbench .nbui-design-row > .nbui-space-panel {{ order: 5; position: static; }}
  .nbui-workbench .nbui-space-panel > .nbui-preset {{ position: absolute; top: 4px; right: 0; }}
  .nbui-workbench .nbui-controls {{ flex-direction: row; gap: {BAR_GAP_PX}px;
    width: auto !important; min-width: 0 !important; flex: 0 0 auto !important; }}
  .nbui-workbench .nbui-search-fields {{ flex: 0 0 {FIELDS_PX}px; }}
  .nbui-workbench .nbui-search-advanced {{ flex: 1 1 {ADVANCED_PX}px; min-width: 0; }}
  .nbui-workbench .nbui-search-run {{ flex: 0 0 {RUN_PX}px; }}
  .nbui-workbench .nbui-search-fields .nbui-minutes {{ width: {MINUTES_PX}px !important; }}
  .nbui-workbench .nbui-search-advanced .jupyter-widget-Collapse-contents {{
    padding-left: {FOLD_PAD_PX}px; padding-right: {FOLD_PAD_PX}px; }}
}}
</style>""")
